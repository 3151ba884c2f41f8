"""Which discovered URLs a crawl follows: same site, not denied, not a binary file.

Scrapy's `allowed_domains` cannot express "same host and port" for IP hosts such as
127.0.0.1, so the spider asks `LinkFilter.accept` instead; it works the same for
named hosts and for loopback test servers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fanwen_crawler.profiles import Profile
from fanwen_crawler.urls import NON_HTML_PATH, clean_url, same_site, url_path

# Pages no corpus wants: search results, logins, comment posting, print views. (Tag pages,
# tags.php included, are hubs that list articles: followed.)
UTILITY_PATHS = re.compile(
    r"(?:/search|/plus/search|/login|/register|/logout|/user/|/e/member|mod=logging|"
    r"/comment/|/print|/ajax|/api/|/sitemap|/rss)",
    re.IGNORECASE,
)


@dataclass(slots=True)
class LinkFilter:
    """Decides, for a crawl over `site_urls`, whether a URL may be requested."""

    site_urls: list[str]
    profile: Profile | None = None
    rejected: dict[str, int] = field(default_factory=dict)

    def _reject(self, why: str) -> None:
        self.rejected[why] = self.rejected.get(why, 0) + 1

    def on_site(self, url: str) -> bool:
        """`url` belongs to one of the crawl's sites (the policy links and redirects share)."""
        return any(same_site(url, site) for site in self.site_urls)

    def accept(self, url: str | None) -> str | None:
        """The URL to request (`urls.clean_url`) if the crawl should follow `url`, else None."""
        if not url:
            return None
        if not url[:8].lower().startswith(("http://", "https://")):
            self._reject("scheme")
            return None
        url = clean_url(url)
        if not self.on_site(url):
            self._reject("offsite")
            return None
        path = url_path(url).partition("?")[0]
        if NON_HTML_PATH.search(path):
            self._reject("binary")
            return None
        if self.profile is not None and self.profile.is_denied(url):
            self._reject("profile_deny")
            return None
        if UTILITY_PATHS.search(url):
            self._reject("utility")
            return None
        return url
