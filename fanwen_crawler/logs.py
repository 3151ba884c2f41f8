"""Logging of a CLI crawl: where it goes, at what level, in which format.

The CLI installs one root handler itself (Scrapy's is switched off with
`LOG_INSTALL_ROOT_HANDLER = False`): stderr, or `--log-file` (appended; its folder is
created), as text or as JSON lines (`--log-format json`: one object per record with
`time`, `level`, `logger`, `message`, plus `exc_info` and any `fanwen_*` extra such as
the run summary). Scrapy's start-up inventory (versions, overridden settings, enabled
components) and its end-of-crawl stats dump are shown only at DEBUG: the run summary
replaces them, and `--stats-json` has the figures for machines.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# (logger name, message prefix) of Scrapy's inventory records, dropped below DEBUG.
INVENTORY = (
    ("scrapy.utils.log", "Versions:"),
    ("scrapy.crawler", "Overridden settings"),
    ("scrapy.middleware", "Enabled "),
    ("scrapy.statscollectors", "Dumping Scrapy stats"),
    ("scrapy.addons", "Enabled addons"),
)
EXTRA_PREFIX = "fanwen_"


class InventoryFilter(logging.Filter):
    """Drop Scrapy's settings/components/stats dumps (kept when the handler logs DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        text = str(record.msg)
        return not any(record.name == name and text.startswith(prefix)
                       for name, prefix in INVENTORY)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (no newlines inside: a line is a record)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key.startswith(EXTRA_PREFIX):
                data[key.removeprefix(EXTRA_PREFIX)] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def install_log_handler(*, level: str, log_file: Path | None = None,
                        log_format: str = "text") -> logging.Handler:
    """Install the process's root log handler; return it (remove it when done)."""
    handler: logging.Handler
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, mode="a", encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(TEXT_FORMAT, DATE_FORMAT))
    if level != "DEBUG":
        handler.addFilter(InventoryFilter())
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    return handler


def remove_log_handler(handler: logging.Handler) -> None:
    """Detach and close a handler installed by `install_log_handler`."""
    logging.getLogger().removeHandler(handler)
    handler.close()
