"""One page's extraction as a job for a worker process (`middlewares/extract_workers.py`).

Importable without Scrapy, so a worker process loads only lxml and the extractors.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from fanwen_crawler.extractors import ExtractionError, extract_page
from fanwen_crawler.items import Page
from fanwen_crawler.profiles import Profile

PARENT_POLL_SECONDS = 0.5


def extract_or_error(body: bytes, url: str, content_type: str,
                     profile: Profile | None) -> Page | ExtractionError:
    """`extract_page`, with an ExtractionError returned instead of raised."""
    try:
        return extract_page(body, url, {"Content-Type": content_type}, profile)
    except ExtractionError as exc:
        return exc


def start_worker(parent: int) -> None:
    """A worker's initializer: exit as soon as the crawl process (pid `parent`) is gone.

    A SIGKILLed crawl cannot shut its pool down, and a pool worker holds both ends of its
    job queue, so it would wait for jobs forever (and keep the crawl's stderr open). The
    pid comes from the crawl: a worker may start after its crawl has already died.
    Ctrl-C reaches the whole process group; it is the crawl's to handle (it shuts the pool
    down), so a worker ignores SIGINT.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
