"""Decoding: HTTP charset, BOM, <meta>, detection, and never crashing."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanwen_crawler.extractors.decoding import decode_html, normalise_codec

TEXT = "各位领导：我校始终坚持“安全第一，预防为主”的方针，确保校园平安。" * 20


def _page(meta: str, body: str) -> str:
    return f"<html><head>{meta}<title>测试</title></head><body><p>{body}</p></body></html>"


def test_gbk_declared_only_in_meta() -> None:
    raw = _page('<meta http-equiv="Content-Type" content="text/html; charset=gbk">', TEXT)
    text, codec = decode_html(raw.encode("gbk"))
    assert codec == "gb18030"
    assert TEXT in text


def test_gb2312_declaration_decodes_gb18030_only_characters() -> None:
    rare = "𠀀㐀䶮" + TEXT
    raw = _page('<meta charset="gb2312">', rare).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")
    text, codec = decode_html(raw, "text/html; charset=GB2312")
    assert codec == "gb18030"
    assert rare in text


def test_http_header_wins_over_meta() -> None:
    raw = _page('<meta charset="gbk">', TEXT).encode("utf-8")
    text, codec = decode_html(raw, "text/html; charset=utf-8")
    assert codec == "utf-8" and TEXT in text


def test_header_says_utf8_but_bytes_are_gbk() -> None:
    raw = _page("", TEXT).encode("gbk")
    text, codec = decode_html(raw, "text/html; charset=utf-8")
    assert codec == "gb18030"
    assert TEXT in text


def test_header_says_gbk_but_bytes_are_utf8() -> None:
    raw = _page("", TEXT).encode("utf-8")
    text, codec = decode_html(raw, "text/html; charset=gbk")
    assert codec == "utf-8" and TEXT in text


def test_latin1_header_is_not_trusted_for_cjk_bytes() -> None:
    raw = _page('<meta charset="gbk">', TEXT).encode("gbk")
    text, codec = decode_html(raw, "text/html; charset=ISO-8859-1")
    assert codec == "gb18030" and TEXT in text


@pytest.mark.parametrize(("bom", "codec"), [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
])
def test_bom(bom: bytes, codec: str) -> None:
    body = _page("", TEXT)
    raw = bom + (body.encode("utf-16-le") if codec == "utf-16" else body.encode("utf-8"))
    text, found = decode_html(raw)
    assert found == codec
    assert text.startswith("<html>") and TEXT in text


def test_undeclared_gbk_is_detected() -> None:
    text, codec = decode_html(_page("", TEXT).encode("gbk"))
    assert codec == "gb18030" and TEXT in text


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe\x81", bytes(range(256)) * 3, b"<html><p>\xe4\xb8"])
def test_garbage_never_crashes(raw: bytes) -> None:
    text, codec = decode_html(raw, "text/html; charset=nonsense-codec")
    assert isinstance(text, str) and codec


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "text/html", "text/html; charset=gbk",
                                                  "text/html; charset=utf-8"]))
def test_any_bytes_decode(raw: bytes, content_type: str | None) -> None:
    text, codec = decode_html(raw, content_type)
    assert isinstance(text, str) and codecs.lookup(codec)


@pytest.mark.parametrize(("name", "want"), [
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("x-gbk", "gb18030"), ("UTF8", "utf-8"),
    ("big5", "big5"), ("no-such", None), (None, None),
])
def test_normalise_codec(name: str | None, want: str | None) -> None:
    assert normalise_codec(name) == want


def test_utf8_declared_page_with_invalid_bytes_stays_utf8():
    # A UTF-8 page with a few broken bytes (truncated characters): not GB18030 mojibake.
    text = "<html><head><meta charset='utf-8'></head><body><p>" + "各位领导，现将工作汇报如下。" * 40
    body = text.encode("utf-8")
    broken = body[:300] + b"\xe5\x90" + body[300:600] + b"\xff\xfe\xfd" + body[600:]
    decoded, codec = decode_html(broken, "text/html; charset=utf-8")
    assert codec == "utf-8"
    assert "现将工作汇报如下" in decoded and decoded.count("\ufffd") >= 3


def test_utf8_declared_page_that_is_gb18030_throughout_is_gb18030():
    text = "<html><head><meta charset='utf-8'></head><body><p>" + "各位领导，现将工作汇报如下。" * 40
    decoded, codec = decode_html(text.encode("gb18030"), "text/html; charset=utf-8")
    assert codec == "gb18030" and "现将工作汇报如下" in decoded
