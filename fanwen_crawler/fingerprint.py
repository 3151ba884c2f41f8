"""The request fingerprint the duplicate filter uses: method, canonical URL, body.

Scrapy's default fingerprinter canonicalises `request.url` itself; ours takes the
canonical form the request carries in meta (`urls.remember_canonical`), so the
duplicate filter, the corpus and dedupe share one identity and nothing computes it
twice. Set as REQUEST_FINGERPRINTER_CLASS.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request

from fanwen_crawler.urls import canonical_of


class CanonicalFingerprinter:
    """sha1 over (method, canonical URL, body); headers play no part, as in Scrapy's default."""

    def __init__(self, crawler: Any = None) -> None:
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Any) -> CanonicalFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        cached = self._cache.get(request)
        if cached is None:
            data = {"method": request.method.upper(), "url": canonical_of(request),
                    "body": (request.body or b"").hex()}
            cached = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).digest()
            self._cache[request] = cached
        return cached
