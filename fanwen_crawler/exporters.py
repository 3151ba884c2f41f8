"""Feed exporters for `scrapy crawl portal -O items.csv`: list fields as JSON text.

Scrapy's CSV exporter joins a list of strings with commas and writes nested items as
Python reprs. Here every list or nested item (tags, related links, sections …) is one
JSON text cell, as `fanwen export --format csv` writes them. JSON feeds need nothing of
ours: Scrapy's JSON encoder turns the item dataclasses into objects.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any

from scrapy.exporters import CsvItemExporter


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class CsvExporter(CsvItemExporter):
    """CSV with list and nested fields as JSON text cells."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        serializer = field.get("serializer")
        if serializer is not None:
            value = serializer(value)
        if isinstance(value, list | tuple | dict) or is_dataclass(value):
            return json.dumps(_plain(value), ensure_ascii=False)
        return value
