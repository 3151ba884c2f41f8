"""One page's extraction as a job for a worker process (`middlewares/extract_workers.py`).

Importable without Scrapy, so a worker process loads only lxml and the extractors.
"""

from __future__ import annotations

from fanwen_crawler.extractors import ExtractionError, extract_page
from fanwen_crawler.items import Page
from fanwen_crawler.profiles import Profile


def extract_or_error(body: bytes, url: str, content_type: str,
                     profile: Profile | None) -> Page | ExtractionError:
    """`extract_page`, with an ExtractionError returned instead of raised."""
    try:
        return extract_page(body, url, {"Content-Type": content_type}, profile)
    except ExtractionError as exc:
        return exc
