import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from fanwen_crawler.items import ArticleItem
from pipelines.validate import (
    ValidatePipeline,
    announced_sections,
    sections_mismatch,
    validate_article,
)

BODY = "各位领导、同志们：现将本人一年来的工作情况汇报如下，请予审议。" * 3


def article(**kw):
    fields = {"url": "https://www.example.cn/zj/1.html", "site": "www.example.cn",
              "title": "年度工作总结", "body": BODY}
    return ArticleItem(**{**fields, **kw})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"published_at": "2023-08-11T15:33:05"}, None),
        ({"published_at": "2020-12-25"}, None),
        ({"body": ""}, "empty_body"),
        ({"body": " \n\u3000 "}, "empty_body"),
        ({"body": "太短了。"}, "short_body"),
        ({"title": " "}, "no_title"),
        ({"url": "/zj/1.html"}, "bad_url"),
        ({"url": "ftp://example.cn/1"}, "bad_url"),
        ({"published_at": "2023年8月11日"}, "bad_date"),
        ({"published_at": "2023-13-01"}, "bad_date"),
    ],
)
def test_reasons(changes, reason):
    assert validate_article(article(**changes)) == reason


def test_min_body_chars_counts_non_whitespace():
    assert validate_article(article(body="一二三 四五"), min_body_chars=5) is None
    assert validate_article(article(body="一二三 四"), min_body_chars=5) == "short_body"


def test_pipeline_drops_with_reason_and_counts():
    crawler = get_crawler(settings_dict={"FANWEN_MIN_BODY_CHARS": 10})
    pipeline = ValidatePipeline.from_crawler(crawler)
    ok = article(body="一二三四五六七八九十")
    assert pipeline.process_item(ok) is ok
    with pytest.raises(DropItem, match="short_body"):
        pipeline.process_item(article(body="一二三"))
    assert crawler.stats.get_value("fanwen/validate/dropped/short_body") == 1


def test_default_min_body_chars():
    pipeline = ValidatePipeline.from_crawler(get_crawler())
    assert pipeline.min_body_chars == 50


@pytest.mark.parametrize(
    ("title", "count"),
    [("年度工作总结(精选3篇)", 3), ("入党申请书范文（通用14篇）", 14), ("心得体会【十二篇】", 12),
     ("述职报告（两篇）", 2), ("在全市职业教育工作会议上讲话", None), ("第3篇", None)],
)
def test_announced_sections(title: str, count: int | None) -> None:
    assert announced_sections(title) == count


def test_sections_mismatch_is_reported_not_dropped() -> None:
    from fanwen_crawler.items import Section

    body = "正文内容。" * 30
    item = ArticleItem(url="http://x.cn/1.html", site="x.cn", title="工作总结(精选3篇)", body=body,
                       paragraphs=[body], sections=[Section(heading="篇一", paragraphs=[body]),
                                                    Section(heading="篇二", paragraphs=[body])])
    assert sections_mismatch(item) == "title announces 3 essays, 2 sections found"
    crawler = get_crawler(settings_dict={})
    crawler.stats.open_spider()
    assert ValidatePipeline.from_crawler(crawler).process_item(item) is item
    assert crawler.stats.get_value("fanwen/validate/sections_mismatch") == 1
    item.sections.append(Section(heading="篇三", paragraphs=[body]))
    assert sections_mismatch(item) is None
