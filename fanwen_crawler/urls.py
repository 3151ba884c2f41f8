"""URL canonicalisation and same-site checks, shared by spider, extractors and storage.

A canonical URL is what the corpus keys on and what the duplicate filter sees, so
the same page reached through a tracking link, with a fragment, or with its query
parameters in another order is fetched and stored once.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def _is_tracking(name: str) -> bool:
    lower = name.lower()
    return lower in TRACKING_PARAMS or lower.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the canonical form of an absolute http(s) URL.

    Lower-cases scheme and host, drops the default port, the fragment and tracking
    parameters, sorts the remaining query parameters, and turns an empty path into "/".
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def site_of(url: str) -> str:
    """The site key of a URL: host plus non-default port ("127.0.0.1:8000", "www.x.cn")."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    scheme = parts.scheme.lower()
    if port is None or DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


def _is_ip(host: str) -> bool:
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
    a, b = urlsplit(url), urlsplit(site_url)
    if a.scheme not in ("http", "https"):
        return False
    host_a, host_b = (a.hostname or "").lower(), (b.hostname or "").lower()
    if not host_a or not host_b:
        return False
    if _is_ip(host_a) or _is_ip(host_b) or host_a == "localhost" or host_b == "localhost":
        return site_of(url) == site_of(site_url)
    if site_of(url).partition(":")[2] != site_of(site_url).partition(":")[2]:
        return False
    base_a, base_b = SITE_HOST_PREFIX.sub("", host_a), SITE_HOST_PREFIX.sub("", host_b)
    return base_a == base_b or base_a.endswith("." + base_b) or base_b.endswith("." + base_a)
