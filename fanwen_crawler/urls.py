"""URL identity, owned here and nowhere else: the URL to request and the canonical key.

Two forms of one URL, each with one job:

- The *request* form (`clean_url`, `resolve_url`) is what the site wrote, minus the
  fragment and tracking parameters. Everything else stays byte-for-byte: parameter
  order, percent-escapes (GBK-escaped values such as DedeCMS `tags.php?/%D7%DC%BD%E1/`),
  path case. Query routers (PHPCMS `index.php?m=content&c=index&a=show&id=1`) answer
  404 to anything else, so this is the only form ever requested.
- The *canonical* form (`canonical_url`) is an identity, never requested: parameters
  sorted, escapes normalised (w3lib's `canonicalize_url`, which keeps non-UTF-8 escapes
  intact). The duplicate filter, the corpus key and dedupe use it, so one page reached
  through a tracking link, with a fragment, or with its parameters in another order is
  fetched and stored once.

A request carries its canonical form in `meta` (`remember_canonical`); components read
it back with `canonical_of` / `linked_canonical` instead of computing it again. This
module takes plain strings and duck-typed requests; it never imports Scrapy, so the
pure extractors use it too.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

from w3lib.url import canonicalize_url, safe_url_string

# Query parameters that only track where a click came from; never part of a page's identity.
TRACKING_PARAMS = frozenset(
    {
        "from", "spm", "ref", "referer", "share", "sharefrom", "fromuid",
        "gclid", "fbclid", "yclid", "msclkid", "_hsenc", "_hsmi", "mc_cid", "mc_eid",
        "bd_vid", "wxfrom", "isappinstalled", "scene", "clicktime", "enterid",
        "_t", "frm",
    }
)
TRACKING_PREFIXES = ("utm_",)
# Host prefixes that name the same site (www.example.cn, m.example.cn, example.cn).
SITE_HOST_PREFIX = re.compile(r"^(?:www|m|wap|mobile)\d*\.", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}
# File types that are never an HTML page: the one list the link filter (never requested)
# and the URL-shape hints (never an article or list) share.
NON_HTML_EXTENSIONS = (r"pdf|docx?|xlsx?|pptx?|wps|zip|rar|7z|gz|tar|exe|apk|jpe?g|png|gif|bmp"
                       r"|webp|svg|ico|mp[34]|avi|flv|wmv|swf|css|js|xml|txt")
NON_HTML_PATH = re.compile(rf"\.(?:{NON_HTML_EXTENSIONS})$", re.IGNORECASE)
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:", "about:")
# Characters a browser (and urlsplit) deletes from anywhere in a URL.
URL_CONTROL = re.compile(r"[\t\r\n]")
# A character a request cannot send as it is (outside w3lib's safe set), or a "%" that
# starts no escape: something for `safe_url_string` to do.
UNSAFE_URL = re.compile(r"[^A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")
# "/." in a path: a dot segment ("./", "../") that resolution must remove.
DOT_SEGMENT = re.compile(r"/\.\.?(?:/|\?|$)")
# An absolute link already in the request form: lower-case scheme and host, no port, user,
# query or fragment, and only characters a request sends as they are (no "%" either).
# `resolve_url` returns it unchanged when it has no "/." (a possible dot segment).
REQUEST_FORM_URL = re.compile(r"https?://[a-z0-9.-]+/[A-Za-z0-9\-._~:/\[\]@!$&'()*+,;=]*")

# Request meta key: (URL as requested, its canonical form). Scrapy copies meta to the
# next hop of a redirect, so the pair also remembers the URL as it was linked.
CANONICAL_META = "fanwen_canonical"


# --- The request form -----------------------------------------------------------------


def _is_tracking(name: str) -> bool:
    lower = name.lower()
    return lower in TRACKING_PARAMS or lower.startswith(TRACKING_PREFIXES)


def _without_tracking(query: str) -> str:
    """`query` minus tracking pairs; the other pairs exactly as written, in order."""
    pairs = query.split("&")
    kept = [p for p in pairs if not _is_tracking(p.partition("=")[0])]
    return query if len(kept) == len(pairs) else "&".join(p for p in kept if p)


def clean_url(url: str) -> str:
    """The URL to request for an absolute http(s) URL: what the site wrote, minus noise.

    Drops the fragment and tracking parameters, lower-cases scheme and host, drops a
    default port and an empty query, turns an empty path into "/". Everything else is
    kept byte-for-byte: parameter order, percent-escapes, path case.
    """
    url = url.strip().split("#", 1)[0]
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    scheme = scheme.lower()
    end = len(rest)
    for mark in ("/", "?"):
        found = rest.find(mark)
        if 0 <= found < end:
            end = found
    netloc, tail = rest[:end], rest[end:]
    user, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else (
        hostport, "", "")
    if not colon or not port.isdigit():
        host, port = hostport, ""
    elif DEFAULT_PORTS.get(scheme) == int(port):
        port = ""
    netloc = f"{user}{at}{host.lower()}" + (f":{port}" if port else "")
    path, qmark, query = tail.partition("?")
    if qmark:
        query = _without_tracking(query)
    return f"{scheme}://{netloc}{path or '/'}" + (f"?{query}" if query else "")


@lru_cache(maxsize=256)
def _bases(base_url: str) -> tuple[str, str, str]:
    """(origin, directory, URL without query) of a page URL, in the request form."""
    base = clean_url(base_url).split("?", 1)[0]
    parts = base.split("/", 3)
    origin = f"{parts[0]}//{parts[2]}" if len(parts) >= 3 else base
    return origin, base[: base.rfind("/") + 1], base


def resolve_url(base_url: str, href: str, encoding: str = "utf-8") -> str | None:
    """The request form of a link `href` on the page at `base_url`; None unless http(s).

    Relative references are resolved as a browser does (dot segments removed, tabs and
    newlines deleted). Characters a request cannot carry are percent-encoded as a browser
    encodes them: the path in UTF-8, the query in the page's `encoding` (a GBK page's
    `tags.php?/总结/` is `tags.php?/%D7%DC%BD%E1/`). Scrapy requests the result unchanged.
    """
    if REQUEST_FORM_URL.fullmatch(href) and "/." not in href:
        return href  # the commonest href: nothing to resolve, clean or encode
    href = href.strip()
    if not href or href[:11].lower().startswith(SKIP_SCHEMES):
        return None
    if "\t" in href or "\r" in href or "\n" in href:
        href = URL_CONTROL.sub("", href)
    url: str | None = None
    if "\\" not in href and not DOT_SEGMENT.search(href):
        # No parsing for the common shapes; the page URL is already in the request form.
        first = href[0]
        if first == "/" and href[1:2] != "/":
            url = _bases(base_url)[0] + href  # root-relative
        elif first == "?":
            url = _bases(base_url)[2] + href
        elif first not in "#./" and ":" not in href.split("/", 1)[0]:
            url = _bases(base_url)[1] + href  # relative to the page's directory
        elif href[:8].lower().startswith(("http://", "https://")):
            url = href
        if url is not None and ("?" in href or "#" in href or first not in "/?."):
            url = clean_url(url)
    if url is None:
        try:
            url = urljoin(base_url, href)
        except ValueError:
            return None
        if not url[:8].lower().startswith(("http://", "https://")):
            return None
        url = clean_url(url)
    if UNSAFE_URL.search(url):
        try:
            url = safe_url_string(url, encoding)
        except (UnicodeError, LookupError):  # not in the page's charset, or no such codec
            url = safe_url_string(url)
        except ValueError:  # an unparseable host or port
            return None
    return url


# --- The canonical form -----------------------------------------------------------------


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """The canonical identity of an absolute http(s) URL (never requested).

    The request form (`clean_url`) with its query parameters sorted and its
    percent-escapes normalised; GBK or other non-UTF-8 escapes keep their bytes, so two
    different tag URLs never share an identity.
    """
    return canonicalize_url(clean_url(url), keep_blank_values=True)


def remember_canonical(request: Any) -> str:
    """Compute the canonical form of a new request once and keep it in its meta."""
    canon = canonical_url(request.url)
    request.meta[CANONICAL_META] = (request.url, canon)
    return canon


def canonical_of(request: Any) -> str:
    """The canonical form of `request.url`, from meta when the request carries it."""
    pair = request.meta.get(CANONICAL_META)
    if pair and pair[0] == request.url:
        return str(pair[1])
    return canonical_url(request.url)  # a redirect hop, or a request made by Scrapy itself


def linked_canonical(meta: dict[str, Any], url: str) -> str:
    """The canonical form of the URL as it was linked: the first of a redirect chain."""
    first = str((meta.get("redirect_urls") or [url])[0])
    pair = meta.get(CANONICAL_META)
    if pair and pair[0] == first:
        return str(pair[1])
    return canonical_url(first)


def response_canonical(response: Any) -> str:
    """The canonical form of the URL a response was served from."""
    request = getattr(response, "request", None)
    if request is not None and request.url == response.url:
        return canonical_of(request)
    return canonical_url(response.url)


# --- Sites and addresses -----------------------------------------------------------------


def site_of(url: str) -> str:
    """The site key of a URL: host plus non-default port ("127.0.0.1:8000", "www.x.cn")."""
    return _site_key(urlsplit(url))


def _site_key(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    if port is None or DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


def _is_ip(host: str) -> bool:
    if not host or not (host[0].isdigit() or ":" in host):
        return False  # a host name: no need to ask ipaddress
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def same_site(url: str, site_url: str) -> bool:
    """True when `url` belongs to the same portal as `site_url`.

    IP hosts must match exactly, port included (two servers on 127.0.0.1 are two
    sites). Named hosts match when equal after dropping www./m./wap. prefixes, or
    when one is a subdomain of the other's registrable part.
    """
    return SiteTest(site_url)(url)


class SiteTest:
    """`same_site(url, site_url)` for many URLs against one site URL, whose side is
    parsed once (a page's links against the page)."""

    __slots__ = ("_netloc", "_site", "site_url")

    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        self._netloc = site_url.split("/", 3)[2:3]
        self._site: tuple[str, bool, str, str, str] | None = None

    def _parsed(self) -> tuple[str, bool, str, str, str]:
        """(host, IP or localhost, site key, its port part, host without www./m. prefix)."""
        if self._site is None:
            host = (urlsplit(self.site_url).hostname or "").lower()
            key = site_of(self.site_url)
            self._site = (host, _is_ip(host) or host == "localhost", key, key.partition(":")[2],
                          SITE_HOST_PREFIX.sub("", host))
        return self._site

    def __call__(self, url: str) -> bool:
        if url.startswith(("http://", "https://")) and (
                url.split("/", 3)[2:3] == self._netloc != [""]):
            return True  # the same scheme-less netloc as written: the common case, no parsing
        a = urlsplit(url)
        host_b, special_b, key_b, port_b, base_b = self._parsed()
        if a.scheme not in ("http", "https"):
            return False
        host_a = (a.hostname or "").lower()
        if not host_a or not host_b:
            return False
        if _is_ip(host_a) or special_b or host_a == "localhost":
            return _site_key(a) == key_b
        if _site_key(a).partition(":")[2] != port_b:
            return False
        base_a = SITE_HOST_PREFIX.sub("", host_a)
        return base_a == base_b or base_a.endswith("." + base_b) or base_b.endswith("." + base_a)


def address_kind(ip: str) -> str | None:
    """"loopback", "link_local", "private" or "reserved" for a non-public IP, else None."""
    try:
        addr = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_unspecified:  # 0.0.0.0 reaches this machine on Linux
        return "reserved"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link_local"
    if addr.is_private:
        return "private"
    if addr.is_reserved or addr.is_multicast:
        return "reserved"
    return None


def host_of(url: str) -> str:
    """The lower-case host of a URL ("" when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def url_path(url: str) -> str:
    """Path and query of an absolute URL ("/a/1.html?p=2")."""
    start = url.find("//")
    slash = url.find("/", start + 2) if start >= 0 else -1
    if start < 0 or slash < 0:
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path = url[slash:]
    return path.split("#", 1)[0]


def without_param(url: str, names: frozenset[str]) -> tuple[str, str] | None:
    """(`url` without its first parameter named in `names` with a digit value, that value).

    The other parameters stay exactly as written; None when there is no such parameter.
    """
    base, qmark, query = url.partition("?")
    if not qmark:
        return None
    pairs = query.split("&")
    for i, pair in enumerate(pairs):
        name, _, value = pair.partition("=")
        if name.lower() in names and value.isdigit():
            rest = "&".join(pairs[:i] + pairs[i + 1:])
            return (f"{base}?{rest}" if rest else base), value
    return None
