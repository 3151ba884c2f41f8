import random

import pytest
from scrapy.utils.test import get_crawler

from fanwen_crawler.corpus.dedupe import (
    LSH_PARAMS,
    DuplicateIndex,
    content_hash,
    deserialise_minhash,
    minhash_of,
    serialise_minhash,
    shingles,
)
from fanwen_crawler.items import ArticleItem
from pipelines.dedupe import DedupePipeline
from tests.conftest import crawler_with_corpus

# A few thousand common-ish Han characters; random sentences over them share few shingles.
HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def sentence(rng: random.Random) -> str:
    return "".join(rng.choices(HAN, k=rng.randint(15, 30))) + rng.choice("。，；！")


def text(rng: random.Random, chars: int = 1000) -> list[str]:
    sentences = []
    while sum(map(len, sentences)) < chars:
        sentences.append(sentence(rng))
    return sentences


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def entry(url: str, body: str):
    return url, content_hash(body), minhash_of(body)


def test_content_hash_ignores_whitespace():
    assert content_hash("职业 教育\n工作") == content_hash("职业教育工作")
    assert content_hash("职业教育工作") != content_hash("职业教育工做")
    assert len(content_hash("x")) == 64


def test_shingles_are_characters_without_whitespace():
    assert shingles("一二三 四五六", k=5) == {"一二三四五", "二三四五六"}
    assert shingles("一二", k=5) == {"一二"}
    assert shingles(" \n") == set()


def test_signature_roundtrip():
    m = minhash_of("大力发展职业教育，深化产教融合。" * 20)
    data = serialise_minhash(m)
    assert len(data) == 4 * 128
    assert deserialise_minhash(data).jaccard(m) == 1.0


def test_exact_repost_is_found():
    body = "".join(text(random.Random(1)))
    index = DuplicateIndex()
    index.add(*entry("http://a.cn/1", body))
    assert index.find(*entry("http://b.cn/9", body.replace("。", "。\n"))) == ("http://a.cn/1", 1.0)


