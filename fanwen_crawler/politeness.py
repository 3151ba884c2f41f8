"""A run's politeness settings: the profile's delay and concurrency, and what follows from them.

Applied by the spider while Scrapy builds the crawler (`PortalSpider.from_crawler`), so
`fanwen crawl`, `scrapy crawl` and scrapyd all crawl a portal at its profile's pace.
Precedence: command line (`fanwen crawl --delay`, `scrapy crawl -s`) > profile >
settings.py. Derived settings follow the value that won, at its priority, unless set
explicitly at that priority or higher:

- a delay of 0 means unthrottled (for one's own mirror, the bundled portal, benchmarks):
  AutoThrottle off and no jitter;
- CONCURRENT_REQUESTS is at least the per-site concurrency;
- with a shared Redis frontier, a worker holds only what it downloads right now
  (CONCURRENT_REQUESTS = the per-site concurrency), so a killed worker loses less.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from fanwen_crawler.profiles import Profile

PROFILE_PRIORITY = "spider"


def _set_below(settings: BaseSettings, name: str, value: Any, priority: int | str) -> None:
    """Set `name` unless something at `priority` or higher already set it."""
    prio = settings.getpriority(name) or 0
    target = priority if isinstance(priority, int) else SETTINGS_PRIORITIES[priority]
    if prio < target:
        settings.set(name, value, priority=target)


def apply_politeness(settings: BaseSettings, profile: Profile | None) -> None:
    """Apply the profile's delay/concurrency and the derived settings (see module docstring)."""
    if profile is not None:
        if profile.download_delay is not None:
            _set_below(settings, "DOWNLOAD_DELAY", float(profile.download_delay),
                       PROFILE_PRIORITY)
        if profile.concurrency:
            _set_below(settings, "CONCURRENT_REQUESTS_PER_DOMAIN", int(profile.concurrency),
                       PROFILE_PRIORITY)
    delay_prio = settings.getpriority("DOWNLOAD_DELAY") or 0
    if settings.getfloat("DOWNLOAD_DELAY") == 0 and delay_prio >= SETTINGS_PRIORITIES["project"]:
        _set_below(settings, "AUTOTHROTTLE_ENABLED", False, delay_prio)
        _set_below(settings, "DOWNLOAD_DELAY_JITTER", 0, delay_prio)
    per_site = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    site_prio = settings.getpriority("CONCURRENT_REQUESTS_PER_DOMAIN") or 0
    if settings.get("FANWEN_REDIS_URL"):
        prio = max(site_prio, settings.getpriority("FANWEN_REDIS_URL") or 0)
        _set_below(settings, "CONCURRENT_REQUESTS", per_site, prio)
    elif per_site > settings.getint("CONCURRENT_REQUESTS"):
        _set_below(settings, "CONCURRENT_REQUESTS", per_site, site_prio)
