"""Text clean-up helpers: whitespace, zero-width chars, entities, NFC, watermarks."""

from __future__ import annotations

import pytest

from fanwen_crawler.extractors.text import clean_text, remove_watermarks, title_key


@pytest.mark.parametrize(("raw", "want"), [
    ("\u3000\u3000今天我们召开大会。", "今天我们召开大会。"),
    ("\xa0\xa0\t同志们： \n", "同志们："),
    ("做好\u200b各项\u200d工作\ufeff", "做好各项工作"),
    ("A&amp;B&nbsp;公司", "A&B 公司"),
    ("e\u0301", "\u00e9"),
    ("全角标点，：（！？）保留", "全角标点，：（！？）保留"),
    ("ＡＢＣ１２３", "ＡＢＣ１２３"),
])
def test_clean_text(raw: str, want: str) -> None:
    assert clean_text(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("做 m.example.com 好各项", "做好各项"),
    ("为做好www.fwsir.cn工作", "为做好工作"),
    ("本站xxx.cn提供", "本站提供"),
    ("请访问 https://www.gov.cn 了解", "请访问了解"),
    ("Visit www.example.com today.", "Visit www.example.com today."),
    ("版本3.5.1发布", "版本3.5.1发布"),
])
def test_remove_watermarks(raw: str, want: str) -> None:
    assert remove_watermarks(raw) == want


def test_title_key_ignores_punctuation_and_case() -> None:
    assert title_key("2023年 工作总结（精选）!") == title_key("2023年工作总结(精选)")
