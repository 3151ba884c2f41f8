"""The `fanwen` command line: a thin click layer over the library API.

Each command parses options, calls one library function, prints the result, and
turns our exceptions into a clear message and a documented exit code. Heavy
imports (Scrapy, jieba) happen inside the commands that need them, so
`fanwen extract` and `fanwen --help` start fast.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import click

from fanwen_crawler.flags import DEFAULT_DB, click_options

FETCH_TIMEOUT = 30


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fanwen-crawler")
def main() -> None:
    """Crawl Chinese 范文 portals into a clean, deduplicated SQLite corpus."""


@main.command()
@click.argument("start_urls", nargs=-1)
@click_options
def crawl(start_urls: tuple[str, ...], **flags: Any) -> None:
    """Crawl the portal(s) at START_URLS into the corpus.

    Works on portals it has never seen: finds list pages and their pagination,
    article pages and their continuation pages, and stays on the start URL's site.
    Exit codes: 0 ok, 1 nothing fetched, 2 usage, 3 database, 4 interrupted.
    """
    for url in start_urls:
        if not url.startswith(("http://", "https://")):
            _fail(f"not an http(s) URL: {url}", 2)
    from fanwen_crawler.crawl import CrawlSetupError, run_crawl
    from fanwen_crawler.profiles import ProfileError
    from fanwen_crawler.report import format_crawl_summary

    progress = sys.stderr.isatty() and not flags["quiet"]
    if flags["log_level"] is None:
        flags["log_level"] = "WARNING" if progress or flags["quiet"] else "INFO"
    try:
        result = run_crawl(start_urls, progress=progress, **flags)
    except ProfileError as exc:
        _fail(str(exc), 2)
    except CrawlSetupError as exc:
        _fail(str(exc), exc.exit_code)
    click.echo(format_crawl_summary(result, str(flags["db_path"])))
    if result.exit_code:
        click.echo(f"Error: crawl failed ({result.finish_reason}); nothing was fetched"
                   if result.exit_code == 1 else f"crawl stopped: {result.finish_reason}",
                   err=True)
    sys.exit(result.exit_code)


@main.command()
@click.argument("shards", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Corpus to merge into (created if missing).")
@click.option("--no-keywords", is_flag=True, help="Skip computing keywords afterwards.")
def merge(shards: tuple[Path, ...], into: Path, no_keywords: bool) -> None:
    """Merge shard databases of distributed workers into one corpus.

    Articles are deduplicated across shards (exact and near duplicates point at the
    article crawled first); merging a shard twice changes nothing.
    """
    from fanwen_crawler.corpus.merge import merge_shards
    from fanwen_crawler.corpus.storage import CorpusError

    try:
        result = merge_shards(list(shards), into)
    except CorpusError as exc:
        _fail(str(exc), 3)
    click.echo(f"merged {result.read} articles from {result.shards} shards into {into}: "
               f"{result.inserted} new, {result.updated} updated, {result.unchanged} unchanged; "
               f"duplicates exact {result.exact}, near {result.near}; "
               f"{result.errors} errors copied")
    if not no_keywords:
        from fanwen_crawler.corpus.keywords import compute_keywords

        done = compute_keywords(into, progress=sys.stderr.isatty())
        click.echo(f"keywords computed for {done} articles")


@main.command()
@click.option("--url", default="http://127.0.0.1:6800/", show_default=True,
              help="scrapyd to deploy to (scrapy.cfg [deploy] url).")
@click.option("--version", "version", help="Egg version (default: a timestamp).")
@click.option("--egg-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dist"), show_default=True, help="Where to keep the built egg.")
def deploy(url: str, version: str | None, egg_dir: Path) -> None:
    """Build the project egg and upload it to scrapyd (addversion.json)."""
    import time

    from fanwen_crawler.deploy import DeployError, build_egg, upload_egg

    version = version or time.strftime("%Y%m%d%H%M%S")
    try:
        egg = build_egg(egg_dir, version)
        answer = upload_egg(url, egg, version)
    except (DeployError, OSError) as exc:
        _fail(str(exc), 1)
    click.echo(f"deployed {egg.name} to {url} (spiders: {answer.get('spiders')})")


def _read_input(source: str, timeout: float) -> tuple[bytes, str | None, str]:
    """Bytes, Content-Type and URL of a saved file or a URL to fetch."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=timeout) as resp:
            return resp.read(), resp.headers.get("Content-Type"), resp.geturl()
    path = Path(source)
    return path.read_bytes(), None, path.resolve().as_uri()


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--url", help="The page's URL, for resolving links (files only).")
@click.option("--content-type", help="The Content-Type header the page was served with.")
@click.option("--profile", help="Portal profile name or .toml path.")
@click.option("--compact", is_flag=True, help="One line of JSON even for a single input.")
def extract(inputs: tuple[str, ...], url: str | None, content_type: str | None,
            profile: str | None, compact: bool) -> None:
    """Extract saved pages (bytes as served) or URLs offline and print JSON.

    One input prints one JSON object; several print JSON lines.
    """
    from fanwen_crawler.extractors import ExtractionError, extract_page
    from fanwen_crawler.profiles import ProfileError, load_profile

    try:
        prof = load_profile(profile) if profile else None
    except ProfileError as exc:
        _fail(str(exc), 2)
    failed = 0
    for source in inputs:
        try:
            body, ctype, page_url = _read_input(source, FETCH_TIMEOUT)
        except OSError as exc:
            click.echo(f"Error: cannot read {source}: {exc}", err=True)
            failed += 1
            continue
        headers = {"Content-Type": content_type or ctype or "text/html"}
        try:
            page = extract_page(body, url or page_url, headers, prof)
        except ExtractionError as exc:
            click.echo(f"Error: {source}: {exc}", err=True)
            failed += 1
            continue
        data: dict[str, Any] = page.to_dict()
        if len(inputs) == 1 and not compact:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            click.echo(json.dumps(data, ensure_ascii=False))
    if failed:
        sys.exit(1)


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to read.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write PNG charts (articles per month, body lengths, keywords) here.")
def stats(db_path: Path, as_json: bool, plot_dir: Path | None) -> None:
    """Summarise a corpus: articles, duplicates, sites, categories, dates, errors, keywords."""
    from fanwen_crawler.analysis.overview import corpus_overview, format_overview
    from fanwen_crawler.corpus.storage import open_corpus
    from fanwen_crawler.report import format_corpus_summary

    if not db_path.exists():
        _fail(f"no database at {db_path} (run `fanwen crawl` or `fanwen demo` first)", 3)
    corpus = open_corpus(db_path)
    try:
        summary = corpus.summary()
    finally:
        corpus.close()
    overview = corpus_overview(db_path)
    if as_json:
        click.echo(json.dumps({**summary, "overview": overview}, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join([*format_overview(overview), "", *format_corpus_summary(summary)]))
    if plot_dir is not None:
        from fanwen_crawler.analysis.charts import plot_corpus

        for path in plot_corpus(db_path, plot_dir):
            click.echo(f"wrote {path}", err=as_json)


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to update.")
@click.option("--all", "recompute", is_flag=True, help="Recompute for every article.")
@click.option("--rebuild", is_flag=True,
              help="Recompute every article's keywords for each --method, learning the "
                   "corpus IDF (tfidf-corpus) from the corpus as it is now.")
@click.option("--method", "methods", multiple=True,
              type=click.Choice(["tfidf", "tfidf-corpus", "textrank"]),
              help="With --rebuild: method(s) to compute (default tfidf and tfidf-corpus).")
@click.option("--stop-words", "stop_words", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), help="With --rebuild: extra stop words, one per line.")
def keywords(db_path: Path, recompute: bool, rebuild: bool, methods: tuple[str, ...],
             stop_words: Path | None) -> None:
    """Compute jieba TF-IDF keywords for articles that have none (post-crawl stage).

    --rebuild recomputes all articles: tfidf (jieba's general IDF), tfidf-corpus (IDF
    learned from this corpus) and, with --method textrank, TextRank.
    """
    if not db_path.exists():
        _fail(f"no database at {db_path}", 3)
    if rebuild:
        from fanwen_crawler.corpus.corpus_idf import DEFAULT_METHODS, rebuild_keywords

        done_by = rebuild_keywords(db_path, methods=methods or DEFAULT_METHODS,
                                   stop_words_file=stop_words)
        for method, n in done_by.items():
            click.echo(f"keywords ({method}) computed for {n} articles in {db_path}")
        return
    if methods or stop_words:
        _fail("--method and --stop-words need --rebuild", 2)
    from fanwen_crawler.corpus.keywords import compute_keywords

    done = compute_keywords(db_path, only_missing=not recompute, progress=sys.stderr.isatty())
    click.echo(f"keywords computed for {done} articles in {db_path}")


