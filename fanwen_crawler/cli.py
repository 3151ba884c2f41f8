"""The `fanwen` command line: a thin click layer over the library API.

Each command parses options, calls one library function, prints the result, and
turns our exceptions into a clear message and a documented exit code. Heavy
imports (Scrapy, jieba) happen inside the commands that need them, so
`fanwen extract` and `fanwen --help` start fast.

User errors never show a traceback: `FanwenGroup` turns a file that is not a fanwen corpus
(missing, garbage, another application's SQLite file, a newer schema), an unwritable corpus
and other database errors into one line and exit 3, and a missing optional extra into one
line and exit 2. Read commands (stats, search, export, serve) open the corpus read-only
and leave it byte-identical; `fanwen index` and `fanwen keywords` refresh the search index.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from pathlib import Path
from typing import Any

import click

from fanwen_crawler.flags import DEFAULT_DB, click_options

FETCH_TIMEOUT = 30
EXIT_PORT_IN_USE = 5  # sample-portal / serve: the port is taken (README "Exit codes")


EXIT_USAGE = 2
EXIT_DATABASE = 3


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _user_error_code(exc: Exception) -> int | None:
    """The exit code of an exception that is the user's to fix, else None (a bug)."""
    from fanwen_crawler.extras import MissingExtra

    if isinstance(exc, MissingExtra):
        return EXIT_USAGE
    import sqlite3

    from fanwen_crawler.corpus.access import CorpusError

    if isinstance(exc, CorpusError | sqlite3.DatabaseError):
        return EXIT_DATABASE
    return None


class FanwenGroup(click.Group):
    """The `fanwen` group: user errors raised by any command become one line of error.

    A reader that stops early (`fanwen export --out - | head`) ends the command quietly
    with exit 0, as `cat` or `grep` would under `set -o pipefail`, not click's exit 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            _quiet_stdout()
            ctx.exit(0)
        except Exception as exc:
            code = _user_error_code(exc)
            if code is None:
                raise
            message = " ".join(str(exc).split()) or type(exc).__name__
            if not isinstance(exc, RuntimeError | ImportError):  # sqlite3 errors
                message = f"database error: {message}"
            _fail(message, code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _check_readable(db_path: Path) -> None:
    from fanwen_crawler.corpus.access import check_readable

    check_readable(db_path)


def _check_port(port: int) -> None:
    """One line and exit code 5 when 127.0.0.1:`port` is taken (not a bind traceback)."""
    import errno
    import socket

    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port in TIME_WAIT after a previous server is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            _fail(f"port {port} on 127.0.0.1 is in use (choose another with --port; "
                  "--port 0 picks a free one where supported)", EXIT_PORT_IN_USE)


@click.group(cls=FanwenGroup, context_settings={"help_option_names": ["-h", "--help"]})
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

    \b
    Example:
      fanwen crawl http://www.example-fanwen.cn/ --db data/corpus.db --state-dir .state/example
    """
    for url in start_urls:
        if not url.startswith(("http://", "https://")):
            _fail(f"not an http(s) URL: {url}", 2)
    from fanwen_crawler.crawl import CrawlSetupError, run_crawl
    from fanwen_crawler.logs import install_log_handler, remove_log_handler
    from fanwen_crawler.profiles import ProfileError
    from fanwen_crawler.report import format_crawl_summary

    quiet, log_file, log_format = flags["quiet"], flags["log_file"], flags["log_format"]
    progress = sys.stderr.isatty() and not quiet
    if flags["log_level"] is None:
        flags["log_level"] = ("WARNING" if (progress or quiet) and log_file is None
                              else "INFO")
    # Our own root handler (logs.py); Scrapy's stays off.
    flags["set_options"] = ("LOG_INSTALL_ROOT_HANDLER=False", *flags["set_options"])
    handler = install_log_handler(level=flags["log_level"], log_file=log_file,
                                  log_format=log_format)
    try:
        result = run_crawl(start_urls, progress=progress, **flags)
    except ProfileError as exc:
        _fail(str(exc), 2)
    except CrawlSetupError as exc:
        _fail(str(exc), exc.exit_code)
    finally:
        remove_log_handler(handler)
    summary = format_crawl_summary(result, str(flags["db_path"]))
    if log_file is not None:
        handler = install_log_handler(level="INFO", log_file=log_file, log_format=log_format)
        logging.getLogger("fanwen_crawler.crawl").info(
            "%s", summary if log_format == "text" else "crawl summary",
            extra={"fanwen_summary": result.report()})
        remove_log_handler(handler)
    if not quiet:
        click.echo(summary)
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

    \b
    Example:
      fanwen merge data/shard-*.db --into data/corpus.db
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
              help="Also keep the built egg in this directory (default: not kept).")
