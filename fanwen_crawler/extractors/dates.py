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


# A publication label right before the date ("发布日期：", "发表于") or right after it
# ("2005-04-28 11:13更新"): it beats any other labelled date (成文日期, 施行日期).
PUBLISH_BEFORE = re.compile(
    r"(?:发布|发表|发稿|发文|上传|更新|刊发|posted|published)\s*(?:日期|时间|于|on)?\s*[:：]?\s*$",
    re.I,
)
PUBLISH_AFTER = re.compile(r"^\s*(?:更新|发布|发表)(?!\s*(?:日期|时间|[:：]))")
# Labels of dates that are not the page's publication: 成文日期, 印发日期, 施行日期 …
OTHER_DATE_LABEL = re.compile(
    r"(?:成文|印发|施行|实施|生效|截止|有效|出生|开始|结束)\s*(?:日期|时间)"
)
PUBLISH_CONTEXT = 12
# A sentence of text, not a stamp: its dates are what the text is about.
SENTENCE_END = re.compile("[。！？]")


def _publish_labelled(line: str) -> tuple[str, str] | None:
    for match in DATE_TIME.finditer(line):
        before = line[max(0, match.start() - PUBLISH_CONTEXT): match.start()]
        after = line[match.end(): match.end() + 8]
        if PUBLISH_BEFORE.search(before) or PUBLISH_AFTER.match(after):
            found = parse_date(line[match.start():])
            if found is not None:
                return found
    return None


def _stamp_date(line: str) -> tuple[str, str] | None:
    """The first date of a line not labelled as some other date (成文日期 …)."""
    for match in DATE_TIME.finditer(line):
        before = line[max(0, match.start() - PUBLISH_CONTEXT): match.start()]
        if OTHER_DATE_LABEL.search(before):
            continue
        found = parse_date(line[match.start():])
        if found is not None:
            return found
    return None


def find_labelled_date(lines: list[str]) -> tuple[str, str] | None:
    """The page's date among stamp lines: a publication label beside it (发布日期：…) first,
    then a line with any date label, then the first date. Sentences (。) are not stamps
    and are consulted only when no stamp line has a date."""
    stamps = [line for line in lines if not SENTENCE_END.search(line)]
    for group in (stamps, lines):
        for line in group:
            found = _publish_labelled(line)
            if found is not None:
                return found
        first: tuple[str, str] | None = None
        for line in group:
            found = _stamp_date(line)
            if found is None:
                continue
            if DATE_LABEL.search(line):
                return found
            if first is None:
                first = found
        if first is not None:
            return first
    return None
