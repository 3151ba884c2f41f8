"""Publication dates: find them in meta tags and text, parse them to ISO 8601.

The ISO value is as precise as the page: "2023-08-11T15:33:05", "2023-08-11T15:33",
"2020-12-25", or "1998-03" for a month-only date. The raw string stays alongside.
Nothing here reads the clock.
"""

from __future__ import annotations

import re
from datetime import date

MIN_YEAR = 1980
MAX_YEAR = 2099
# Full dates with optional time: 2023-08-11 15:33:05, 2023年08月11日 15:33, 2023/05/28, 2023.5.28
DATE_TIME = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)(?:\s*日)?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?!\d)"
    r"(?:\s*[:：]\s*(\d{1,2})(?!\d)|\s*分(?:\s*(\d{1,2})\s*秒)?)?)?"
)
ISO_OFFSET = re.compile(r"(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})(?![\d:])")
YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)\s*月?")
# Labels that announce the publication date in a meta line.
DATE_LABEL = re.compile(r"(?:发布|发表|更新|时间|日期|发布于|发表于|posted|published)", re.I)


def _valid(year: int, month: int, day: int) -> bool:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_date(text: str) -> tuple[str, str] | None:
    """The first date in `text` as (ISO 8601, raw substring), or None."""
    for match in DATE_TIME.finditer(text):
        year, month, day = (int(match.group(i)) for i in (1, 2, 3))
        if not _valid(year, month, day):
            continue
        iso = f"{year:04d}-{month:02d}-{day:02d}"
        raw = match.group(0).strip()
        if match.group(4) is not None:
            hour, minute = int(match.group(4)), int(match.group(5))
            second = match.group(6) or match.group(7)
            if hour < 24 and minute < 60 and (second is None or int(second) < 60):
                iso += f"T{hour:02d}:{minute:02d}"
                if second is not None:
                    iso += f":{int(second):02d}"
                offset = ISO_OFFSET.match(text, match.end())
                if offset is not None and "T" in raw:
                    zone = "+00:00" if offset.group(1) == "Z" else offset.group(1)
                    iso += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
                    raw = text[match.start(): offset.end()]
            else:
                raw = text[match.start(): match.end(3)]
        return iso, raw.rstrip()
    return None


def parse_year_month(text: str) -> tuple[str, str] | None:
    """A month-precision date ("1998-03") when no full date is present."""
    for match in YEAR_MONTH.finditer(text):
        year, month = int(match.group(1)), int(match.group(2))
        if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12:
            return f"{year:04d}-{month:02d}", match.group(0).strip()
    return None


def find_labelled_date(lines: list[str]) -> tuple[str, str] | None:
    """The first date in a line that carries a date label (发布时间：…), else the first date."""
    first: tuple[str, str] | None = None
    for line in lines:
        found = parse_date(line)
        if found is None:
            continue
        if DATE_LABEL.search(line):
            return found
        if first is None:
            first = found
    return first
