"""The baseline: a bare Scrapy spider that only follows same-site links (no extraction, no storage).

Same politeness-relevant settings as `fanwen crawl --delay 0 --concurrency N`: robots.txt
obeyed, no delay, AutoThrottle off, breadth-first FIFO queues, the same User-Agent.
Run: `python -m benchmarks.bare_spider URL --concurrency 16`; prints one JSON line of stats.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from fanwen_crawler import settings as ours


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start_url: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.start_urls = [start_url]
        self.netloc = urlsplit(start_url).netloc

    async def start(self) -> Any:
        yield scrapy.Request(self.start_urls[0], callback=self.parse_any)

    def parse_any(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("bare/pages")
        if not hasattr(response, "css"):
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href).split("#", 1)[0]
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc == self.netloc:
                yield scrapy.Request(url, callback=self.parse_any)


def bare_settings(concurrency: int) -> dict[str, Any]:
    return {
        "USER_AGENT": ours.USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": max(concurrency, 16),
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DEPTH_PRIORITY": ours.DEPTH_PRIORITY,
        "SCHEDULER_DISK_QUEUE": ours.SCHEDULER_DISK_QUEUE,
        "SCHEDULER_MEMORY_QUEUE": ours.SCHEDULER_MEMORY_QUEUE,
        "RETRY_TIMES": ours.RETRY_TIMES,
        "DOWNLOAD_TIMEOUT": ours.DOWNLOAD_TIMEOUT,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    process = CrawlerProcess(bare_settings(args.concurrency))
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start_url=args.url)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    elapsed = (stats["finish_time"] - stats["start_time"]).total_seconds()
    print(
        json.dumps(
            {
                "pages": stats.get("bare/pages", 0),
                "elapsed": elapsed,
                "responses": stats.get("response_received_count", 0),
                "status_200": stats.get("downloader/response_status_count/200", 0),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
