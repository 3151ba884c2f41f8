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

DEFAULT_DB = "data/corpus.db"
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
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to write.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep crawl state here so a killed crawl resumes where it stopped.")
@click.option("--profile", help="Portal profile name (bundled) or path to a .toml profile.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many responses.")
@click.option("--delay", type=click.FloatRange(min=0),
              help="Seconds between requests per site (0 = unthrottled, for own mirrors).")
@click.option("--concurrency", type=click.IntRange(min=1), help="Concurrent requests per site.")
@click.option("--refresh", is_flag=True, help="Refetch articles already stored and update them.")
@click.option("--no-keywords", is_flag=True, help="Skip the post-crawl keyword stage.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; warnings only.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              help="Scrapy log level (default INFO, WARNING when a progress bar is shown).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the crawl log to this file instead of stderr.")
@click.option("--set", "set_options", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy or FANWEN_* setting (repeatable).")
def crawl(start_urls: tuple[str, ...], db_path: Path, state_dir: Path | None,
          profile: str | None, max_pages: int | None, delay: float | None,
          concurrency: int | None, refresh: bool, no_keywords: bool, quiet: bool,
          log_level: str | None, log_file: Path | None, set_options: tuple[str, ...]) -> None:
    """Crawl the portal(s) at START_URLS into the corpus.

    Works on portals it has never seen: finds list pages and their pagination,
    article pages and their continuation pages, and stays on the start URL's site.
    Exit codes: 0 ok, 1 nothing fetched, 2 usage, 3 database, 4 interrupted.
    """
    for url in start_urls:
        if not url.startswith(("http://", "https://")):
            _fail(f"not an http(s) URL: {url}", 2)
    extra: dict[str, str] = {}
    for item in set_options:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            _fail(f"--set expects NAME=VALUE, got {item!r}", 2)
        extra[name.strip()] = value
    from fanwen_crawler.crawl import CrawlOptions, CrawlSetupError, run_crawl
    from fanwen_crawler.profiles import ProfileError
    from fanwen_crawler.report import format_crawl_summary

    progress = sys.stderr.isatty() and not quiet
    level = log_level or ("WARNING" if progress or quiet else "INFO")
    options = CrawlOptions(
        start_urls=list(start_urls), db_path=db_path, state_dir=state_dir, profile=profile,
        max_pages=max_pages, delay=delay, concurrency=concurrency, refresh=refresh,
        progress=progress, keywords=not no_keywords, log_level=level, log_file=log_file,
        extra_settings=extra,
    )
    try:
        result = run_crawl(options)
    except ProfileError as exc:
        _fail(str(exc), 2)
    except CrawlSetupError as exc:
        _fail(str(exc), exc.exit_code)
    click.echo(format_crawl_summary(result, str(db_path)))
    if result.exit_code:
        click.echo(f"Error: crawl failed ({result.finish_reason}); nothing was fetched"
                   if result.exit_code == 1 else f"crawl stopped: {result.finish_reason}",
                   err=True)
    sys.exit(result.exit_code)


def _read_input(source: str, timeout: float) -> tuple[bytes, str | None, str]:
    """Bytes, Content-Type and URL of a saved file or a URL to fetch."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=timeout) as resp:  # noqa: S310
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
def stats(db_path: Path, as_json: bool) -> None:
    """Summarise a corpus: articles, duplicates, sites, errors, top keywords."""
    from fanwen_crawler.report import format_corpus_summary
    from pipelines.storage import open_corpus

    if not db_path.exists():
        _fail(f"no database at {db_path} (run `fanwen crawl` or `fanwen demo` first)", 3)
    corpus = open_corpus(db_path)
    try:
        summary = corpus.summary()
    finally:
        corpus.close()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(format_corpus_summary(summary)))


@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite corpus to update.")
@click.option("--all", "recompute", is_flag=True, help="Recompute for every article.")
def keywords(db_path: Path, recompute: bool) -> None:
    """Compute jieba TF-IDF keywords for articles that have none (post-crawl stage)."""
    from pipelines.keywords import compute_keywords

    if not db_path.exists():
        _fail(f"no database at {db_path}", 3)
    done = compute_keywords(db_path, only_missing=not recompute, progress=sys.stderr.isatty())
    click.echo(f"keywords computed for {done} articles in {db_path}")


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