def deploy(url: str, version: str | None, egg_dir: Path | None) -> None:
    """Build the project egg and upload it to scrapyd (addversion.json).

    Nothing is written into the checkout unless --egg-dir is given.

    \b
    Example:
      fanwen deploy --url http://127.0.0.1:6800/
    """
    import tempfile
    import time

    from fanwen_crawler.deploy import DeployError, build_egg, upload_egg

    version = version or time.strftime("%Y%m%d%H%M%S")
    try:
        with tempfile.TemporaryDirectory(prefix="fanwen-dist-") as tmp:
            egg = build_egg(egg_dir if egg_dir is not None else Path(tmp), version)
            answer = upload_egg(url, egg, version)
    except (DeployError, OSError) as exc:
        _fail(str(exc), 1)
    click.echo(f"deployed {egg.name} to {url} (spiders: {answer.get('spiders')})")


def _read_input(source: str, timeout: float) -> tuple[bytes, str | None, str | None]:
    """Bytes, Content-Type and URL of a URL to fetch, or of a saved file (URL None)."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=timeout) as resp:
            return resp.read(), resp.headers.get("Content-Type"), resp.geturl()
    return Path(source).read_bytes(), None, None


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--url", help="The page's URL, for resolving links (files only; default: the "
                            "page's <base>, canonical or og:url, else a stand-in).")
@click.option("--content-type", help="The Content-Type header the page was served with.")
@click.option("--profile", help="Portal profile name or .toml path.")
@click.option("--compact", is_flag=True, help="One line of JSON even for a single input.")
def extract(inputs: tuple[str, ...], url: str | None, content_type: str | None,
            profile: str | None, compact: bool) -> None:
    """Extract saved pages (bytes as served) or URLs offline and print JSON.

    One input prints one JSON object; several print JSON lines. A saved file's URL
    matters (links are resolved against it; list pages are told by their same-site
    article links): without --url it is read from the page's <base href>, <link
    rel=canonical> or og:url, else http://saved.invalid/FILENAME stands in.

    \b
    Example:
      fanwen extract saved.html --url http://www.example-fanwen.cn/a/123.html
    """
    from fanwen_crawler.extractors import ExtractionError, extract_page
    from fanwen_crawler.extractors.decoding import decode_html
    from fanwen_crawler.page_url import saved_page_url
    from fanwen_crawler.profiles import ProfileError, load_profile

    try:
        prof = load_profile(profile) if profile else None
    except ProfileError as exc:
        _fail(str(exc), 2)
    failed = 0
    stand_in_noted = False
    for source in inputs:
        try:
            body, ctype, page_url = _read_input(source, FETCH_TIMEOUT)
        except OSError as exc:
            click.echo(f"Error: cannot read {source}: {exc}", err=True)
            failed += 1
            continue
        headers = {"Content-Type": content_type or ctype or "text/html"}
        if url is None and page_url is None:
            page_url, how = saved_page_url(decode_html(body, headers["Content-Type"])[0],
                                           source)
            if how == "stand-in" and not stand_in_noted:
                stand_in_noted = True
                click.echo(f"note: {source} declares no URL (<base>, canonical, og:url); links "
                           f"are resolved against {page_url} (give --url if you know it)",
                           err=True)
        try:
            page = extract_page(body, url or page_url or "", headers, prof)
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
    """Summarise a corpus: articles, duplicates, sites, categories, dates, errors, keywords.

    Counts per site, category and keyword are over unique articles; --plot also draws
    articles per month (on a time axis), body lengths and top keywords. Reads only: the
    corpus file is never changed.

    \b
    Example:
      fanwen stats --db data/demo.db --plot charts/
    """
    from fanwen_crawler.analysis.overview import corpus_overview, format_overview
    from fanwen_crawler.corpus.storage import open_corpus_readonly

    if plot_dir is not None:
        from fanwen_crawler.extras import require

        require("analysis", "matplotlib", feature="--plot")
    with open_corpus_readonly(db_path):
        pass  # refuses a file that is not a fanwen corpus, with one line
    overview = corpus_overview(db_path)
    if as_json:
        click.echo(json.dumps(overview, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(format_overview(overview)))
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
    """Compute TF-IDF keywords for articles that have none (a crawl does it as it goes).

    --rebuild recomputes all articles: tfidf (jieba's general IDF), tfidf-corpus (IDF
    learned from this corpus) and, with --method textrank, TextRank.

    \b
    Example:
      fanwen keywords --db data/corpus.db --rebuild --method tfidf-corpus
    """
    from fanwen_crawler.corpus.access import check_writable
    from fanwen_crawler.corpus.search_index import sync_search_index

    check_writable(db_path, must_exist=True)
    if rebuild:
        from fanwen_crawler.corpus.corpus_idf import DEFAULT_METHODS, rebuild_keywords

        done_by = rebuild_keywords(db_path, methods=methods or DEFAULT_METHODS,
                                   stop_words_file=stop_words)
        for method, n in done_by.items():
            click.echo(f"keywords ({method}) computed for {n} articles in {db_path}")
        click.echo(f"search index: {sync_search_index(db_path)} articles indexed")
        return
    if methods or stop_words:
        _fail("--method and --stop-words need --rebuild", 2)
    from fanwen_crawler.corpus.keywords import compute_keywords

    done = compute_keywords(db_path, only_missing=not recompute, progress=sys.stderr.isatty())
    click.echo(f"keywords computed for {done} articles in {db_path}")
    click.echo(f"search index: {sync_search_index(db_path)} articles indexed")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True)
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to search.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many results.")
@click.option("--site", help="Only articles of this site (host[:port]).")
@click.option("--since", metavar="YYYY-MM-DD",
              help="Only articles published on or after this date (or YYYY-MM, YYYY).")
@click.option("--unique", is_flag=True, help="Leave out duplicates.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines: id, url, title, snippet (<mark>…</mark>), rank, ….")
def search(query: tuple[str, ...], db_path: Path, limit: int, site: str | None,
           since: str | None, unique: bool, as_json: bool) -> None:
    """Full-text search: every word must occur; 党 finds 入党, 党员 and 共产党.

    \b
    Syntax: 教育 OR 合同 (either), -教育 (without), "a phrase" (as written).
    Words match at character level; results are ranked by bm25 over jieba words,
    title matches first. Reads only.
    Example:
      fanwen search 合同 -租赁 --db data/demo.db --since 2023-01-01
    """
    from fanwen_crawler.analysis.search import MARK, SearchError, validate_date
    from fanwen_crawler.analysis.search import search as run_search

    if since is not None:
        try:
            validate_date(since)
        except SearchError as exc:
            _fail(f"--since: {exc}", 2)
    _check_readable(db_path)
    color = not as_json and sys.stdout.isatty()
    mark = ("\x1b[1;31m", "\x1b[0m") if color else (MARK if as_json else ("[", "]"))
    try:
        hits = run_search(db_path, " ".join(query), limit=limit, site=site, since=since,
                          unique=unique, mark=mark, sync=False)
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
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet", "csv"]),
              help="Output format (default: from the --out extension .jsonl/.parquet/.csv; "
                   "jsonl for stdout). CSV holds lists as JSON text.")
@click.option("--out", required=True, metavar="FILE|-",
              help="File to write (atomically), or - for stdout.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--bom", "--excel", "bom", is_flag=True,
              help="Start a CSV with a UTF-8 byte order mark, so Excel reads Chinese text.")
@click.option("--unique-only", is_flag=True, help="Leave out duplicates.")
@click.option("--where", metavar="SQL",
              help="SQL condition on articles columns, run read-only, "
                   "e.g. \"category = '合同范本'\".")
def export(db_path: Path, fmt: str | None, out: str, force: bool, bom: bool,
           unique_only: bool, where: str | None) -> None:
    """Export articles (with tags, related links, sections, keywords) as JSONL, Parquet or CSV.

    Streams in chunks, so memory stays flat on any corpus size. JSONL fields match
    `fanwen extract` where they exist; keywords carry their weight and method. A failed
    export leaves an existing file untouched. Exit codes: 0 ok, 1 output not written,
    2 usage (bad --where, file exists), 3 no database.

    \b
    Example:
      fanwen export --db data/demo.db --out contracts.csv --excel --where "category = '合同范本'"
    """
    from fanwen_crawler.corpus.export import (
        ExportError,
        ExportWriteError,
        export_corpus,
        export_to_stream,
    )

    _check_readable(db_path)
    if fmt == "parquet" or str(out).endswith(".parquet"):
        from fanwen_crawler.extras import require

        require("analysis", "pyarrow", feature="Parquet export")
    try:
        if out == "-":
            n = export_to_stream(db_path, sys.stdout.buffer, fmt or "jsonl",
                                 unique_only=unique_only, where=where, bom=bom)
            sys.stdout.flush()
        else:
            n = export_corpus(db_path, out, fmt, unique_only=unique_only, where=where,
                              force=force, bom=bom)
    except ExportWriteError as exc:
        _fail(str(exc), 1)
    except ExportError as exc:
        _fail(str(exc), 2)
    click.echo(f"exported {n} articles to {'stdout' if out == '-' else out}", err=out == "-")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to serve.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the corpus to the "
                   "network (a warning is printed).")
@click.argument("datasette_options", nargs=-1, type=click.UNPROCESSED)
def serve(db_path: Path, port: int, host: str, datasette_options: tuple[str, ...]) -> None:
    """Browse the corpus in Datasette: facets, canned queries, search box.

    Other options are passed to `datasette serve` as they are. Never writes the corpus.

    \b
    Example:
      fanwen serve --db data/demo.db --port 8001 --setting max_returned_rows 2000
    """
    from fanwen_crawler.analysis.serve import (
        is_loopback,
        needs_immutable,
        serve_corpus,
        unindexed_articles,
    )
    from fanwen_crawler.extras import require

    if host in ("127.0.0.1", "localhost"):
        _check_port(port)
    _check_readable(db_path)
    require("analysis", "datasette", feature="fanwen serve")
    if not is_loopback(host):
        click.echo(f"Warning: serving on {host}, not loopback: anyone who can reach this "
                   f"machine on port {port} can read the corpus (Datasette has no login).",
                   err=True)
    immutable = needs_immutable(db_path)
    if immutable:
        click.echo(f"note: {db_path} is on read-only storage: served as immutable", err=True)
    pending = unindexed_articles(db_path, immutable)
    if pending:
        click.echo(f"note: {pending} articles are not in the word index yet: they are found "
                   "but ranked last (`fanwen index` indexes them)",
                   err=True)
    serve_corpus(db_path, port, host, datasette_options, immutable)


@main.command("sample-portal")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0 = any free port).")
def sample_portal(port: int) -> None:
    """Serve the bundled sample portal on 127.0.0.1 until Ctrl-C.

    \b
    Example:
      fanwen sample-portal --port 8765
    """
    import time

    from fanwen_crawler.sample_portal import serve_portal

    _check_port(port)
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
    """Serve the bundled sample portal on 127.0.0.1, crawl it, print a summary.

    \b
    Example:
      fanwen demo
    """
    from fanwen_crawler.demo import run_demo

    sys.exit(run_demo(db_path, progress=sys.stderr.isatty() and not quiet, echo=click.echo))


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to update.")
@click.option("--rebuild", is_flag=True,
              help="Index every article again (after a dictionary change, say).")
def index(db_path: Path, rebuild: bool) -> None:
    """Refresh the word-level search index (and upgrade an older corpus's schema).

    The crawl and `fanwen keywords` refresh it too; read commands never write.

    \b
    Example:
      fanwen index --db data/demo.db
    """
    from fanwen_crawler.corpus.access import check_writable
    from fanwen_crawler.corpus.search_index import rebuild_search_index, sync_search_index

    check_writable(db_path, must_exist=True)
    done = rebuild_search_index(db_path) if rebuild else sync_search_index(db_path)
    click.echo(f"search index: {done} articles indexed in {db_path}")


if __name__ == "__main__":
    main()


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to read.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="Show the latest this many runs.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def runs(db_path: Path, limit: int, as_json: bool) -> None:
    """List past crawl runs, newest first: status, pages, new articles, errors, skips.

    \b
    Example:
      fanwen runs --db data/corpus.db --limit 5
    """
    from fanwen_crawler.runlog import list_runs

    if not db_path.exists():
        _fail(f"no database at {db_path}", 3)
    rows = list_runs(db_path, limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    click.echo(f"{'run':>4}  {'started':25}  {'status':14} {'pages':>6} {'new':>5} "
               f"{'errors':>6} {'resolved':>8}  skipped")
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['started_at'] or '-':25}  {r['status'] or '-':14} "
                   f"{r['pages']:>6} {r['new']:>5} {r['errors']:>6} {r['resolved']:>8}  "
                   f"{r['skipped'] or '-'}")


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to read.")
@click.option("--unresolved", is_flag=True, help="Only errors not resolved by a later success.")
@click.option("--skipped", is_flag=True,
              help="Policy skips (robots.txt, --max-articles) instead of errors.")
@click.option("--reason", help="Only this reason, e.g. http_404.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many rows.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of text.")
def errors(db_path: Path, unresolved: bool, skipped: bool, reason: str | None, limit: int,
           as_json: bool) -> None:
    """List URLs that failed (crawl_errors) or were skipped by policy, last seen first.

    An error is resolved when a later run (any run) fetches the URL successfully;
    an error seen again is counted on its row (times) rather than added again.

    \b
    Example:
      fanwen errors --db data/corpus.db --unresolved
    """
    from fanwen_crawler.runlog import list_errors

    if not db_path.exists():
        _fail(f"no database at {db_path}", 3)
    rows = list_errors(db_path, unresolved=unresolved, skipped=skipped, reason=reason,
                       limit=limit)
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
            continue
        state = "" if skipped else (f"  resolved {r['resolved_at']}" if r["resolved_at"]
                                    else "  unresolved")
        click.echo(f"{r['reason']:22} {r['url']}  ×{r['times'] or 1}  last seen "
                   f"{r['last_seen_at']} (run {r['last_run_id']}){state}")
    if not as_json:
        click.echo(f"{len(rows)} {'skipped URL' if skipped else 'error'}(s)", err=True)
