import jieba
import pytest

from fanwen_crawler.corpus.keywords import KeywordExtractor, compute_keywords, load_stop_words
from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.items import ArticleItem

VOCATIONAL = (
    "同志们，我们要进一步加强职业教育工作。大力发展职业教育，深化产教融合、校企合作，"
    "推进职业院校教学改革，提高技术技能人才培养质量。职业教育是国民教育体系和人力资源开发的"
    "重要组成部分，要完善现代职业教育体系，加强双师型教师队伍建设，推动实训基地建设，"
    "健全职业技能等级证书制度，让更多青年凭借一技之长实现人生价值。"
)
TEXTS = [
    VOCATIONAL,
    "各位领导：本人任党支部书记以来，认真履行全面从严治党主体责任，抓好党风廉政建设，"
    "组织党员学习党章党规，开展主题党日活动和批评与自我批评，落实三会一课制度，"
    "严格执行中央八项规定精神，加强廉洁自律教育，推动基层党组织标准化规范化建设。",
    "今年以来，我镇围绕乡村振兴战略，发展特色种植和乡村旅游，完善农村道路、饮水和电网等"
    "基础设施，改善人居环境，推进垃圾分类和厕所革命，培育新型农业经营主体，"
    "带动农民增收致富，巩固拓展脱贫攻坚成果，村集体经济收入稳步增长。",
]


@pytest.fixture(scope="module")
def extractor():
    return KeywordExtractor()


def test_vocational_keywords_and_no_stop_words(extractor):
    keywords = extractor.extract(VOCATIONAL, topk=10)
    words = [w for w, _ in keywords]
    assert len(words) == 10
    assert "职业教育" in words or "教育" in words
    assert not set(words) & load_stop_words()
    assert not {"同志们", "进一步", "工作", "我们", "加强"} & set(words)
    weights = [w for _, w in keywords]
    assert weights == sorted(weights, reverse=True)


def test_numbers_are_not_keywords(extractor):
    assert all(not w.isdigit() for w, _ in extractor.extract("2023年全市职业教育在校生3万人，2024年达到4万人。"))


def test_stop_words_include_jieba_defaults():
    assert {"the", "同志们", "进一步", "工作", "我们", "加强"} <= load_stop_words()


def test_jieba_global_tokenizer_untouched(extractor):
    extractor.extract(VOCATIONAL)
    assert jieba.dt.initialized is False


def test_user_words_are_honoured(extractor):
    # rjieba's stock dictionary splits these; userdict.txt joins them.
    words = extractor.cut("深化产教融合，推进校企合作，加强党风廉政建设。")
    assert {"产教融合", "校企合作", "党风廉政建设"} <= set(words)
    assert "产教融合" in extractor.cut_for_search("深化产教融合")


def test_keyword_stage_needs_no_jieba_import():
    # jieba (~100 MB, ~1 s) is for TextRank only: the keyword stage and the index use rjieba.
    import subprocess
    import sys

    code = ("import sys; from fanwen_crawler.corpus.keywords import KeywordExtractor; "
            "from fanwen_crawler.corpus.search_index import segment; "
            "print(KeywordExtractor().extract('加强职业教育工作')); segment('职业教育'); "
            "print('jieba' in sys.modules, 'rjieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert "职业教育" in out[0]
    assert out[1] == "False False"  # rjieba's package __init__ (a 33 MB default) is skipped


def _corpus(path, n):
    with open_corpus(path) as corpus:
        corpus.write_articles([
            ArticleItem(url=f"https://www.example.cn/{i}.html", site="www.example.cn",
                        title=f"范文{i}", body=TEXTS[i % len(TEXTS)])
            for i in range(n)
        ])


@pytest.mark.parametrize("workers", [0, 2])
def test_compute_keywords_fills_every_article(tmp_path, workers):
    db = tmp_path / "c.db"
    _corpus(db, 12)
    assert compute_keywords(db, workers=workers, batch_size=5) == 12
    with open_corpus(db) as corpus:
        counts = corpus.db.execute(
            "SELECT a.id, count(k.keyword) FROM articles a LEFT JOIN keywords k "
            "ON k.article_id = a.id AND k.method = 'tfidf' GROUP BY a.id"
        ).fetchall()
        assert len(counts) == 12 and all(c >= 10 for _, c in counts)
        assert compute_keywords(corpus) == 0  # only_missing: nothing left
        assert compute_keywords(corpus, only_missing=False, progress=True) == 12
        first = corpus.db.execute("SELECT keyword FROM keywords WHERE article_id = 1").fetchall()
        assert ("职业教育",) in first
        assert len(corpus.summary()["top_keywords"]) == 20
    assert jieba.dt.initialized is False


def test_idf_table_answers_as_a_dict_would():
    from fanwen_crawler.corpus.keywords import IdfTable

    pairs = [(f"词{i}", i / 7) for i in range(5000)]
    table = IdfTable(pairs, capacity=1 << 13)
    assert all(table.get(w, -1.0) == v for w, v in pairs)
    assert table.get("不在表中", 3.5) == 3.5 and len(table) == 5000
    assert table.median() == sorted(v for _, v in pairs)[2500]
    table = IdfTable([("甲", 1.0), ("甲", 2.0)], capacity=4)  # a repeated word: the last wins
    assert len(table) == 1 and table.get("甲", 0.0) == 2.0
    with pytest.raises(ValueError, match="full"):
        IdfTable(pairs, capacity=1 << 12)
