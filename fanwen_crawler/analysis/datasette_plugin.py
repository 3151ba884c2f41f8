"""Datasette plugin: jieba-segmented full-text search as SQL functions, highlighted snippets.

SQLite cannot call jieba from an FTS5 tokenizer, so the plugin registers two SQL
functions on every Datasette connection, used by the `search` canned query:

- `fanwen_match(q)` — the FTS5 MATCH expression for a user's query, segmented like the
  index (`fanwen_crawler.corpus.search_index.fts_query`);
- `fanwen_snippet(text, q)` — a window of the original text around the query words,
  marked with `<mark>`, which `render_cell` shows highlighted.

`fanwen serve` registers this module; to use it with a plain `datasette` command, pass
`--plugins-dir` a directory holding a file that imports it.
"""

from __future__ import annotations

import html
from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from fanwen_crawler.analysis.search import MARK, make_snippet, query_terms
from fanwen_crawler.corpus.search_index import default_segmenter, fts_query

SNIPPET_COLUMN = "snippet"


def fanwen_match(query: str | None) -> str:
    """FTS5 MATCH expression for `query`; one that matches nothing if it has no words."""
    match = fts_query(query or "")
    return match or '""'


def fanwen_snippet(text: str | None, query: str | None) -> str:
    """Snippet of `text` around the words of `query`, marked with <mark>."""
    return make_snippet(text or "", query_terms(query or ""), mark=MARK)


@hookimpl
def startup(datasette: Any) -> None:
    # jieba loads its dictionary in ~1 s: do it before the first query's time limit runs.
    default_segmenter()


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    conn.create_function("fanwen_match", 1, fanwen_match, deterministic=True)
    conn.create_function("fanwen_snippet", 2, fanwen_snippet, deterministic=True)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if column != SNIPPET_COLUMN or not isinstance(value, str) or MARK[0] not in value:
        return None
    escaped = html.escape(value)
    for tag in MARK:
        escaped = escaped.replace(html.escape(tag), tag)
    return Markup(escaped)
