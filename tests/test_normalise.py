from hypothesis import given
from hypothesis import strategies as st

from fanwen_crawler.items import ArticleItem, Section
from pipelines.normalise import NormalisePipeline, normalise_paragraphs, normalise_text


def test_keeps_chinese_fullwidth_punctuation():
    s = "一、总体要求：坚持（守正创新）！是否？完成。“好”《方案》，"
    assert normalise_text(s) == s


def test_fullwidth_letters_and_digits_are_kept_as_the_extractor_prints_them():
    assert normalise_text("ＡＢＣ１２３ａｂｃ年") == "ＡＢＣ１２３ａｂｃ年"


def test_strips_zero_width_characters():
    assert normalise_text("\ufeff职业\u200b教\u200c育\u200d工作\u2060") == "职业教育工作"


def test_ideographic_space_nbsp_and_tabs_become_one_space():
    assert normalise_text("\u3000\u3000各位领导：\u00a0\t 大家好\u3000") == "各位领导： 大家好"


def test_html_entities_and_nfc():
    assert normalise_text("A&amp;B&nbsp;C &#8220;x&#8221;") == "A&B C “x”"
    assert normalise_text("e\u0301") == "\u00e9"


def test_paragraphs_drop_empty():
    assert normalise_paragraphs(["\u3000\u3000第一段。", " ", "\u200b", "第二段"]) == ["第一段。", "第二段"]


@given(st.text())
def test_idempotent(s):
    once = normalise_text(s)
    assert normalise_text(once) == once


def test_pipeline_normalises_article_fields_and_rejoins_body():
    item = ArticleItem(
        url="http://example.cn/a/1.html", site="example.cn",
        title="\u3000２０２３年工作总结\u200b", body="ignored",
        paragraphs=["\u3000\u3000第一段，好。", "", "第二段！"],
        sections=[Section(heading="篇一：总结\u3000", paragraphs=["甲", " "])],
        source=" 本站\u3000", author="\u200b", category="总结\t", tags=["总结 ", "总结", " "],
    )
    out = NormalisePipeline().process_item(item)
    assert out.title == "２０２３年工作总结"
    assert out.paragraphs == ["第一段，好。", "第二段！"]
    assert out.body == "第一段，好。\n第二段！"
    assert out.sections[0].heading == "篇一：总结" and out.sections[0].paragraphs == ["甲"]
    assert (out.source, out.author, out.category, out.tags) == ("本站", None, "总结", ["总结"])


@given(st.text())
def test_storage_keeps_what_the_extractor_prints(s):
    # One normaliser: a paragraph as `fanwen extract` prints it is stored unchanged.
    from fanwen_crawler.extractors.text import clean_text

    assert normalise_text(clean_text(s)) == clean_text(s)


def test_zero_width_set_is_the_extractors():
    from fanwen_crawler.extractors.text import ZERO_WIDTH, ZERO_WIDTH_CHARS, clean_text

    assert normalise_text("a\u00adb") == clean_text("a\u00adb") == "ab"  # soft hyphen too
    assert {c for c in map(chr, range(0x10000)) if ZERO_WIDTH.fullmatch(c)} == set(ZERO_WIDTH_CHARS)
