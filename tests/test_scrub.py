"""Personal-data scrubbing: placeholders, counts, and no false hits on ordinary numbers."""

from __future__ import annotations

from collections import Counter

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from fanwen_crawler.items import ArticleItem, Section
from pipelines.scrub import ScrubPipeline, scrub_text, valid_id_card

# A syntactically valid ID number (checksum correct) that belongs to nobody real.
VALID_ID = "11010519491231002X"


def test_valid_id_checksum() -> None:
    assert valid_id_card(VALID_ID)
    assert not valid_id_card("110105194912310021")


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("联系电话：13812345678，欢迎来电。", "联系电话：[电话]，欢迎来电。", "phone"),
        ("手机 +86 138-1234-5678。", "手机 [电话]。", "phone"),
        ("办公室电话0571-87654321转分机。", "办公室电话[电话]转分机。", "phone"),
        ("邮箱：zhang.san@example.com。", "邮箱：[邮箱]。", "email"),
        ("QQ：123456789，微信同号", "QQ：[QQ]，微信同号", "qq"),
        (f"身份证号码：{VALID_ID}。", "身份证号码：[身份证号]。", "id_card"),
    ],
)
def test_scrub_text_replaces_and_counts(text: str, expected: str, kind: str) -> None:
    counts: Counter[str] = Counter()
    assert scrub_text(text, counts) == expected
    assert counts == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "全年完成产值12345678901元，同比增长15%。",  # 11 digits not starting 1[3-9]
        "文号：国发〔2023〕12号，2023年08月11日印发。",
        "编号110105194912310021的档案（校验位不对，不是身份证号）。",
        "共计123456人次参加培训。",
    ],
)
def test_scrub_text_leaves_ordinary_numbers(text: str) -> None:
    counts: Counter[str] = Counter()
    assert scrub_text(text, counts) == text
    assert not counts


def _item() -> ArticleItem:
    paragraphs = ["甲方联系人电话13912345678。", "乙方邮箱li@example.cn，QQ号：87654321。"]
    return ArticleItem(url="http://x.cn/1.html", site="x.cn", title="合同", body="\n".join(paragraphs),
                       paragraphs=paragraphs,
                       sections=[Section(heading="篇一", paragraphs=["电话13912345678"])])


def test_pipeline_is_off_by_default() -> None:
    with pytest.raises(NotConfigured):
        ScrubPipeline.from_crawler(get_crawler(settings_dict={}))


def test_pipeline_scrubs_and_counts_in_stats() -> None:
    crawler = get_crawler(settings_dict={"FANWEN_SCRUB_PII": True})
    crawler.stats.open_spider()
    item = ScrubPipeline.from_crawler(crawler).process_item(_item())
    assert item.body == "甲方联系人电话[电话]。\n乙方邮箱[邮箱]，QQ号：[QQ]。"
    assert item.sections[0].paragraphs == ["电话[电话]"]
    stats = crawler.stats.get_stats()
    assert stats["fanwen/scrub/phone"] == 2
    assert stats["fanwen/scrub/email"] == 1
    assert stats["fanwen/scrub/qq"] == 1
    assert stats["fanwen/scrub/articles"] == 1
