"""Datasette plugin: the corpus's search as SQL functions and the table search box.

`fanwen search` decides matches at character level and ranks with the jieba word index
(`fanwen_crawler.analysis.search`); SQLite cannot run that from SQL, so the plugin
registers SQL functions on every Datasette connection:

- `fanwen_search_ids(q)` — a JSON array of the ids of the articles matching `q`, best
  first: exactly what `fanwen search` finds (OR, -word, "phrases", single characters).
  The `search` canned query reads it with `json_each`;
- `fanwen_match(q)` — the FTS5 MATCH expression of `q` for the word index `articles_fts`
  (`fanwen_crawler.corpus.search_index.fts_query`), for hand-written SQL;
- `fanwen_snippet(text, q)` — a window of the original text around the query terms,
  marked with `<mark>`, which `render_cell` shows highlighted.

The search box of the articles tables (`?_search=`) filters through `fanwen_search_ids`
too (a `filters_from_request` hook), so it returns the rows the canned query returns;
Datasette's own FTS search would send the unsegmented text to the word index.

`fanwen serve` registers this module itself. A plain `datasette` command in the same
environment loads it too: the package declares it as a `datasette` entry point
(`[project.entry-points.datasette]` in pyproject.toml).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup

from fanwen_crawler.analysis.search import (
    MARK,
    SearchError,
    make_snippet,
    query_terms,
    search_ids,
    snippet_html,
)
from fanwen_crawler.corpus.keywords import SEGMENTER
from fanwen_crawler.corpus.search_index import (
    Segmenter,
    default_segmenter,
    fts_query,
    index_segmenter,
)

SNIPPET_COLUMN = "snippet"
SEARCHABLE_TABLES = ("articles", "unique_articles", "articles_overview")
SEARCH_ARG = "_search"
SEARCH_CLAUSE = "id IN (SELECT value FROM json_each(fanwen_search_ids(:fanwen_search)))"


def fanwen_match(query: str | None, segmenter: Segmenter | None = None) -> str:
    """FTS5 MATCH expression for `query`; one that matches nothing if it has no words."""
    match = fts_query(query or "", segmenter)
    return match or '""'


def fanwen_snippet(text: str | None, query: str | None) -> str:
    """Snippet of `text` around the terms of `query`, marked with <mark>."""
    return make_snippet(text or "", query_terms(query or ""), mark=MARK)


def search_ids_function(path: str | Path | None,
                        immutable: bool = False) -> Callable[[str | None], str]:
    """`fanwen_search_ids(q)` for the database file at `path`: a JSON array of ids."""
    def fanwen_search_ids(query: str | None) -> str:
        if path is None or not (query or "").strip():
            return "[]"
        try:
            return json.dumps(search_ids(path, query or "", immutable=immutable))
        except SearchError:
            return "[]"

    return fanwen_search_ids


@hookimpl
def startup(datasette: Any) -> None:
    # The segmenter loads its dictionary in ~0.3 s: before the first query's time limit runs.
    default_segmenter()


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    try:  # queries are segmented as this database's word index was (jieba or rjieba)
        name = index_segmenter(conn) or SEGMENTER
    except sqlite3.Error:  # not a corpus: no word index
        name = SEGMENTER
    conn.create_function("fanwen_match", 1,
                         lambda q: fanwen_match(q, default_segmenter(name)), deterministic=True)
    conn.create_function("fanwen_snippet", 2, fanwen_snippet, deterministic=True)
    db = datasette.databases.get(database)
    conn.create_function("fanwen_search_ids", 1, search_ids_function(
        db.path if db is not None else None, immutable=db is not None and not db.is_mutable))


# trylast: Datasette's own search hook runs first and says the table has no FTS index
# (supports_search False); this one's extra_context is merged after it and wins.
@hookimpl(trylast=True)
def filters_from_request(request: Any, database: str, table: str,
                         datasette: Any) -> FilterArguments | None:
    if table not in SEARCHABLE_TABLES:
        return None
    query = request.args.get(SEARCH_ARG, "")
    if not query.strip():
        return FilterArguments([], extra_context={"supports_search": True})
    return FilterArguments([SEARCH_CLAUSE], {"fanwen_search": query},
                           [f'search matches "{query}"'],
                           {"supports_search": True, "search": query})


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if column != SNIPPET_COLUMN or not isinstance(value, str) or MARK[0] not in value:
        return None
    return Markup(snippet_html(value))