@main.command()
@click.argument("query")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to search.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many results.")
@click.option("--site", help="Only articles of this site (host[:port]).")
@click.option("--since", metavar="YYYY-MM-DD",
              help="Only articles published on or after this date.")
@click.option("--unique", is_flag=True, help="Leave out duplicates.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines: id, url, title, snippet (<mark>…</mark>), rank, ….")
def search(query: str, db_path: Path, limit: int, site: str | None, since: str | None,
           unique: bool, as_json: bool) -> None:
    """Full-text search by words (jieba-segmented): 教育 also finds 职业教育.

    Every whitespace-separated term must occur. Results are ranked by bm25, title
    matches first; articles stored since the last search are indexed first.
    """
    from fanwen_crawler.analysis.search import MARK, SearchError
    from fanwen_crawler.analysis.search import search as run_search

    if not db_path.exists():
        _fail(f"no database at {db_path}", 3)
    color = not as_json and sys.stdout.isatty()
    mark = ("\x1b[1;31m", "\x1b[0m") if color else (MARK if as_json else ("[", "]"))
    try:
        hits = run_search(db_path, query, limit=limit, site=site, since=since, unique=unique,
                          mark=mark)
    except SearchError as exc:
        _fail(str(exc), 2)
    for i, hit in enumerate(hits, 1):
        if as_json:
            click.echo(json.dumps(hit.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{i}. {hit.title}  [{hit.category or '-'} {hit.published_at or '-'}]"
                       f"  #{hit.id}\n   {hit.url}\n   {hit.snippet}")
    if not as_json:
        click.echo(f"{len(hits)} result(s)", err=True)


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to read.")
@click.option("--format", "fmt", required=True, type=click.Choice(["jsonl", "parquet", "csv"]),
              help="Output format (CSV holds lists as JSON text).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write.")
@click.option("--unique-only", is_flag=True, help="Leave out duplicates.")
@click.option("--where", metavar="SQL",
              help="SQL condition on articles columns, run read-only, "
                   "e.g. \"category = '合同范本'\".")
def export(db_path: Path, fmt: str, out: Path, unique_only: bool, where: str | None) -> None:
    """Export articles (with tags, related links, sections, keywords) as JSONL, Parquet or CSV.

    Streams in chunks, so memory stays flat on any corpus size. JSONL fields match
    `fanwen extract` where they exist.
    """
    from fanwen_crawler.corpus.export import ExportError, export_corpus

    try:
        n = export_corpus(db_path, out, fmt, unique_only=unique_only, where=where)
    except ExportError as exc:
        _fail(str(exc), 2 if db_path.exists() else 3)
    click.echo(f"exported {n} articles to {out}")


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to serve.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1.")
def serve(db_path: Path, port: int) -> None:
    """Browse the corpus in Datasette on 127.0.0.1: facets, canned queries, jieba search."""
    from fanwen_crawler.analysis.serve import serve_corpus

    if not db_path.exists():
        _fail(f"no database at {db_path}", 3)
    serve_corpus(db_path, port)


@main.command("sample-portal")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0 = any free port).")
def sample_portal(port: int) -> None:
    """Serve the bundled sample portal on 127.0.0.1 until Ctrl-C."""
    import time

    from fanwen_crawler.sample_portal import serve_portal

    with serve_portal(host="127.0.0.1", port=port) as portal:
        click.echo(f"sample portal at {portal.url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@main.command()
@click.option("--db", "db_path", default="data/demo.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Demo corpus (recreated).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def demo(db_path: Path, quiet: bool) -> None:
    """Serve the bundled sample portal on 127.0.0.1, crawl it, print a summary."""
    from fanwen_crawler.demo import run_demo

    sys.exit(run_demo(db_path, progress=sys.stderr.isatty() and not quiet, echo=click.echo))


if __name__ == "__main__":
    main()
