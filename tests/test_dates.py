"""Date parsing: ISO 8601 as precise as the page states, raw kept."""

from __future__ import annotations

import pytest

from fanwen_crawler.extractors.dates import find_labelled_date, parse_date, parse_year_month


@pytest.mark.parametrize(("text", "iso", "raw"), [
    ("时间:2023-08-11 15:33:05来源:百花范文网", "2023-08-11T15:33:05", "2023-08-11 15:33:05"),
    ("2023年08月11日", "2023-08-11", "2023年08月11日"),
    ("发布日期：2023/05/28", "2023-05-28", "2023/05/28"),
    ("2020-12-25", "2020-12-25", "2020-12-25"),
    ("2005-5-7 21:23:57", "2005-05-07T21:23:57", "2005-5-7 21:23:57"),
    ("2023-08-11T15:33:05+08:00", "2023-08-11T15:33:05+08:00", "2023-08-11T15:33:05+08:00"),
    ("2023-08-11T07:33:05Z", "2023-08-11T07:33:05+00:00", "2023-08-11T07:33:05Z"),
    ("2023年8月1日 9时5分", "2023-08-01T09:05", "2023年8月1日 9时5分"),
    ("2022.01.20 16:31", "2022-01-20T16:31", "2022.01.20 16:31"),
    ("更新 2004-09-17 5:54:13 浏览", "2004-09-17T05:54:13", "2004-09-17 5:54:13"),
])
def test_parse_date(text: str, iso: str, raw: str) -> None:
    assert parse_date(text) == (iso, raw)


@pytest.mark.parametrize("text", ["2023-02-30", "电话 12345678", "1850-01-01", "", "第2023期"])
def test_no_date(text: str) -> None:
    assert parse_date(text) is None


def test_invalid_time_keeps_the_day() -> None:
    assert parse_date("2020-12-25 99:99") == ("2020-12-25", "2020-12-25")


def test_year_month() -> None:
    assert parse_year_month("写于1998年3月") == ("1998-03", "1998年3月")


def test_labelled_date_wins() -> None:
    lines = ["专题 2019-01-01", "发布时间：2023-08-11 10:00"]
    assert find_labelled_date(lines) == ("2023-08-11T10:00", "2023-08-11 10:00")