def test_near_duplicate_with_one_sentence_changed():
    rng = random.Random(2)
    sentences = text(rng)
    changed = list(sentences)
    changed[len(changed) // 2] = sentence(rng)
    original, repost = "".join(sentences), "".join(changed)
    assert 0.85 < jaccard(original, repost) < 1.0
    index = DuplicateIndex()
    index.add(*entry("http://a.cn/1", original))
    match = index.find(*entry("http://b.cn/2", repost))
    assert match is not None
    assert match[0] == "http://a.cn/1" and 0.8 <= match[1] < 1.0


def test_unrelated_texts_are_not_matched():
    rng = random.Random(3)
    index = DuplicateIndex()
    for i in range(300):
        index.add(*entry(f"http://a.cn/{i}", "".join(text(rng))))
    assert all(index.find(*entry(f"http://b.cn/{i}", "".join(text(rng)))) is None
               for i in range(100))


def test_same_url_is_never_its_own_duplicate():
    body = "".join(text(random.Random(4)))
    index = DuplicateIndex()
    index.add(*entry("http://a.cn/1", body))
    assert index.find(*entry("http://a.cn/1", body)) is None
    assert index.find(*entry("http://a.cn/1", body + "补充一句。")) is None


def test_recall_at_jaccard_0_8():
    """≥95% of generated pairs with true shingle Jaccard in [0.80, 0.83] are found."""
    rng = random.Random(5)
    pairs = []
    while len(pairs) < 200:
        sentences = text(rng)
        changed = list(sentences)
        order = list(range(len(sentences)))
        rng.shuffle(order)
        original = "".join(sentences)
        for i in order:
            changed[i] = sentence(rng)
            j = jaccard(original, "".join(changed))
            if j < 0.83:
                break
        if 0.80 <= j < 0.83:
            pairs.append((original, "".join(changed)))
    index = DuplicateIndex()
    for n, (original, _) in enumerate(pairs):
        index.add(*entry(f"http://a.cn/{n}", original))
    found = sum(index.find(*entry(f"http://b.cn/{n}", repost)) is not None
                and index.find(*entry(f"http://b.cn/{n}", repost))[0] == f"http://a.cn/{n}"
                for n, (_, repost) in enumerate(pairs))
    assert found / len(pairs) >= 0.95, (found, LSH_PARAMS)


def item(url: str, body: str) -> ArticleItem:
    return ArticleItem(url=url, site="a.cn", title="t", body=body)


def test_pipeline_marks_exact_and_near_and_chains_point_to_first():
    rng = random.Random(6)
    sentences = text(rng)
    a = "".join(sentences)
    b_sentences = list(sentences)
    b_sentences[3] = sentence(rng)
    b = "".join(b_sentences)
    crawler = get_crawler()
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    first = pipeline.process_item(item("http://a.cn/1", a))
    assert first.duplicate_of_url is None and first.content_hash == content_hash(a)
    assert isinstance(first.minhash, bytes)
    near = pipeline.process_item(item("http://b.cn/2", b))
    assert near.duplicate_of_url == "http://a.cn/1" and 0.8 <= near.similarity < 1.0
    # C is an exact copy of B (the near duplicate): it points at A, the first-stored one.
    exact = pipeline.process_item(item("http://c.cn/3", b))
    assert (exact.duplicate_of_url, exact.similarity) == ("http://a.cn/1", 1.0)
    recrawl = pipeline.process_item(item("http://a.cn/1", a))
    assert recrawl.duplicate_of_url is None
    assert crawler.stats.get_value("fanwen/dedupe/near") == 1
    assert crawler.stats.get_value("fanwen/dedupe/exact") == 1


def test_pipeline_loads_stored_articles(tmp_path):
    from fanwen_crawler.corpus.storage import open_corpus

    rng = random.Random(7)
    sentences = text(rng)
    body = "".join(sentences)
    sentences[5] = sentence(rng)
    variant = "".join(sentences)
    db = tmp_path / "corpus.db"
    first_run = DedupePipeline()
    stored = [first_run.process_item(item("http://a.cn/1", body)),
              first_run.process_item(item("http://b.cn/2", body))]
    with open_corpus(db) as corpus:
        corpus.write_articles(stored)
    crawler = crawler_with_corpus(db)
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    crawler.corpus.close()
    assert len(pipeline.index) == 2
    recrawl = pipeline.process_item(item("http://a.cn/1", body))
    assert recrawl.duplicate_of_url is None
    repost = pipeline.process_item(item("http://c.cn/5", body))
    assert (repost.duplicate_of_url, repost.similarity) == ("http://a.cn/1", 1.0)
    near = pipeline.process_item(item("http://d.cn/6", variant))
    assert near.duplicate_of_url == "http://a.cn/1"
    assert crawler.stats.get_value("fanwen/dedupe/exact") == 1
    assert crawler.stats.get_value("fanwen/dedupe/near") == 1


def test_no_corpus_loads_nothing():
    pipeline = DedupePipeline.from_crawler(get_crawler())
    pipeline.open_spider()
    assert pipeline.corpus is None and len(pipeline.index) == 0


@pytest.mark.parametrize("params", [LSH_PARAMS])
def test_lsh_candidate_probability_at_threshold(params):
    b, r = params
    assert 1 - (1 - 0.8**r) ** b >= 0.98


def test_band_index_candidates_share_a_whole_band():
    import numpy as np

    from fanwen_crawler.corpus.dedupe import BandIndex

    index = BandIndex(3, 2, num_perm=8)
    a = np.arange(8, dtype=np.uint32)
    b = a.copy()
    b[[0, 2]] = 99  # bands 0 and 1 differ, band 2 (values 4, 5) is shared
    c = a.copy()
    c[[0, 2, 4]] = 77  # every band differs
    index.insert(0, index.keys(a))
    index.insert(1, index.keys(a))  # a second row in the same buckets
    assert index.query(index.keys(b)) == {0, 1}
    assert index.query(index.keys(c)) == set()
    with pytest.raises(ValueError):
        BandIndex(9, 4, num_perm=32)


def test_signatures_are_stable_across_processes():
    # Stored signatures are compared with new ones in later runs: no per-process hash seed.
    import subprocess
    import sys

    body = "大力发展职业教育，深化产教融合。" * 20
    code = ("from fanwen_crawler.corpus.dedupe import minhash_of, serialise_minhash; "
            f"print(serialise_minhash(minhash_of({body!r})).hex())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert bytes.fromhex(out.stdout.strip()) == serialise_minhash(minhash_of(body))


def test_signature_estimates_jaccard():
    rng = random.Random(8)
    sentences = text(rng, 2000)
    changed = list(sentences)
    for i in range(0, len(changed), 5):
        changed[i] = sentence(rng)
    a, b = "".join(sentences), "".join(changed)
    assert abs(minhash_of(a).jaccard(minhash_of(b)) - jaccard(a, b)) < 0.1


def test_dedupe_imports_neither_datasketch_nor_scipy():
    import subprocess
    import sys

    code = ("import sys, pipelines.dedupe; "
            "print([m for m in ('datasketch', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_signature_values_are_pinned():
    # Stored signatures are only comparable with new ones if rensa hashes exactly as when
    # they were made: a rensa upgrade that changes this needs a storage migration like 4.
    from rensa import RMinHash

    assert RMinHash.ALGORITHM_VERSION == 2
    values = minhash_of("大力发展职业教育，深化产教融合。").hashvalues[:4].tolist()
    assert values == [3311873951, 3235471223, 3273799802, 2099948058]
