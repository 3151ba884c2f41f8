import random

import pytest
from scrapy.utils.test import get_crawler

from fanwen_crawler.corpus.dedupe import (
    LSH_PARAMS,
    MIN_BANDS,
    PAGE_CACHE_KIB,
    DuplicateFinder,
    Probe,
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


class Index:
    """The in-memory finder, addressed by (url, body) like the old DuplicateIndex tests."""

    def __init__(self) -> None:
        self.finder = DuplicateFinder()

    def add(self, url: str, body: str, duplicate_of: str | None = None) -> None:
        self.finder.recent.add(Probe(url, body), duplicate_of)

    def find(self, url: str, body: str):
        match = self.finder.match(Probe(url, body))
        return None if match is None else (match.url, match.similarity)


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
    index = Index()
    index.add("http://a.cn/1", body)
    assert index.find("http://b.cn/9", body.replace("。", "。\n")) == ("http://a.cn/1", 1.0)


def test_near_duplicate_with_one_sentence_changed():
    rng = random.Random(2)
    sentences = text(rng)
    changed = list(sentences)
    changed[len(changed) // 2] = sentence(rng)
    original, repost = "".join(sentences), "".join(changed)
    assert 0.85 < jaccard(original, repost) < 1.0
    index = Index()
    index.add("http://a.cn/1", original)
    match = index.find("http://b.cn/2", repost)
    assert match is not None
    assert match[0] == "http://a.cn/1" and 0.8 <= match[1] < 1.0


def test_unrelated_texts_are_not_matched():
    rng = random.Random(3)
    index = Index()
    for i in range(300):
        index.add(f"http://a.cn/{i}", "".join(text(rng)))
    assert all(index.find(f"http://b.cn/{i}", "".join(text(rng))) is None
               for i in range(100))


def test_same_url_is_never_its_own_duplicate():
    body = "".join(text(random.Random(4)))
    index = Index()
    index.add("http://a.cn/1", body)
    assert index.find("http://a.cn/1", body) is None
    assert index.find("http://a.cn/1", body + "补充一句。") is None


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
    index = Index()
    for n, (original, _) in enumerate(pairs):
        index.add(f"http://a.cn/{n}", original)
    found = sum(index.find(f"http://b.cn/{n}", repost) is not None
                and index.find(f"http://b.cn/{n}", repost)[0] == f"http://a.cn/{n}"
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
    assert len(pipeline.finder.recent) == 0  # nothing loaded: lookups go to the database
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
    assert pipeline.corpus is None and len(pipeline.finder.recent) == 0


def candidate_probability(j: float, bands: int, rows: int, min_bands: int) -> float:
    from math import comb

    q = j**rows
    return 1 - sum(comb(bands, k) * q**k * (1 - q) ** (bands - k) for k in range(min_bands))


def test_lsh_candidate_probability_at_threshold():
    b, r = LSH_PARAMS
    assert candidate_probability(0.8, b, r, MIN_BANDS) >= 0.995
    assert candidate_probability(0.75, b, r, MIN_BANDS) >= 0.97
    # Texts that only share common phrases are rarely candidates (each costs a read).
    assert candidate_probability(0.3, b, r, MIN_BANDS) <= 0.01


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
    assert index.query(index.keys(b), min_bands=2) == set()
    assert index.query(index.keys(a), min_bands=3) == {0, 1}
    assert index.query(index.keys(c)) == set()
    with pytest.raises(ValueError):
        BandIndex(9, 4, num_perm=32)


def _edit_to_jaccard(rng: random.Random, lo: float, hi: float) -> tuple[str, str] | None:
    sentences = text(rng)
    original, changed = "".join(sentences), list(sentences)
    order = list(range(len(sentences)))
    rng.shuffle(order)
    for i in order:
        changed[i] = sentence(rng)
        j = jaccard(original, "".join(changed))
        if j < hi:
            return (original, "".join(changed)) if j >= lo else None
    return None


def test_pairs_below_the_threshold_are_never_marked(tmp_path):
    # The MinHash estimate of a J≈0.75 pair is ≥ 0.8 about a tenth of the time; the exact
    # 5-shingle Jaccard decides, so none of these may be marked, in memory or from the DB.
    from fanwen_crawler.corpus.storage import open_corpus

    rng = random.Random(9)
    pairs = []
    while len(pairs) < 60:
        if pair := _edit_to_jaccard(rng, 0.70, 0.80):
            pairs.append(pair)
    memory = DuplicateFinder()
    first = [item(f"http://a.cn/{n}", a) for n, (a, _) in enumerate(pairs)]
    for it in first:
        memory.mark(it)
    assert all(memory.mark(item(f"http://b.cn/{n}", b)) is None for n, (_, b) in enumerate(pairs))
    with open_corpus(tmp_path / "c.db") as corpus:
        corpus.write_articles(first)
        stored = DuplicateFinder(corpus.db.conn)
        assert all(stored.mark(item(f"http://c.cn/{n}", b)) is None
                   for n, (_, b) in enumerate(pairs))


def _bands(db) -> set[tuple[bytes, int]]:
    return {(bytes(k), i) for k, i in db.execute("select key, article_id from lsh_bands")}


def test_band_table_follows_the_signatures(tmp_path):
    from fanwen_crawler.corpus.dedupe import band_keys
    from fanwen_crawler.corpus.storage import open_corpus

    rng = random.Random(10)
    a, b = "".join(text(rng)), "".join(text(rng))
    finder = DuplicateFinder()
    one = item("http://a.cn/1", a)
    finder.mark(one)
    with open_corpus(tmp_path / "c.db") as corpus:
        corpus.write_articles([one])
        (article_id,) = corpus.db.execute("select id from articles").fetchone()
        assert _bands(corpus.db) == {(k, article_id) for k in band_keys(one.minhash)}
        assert len(_bands(corpus.db)) == LSH_PARAMS[0]
        changed = item("http://a.cn/1", b)  # re-crawled with a new text: bands replaced
        finder.mark(changed)
        corpus.write_articles([changed])
        assert _bands(corpus.db) == {(k, article_id) for k in band_keys(changed.minhash)}
        with corpus.db.atomic():
            corpus.db.execute("delete from minhashes")
        assert _bands(corpus.db) == set()


def test_migration_indexes_signatures_stored_before_it(tmp_path):
    import sqlite3

    from fanwen_crawler.corpus import schema
    from fanwen_crawler.corpus.dedupe import band_keys
    from fanwen_crawler.corpus.storage import open_corpus

    path = tmp_path / "old.db"
    body = "".join(text(random.Random(11)))
    signature = serialise_minhash(minhash_of(body))
    db = schema.Database(sqlite3.connect(path))
    db.execute("create table schema_migrations (version integer primary key, name text, "
               "applied_at text)")
    for version, m in enumerate(schema.MIGRATIONS._migrations[:4], 1):  # a legacy v4 corpus
        with db.atomic():
            db.execute("insert into schema_migrations values (?, ?, ?)", [version, "", ""])
            m.fn(db)
    with db.atomic():
        db.execute("insert into articles (id, url, title, body, content_hash) "
                   "values (7, 'http://a.cn/7', 't', ?, ?)", [body, content_hash(body)])
        db.execute("insert into minhashes values (7, ?)", [signature])
    db.close()
    with open_corpus(path) as corpus:
        assert _bands(corpus.db) == {(k, 7) for k in band_keys(signature)}
        probe = item("http://b.cn/1", body)
        assert DuplicateFinder(corpus.db.conn).mark(probe) == "exact"
        near = item("http://b.cn/2", body[:-20] + "改动了最后的几个字。")  # via the bands
        assert DuplicateFinder(corpus.db.conn).mark(near) == "near"
        assert near.duplicate_of_url == "http://a.cn/7"


def _corpus_at(path, last_migration: str):
    """A corpus file with our migrations applied up to and including `last_migration`."""
    import sqlite3

    from fanwen_crawler.corpus import schema

    db = schema.Database(sqlite3.connect(path))
    schema.MIGRATIONS.ensure_migrations_table(db)
    for m in schema.MIGRATIONS._migrations:
        with db.atomic():
            m.fn(db)
            db.table(schema.MIGRATIONS_TABLE).insert(
                {"migration_set": schema.MIGRATION_SET, "name": m.name, "applied_at": ""})
        if m.name == last_migration:
            return db
    raise AssertionError(last_migration)


def test_migration_rebands_a_12x4_corpus(tmp_path):
    # A corpus written with the 12-band layout of migration 0010 gets 16 bands per
    # signature; its articles are found again, and the new triggers keep the table.
    from fanwen_crawler.corpus.dedupe import band_keys
    from fanwen_crawler.corpus.storage import open_corpus

    path = tmp_path / "old.db"
    rng = random.Random(13)
    bodies = {i: "".join(text(rng)) for i in (3, 5)}
    db = _corpus_at(path, "0010_lsh_band_index")
    with db.atomic():
        for i, body in bodies.items():
            db.execute("insert into articles (id, url, title, body, content_hash) "
                       "values (?, ?, 't', ?, ?)", [i, f"http://a.cn/{i}", body, content_hash(body)])
            db.execute("insert into minhashes values (?, ?)",
                       [i, serialise_minhash(minhash_of(body))])
    old = _bands(db)
    assert len(old) == 2 * 12  # the old layout: 12 bands of the first 192 bytes
    db.close()
    signatures = {i: serialise_minhash(minhash_of(b)) for i, b in bodies.items()}
    with open_corpus(path) as corpus:
        assert _bands(corpus.db) == {(k, i) for i, s in signatures.items()
                                     for k in band_keys(s)}
        assert len(_bands(corpus.db)) == 2 * 16
        near = item("http://b.cn/2", bodies[5][:-20] + "改动了最后的几个字。")
        assert DuplicateFinder(corpus.db.conn).mark(near) == "near"
        assert near.duplicate_of_url == "http://a.cn/5"
        with corpus.db.atomic():
            corpus.db.execute("delete from minhashes where article_id = 3")
        assert _bands(corpus.db) == {(k, 5) for k in band_keys(signatures[5])}


def test_one_shared_band_is_no_stored_candidate(tmp_path):
    # A stored signature sharing exactly one band with the probe is not even read; sharing
    # two makes it a candidate (then the exact Jaccard decides).
    import numpy as np

    from fanwen_crawler.corpus.dedupe import find_stored
    from fanwen_crawler.corpus.storage import open_corpus

    rng = random.Random(14)
    body = "".join(text(rng))
    probe = Probe("http://b.cn/1", body)
    rows = LSH_PARAMS[1]
    with open_corpus(tmp_path / "c.db") as corpus:
        for n, shared in ((1, 1), (2, 2)):
            values = np.arange(1, 129, dtype=np.uint32) + 1000 * n  # shares no band
            values[: shared * rows] = probe.signature.hashvalues[: shared * rows]
            with corpus.db.atomic():
                corpus.db.execute("insert into articles (id, url, title, body) "
                                  "values (?, ?, 't', ?)", [n, f"http://a.cn/{n}", body])
                corpus.db.execute("insert into minhashes values (?, ?)",
                                  [n, values.astype("<u4").tobytes()])
        read = []
        corpus.db.conn.set_trace_callback(read.append)
        # Both are estimated far below the prefilter, so neither is marked either way.
        assert find_stored(corpus.db.conn, probe) is None
        corpus.db.conn.set_trace_callback(None)
        # Bound values appear in the traced statement: only article 2's signature is read.
        assert [q.split("WHERE", 1)[1] for q in read if "FROM minhashes" in q] == \
            [" article_id IN (2)"]


def test_concurrent_writers_see_each_others_commits(tmp_path):
    # Two crawls into one database: each marks what the other committed; and a copy both
    # looked up before either committed is marked at write time, inside the transaction.
    from fanwen_crawler.corpus.storage import open_corpus

    db = tmp_path / "c.db"
    open_corpus(db).close()
    rng = random.Random(12)
    bodies = ["".join(text(rng)) for _ in range(3)]
    crawlers = [crawler_with_corpus(db) for _ in range(2)]
    p1, p2 = (DedupePipeline.from_crawler(c) for c in crawlers)
    p1.open_spider()
    p2.open_spider()
    first = p1.process_item(item("http://one.cn/1", bodies[0]))
    with open_corpus(db) as corpus:
        corpus.write_articles([first])
    seen = p2.process_item(item("http://two.cn/1", bodies[0]))
    assert seen.duplicate_of_url == "http://one.cn/1"
    # Both look up bodies[1] before either stores it: neither sees the other.
    a = p1.process_item(item("http://one.cn/2", bodies[1]))
    b = p2.process_item(item("http://two.cn/2", bodies[1] + "另加一句不同的结尾。"))
    assert a.duplicate_of_url is None and b.duplicate_of_url is None
    with open_corpus(db) as one, open_corpus(db) as two:
        one.write_articles([a])
        two.write_articles([seen, b])
    rows = dict(sqlite3_rows(db, "select url, duplicate_of from articles"))
    ids = dict(sqlite3_rows(db, "select url, id from articles"))
    assert rows["http://two.cn/2"] == ids["http://one.cn/2"]
    assert rows["http://two.cn/1"] == ids["http://one.cn/1"]
    for crawler in crawlers:
        crawler.corpus.close()


def _band_reads_while_writing(corpus, items) -> int:
    statements: list[str] = []
    corpus.db.conn.set_trace_callback(statements.append)
    try:
        corpus.write_articles(items)
    finally:
        corpus.db.conn.set_trace_callback(None)
    return sum("FROM lsh_bands" in q for q in statements)


def test_write_time_recheck_only_after_another_writer_committed(tmp_path):
    # The store's lookup inside the write transaction is skipped while no other connection
    # has committed since the finder looked; once one has, it runs and marks the copy.
    from fanwen_crawler.corpus.storage import open_corpus

    rng = random.Random(15)
    bodies = ["".join(text(rng)) for _ in range(3)]
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus, open_corpus(db) as other:
        finder = DuplicateFinder(corpus.db.conn)
        first = item("http://a.cn/0", bodies[0])
        assert finder.mark(first) is None
        assert _band_reads_while_writing(corpus, [first]) == 0  # nobody else wrote
        late = item("http://a.cn/1", bodies[1])
        assert finder.mark(late) is None  # looked up before the other's copy is stored
        copy = item("http://b.cn/1", bodies[1] + "另一个结尾。")
        DuplicateFinder().mark(copy)
        other.write_articles([copy])
        assert _band_reads_while_writing(corpus, [late]) == 1
        assert dict(corpus.db.execute("select url, duplicate_of from articles"))[
            "http://a.cn/1"] is not None
        unseen = item("http://a.cn/2", bodies[2])  # not looked up by this finder
        DuplicateFinder().mark(unseen)
        assert _band_reads_while_writing(corpus, [unseen]) == 1


def test_two_finders_on_one_connection_always_recheck(tmp_path):
    from fanwen_crawler.corpus.storage import open_corpus

    rng = random.Random(16)
    with open_corpus(tmp_path / "c.db") as corpus:
        one, two = DuplicateFinder(corpus.db.conn), DuplicateFinder(corpus.db.conn)
        a, b = item("http://a.cn/1", "".join(text(rng))), item("http://a.cn/2", "".join(text(rng)))
        one.mark(a)
        two.mark(b)
        assert _band_reads_while_writing(corpus, [a, b]) == 2
        assert corpus.db.execute("pragma cache_size").fetchone()[0] <= -PAGE_CACHE_KIB


def sqlite3_rows(db, sql):
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


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
