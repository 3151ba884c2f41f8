"""The search query language and its one translation to SQL.

Syntax (web-search style): terms separated by whitespace must all occur; `A OR B` needs
either (OR binds tighter than the implied AND: `合同 甲方 OR 乙方` is 合同 and (甲方 or 乙方));
`-word` leaves out articles containing the word; `"a phrase"` is one term, taken as it is
(so `"OR"` and `"-1"` are plain text). A term *occurs* in an article when it is a
substring of the title or the body, case-insensitively: character level, whatever jieba's
segmentation makes of it, so `党` finds 入党, 党员 and 共产党 alike.

`match_condition` turns a parsed query into one SQL condition on `articles AS a`:
terms of three or more characters are looked up in the trigram index `articles_trigram`
(created by a corpus migration, kept by triggers); shorter ones — which a trigram index
cannot find — and every term on a corpus without that index scan the text with LIKE.
The CLI, the library and Datasette all search through this one condition.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

TRIGRAM_TABLE = "articles_trigram"
TRIGRAM_MIN_CHARS = 3
OR_OPERATOR = "OR"
# A quoted phrase (closing quote optional), or a run of non-space, non-quote characters.
QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
LIKE_SPECIAL = re.compile(r"([\\%_])")


class QueryError(ValueError):
    """The query has no term to find, or uses OR where it means nothing."""


@dataclass(slots=True)
class Query:
    """A parsed query: every group in `groups` must match (a group is terms joined by OR),
    and no term of `excluded` may occur."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        """The terms that must or may occur (for highlighting and ranking), in query order."""
        return [t for group in self.groups for t in group]


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def parse_query(text: str) -> Query:
    """Parse a user's query; QueryError if nothing is left to search for."""
    query = Query()
    pending_or = False
    for match in QUERY_TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare == OR_OPERATOR:
            if not query.groups or pending_or:
                raise QueryError(f"OR needs a word on each side in {text!r}")
            pending_or = True
            continue
        if phrase is not None:
            term = " ".join(phrase.split())
        else:
            negated = "-" if bare.startswith("-") else ""
            term = bare[1:] if negated else bare
        if not _has_word(term):
            continue
        if negated:
            if pending_or:
                raise QueryError(f"OR cannot join an excluded word (-{term}) in {text!r}")
            query.excluded.append(term)
        elif pending_or:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        pending_or = False
    if pending_or:
        raise QueryError(f"OR needs a word on each side in {text!r}")
    if not query.groups:
        raise QueryError(f"the query {text!r} has no words to search for"
                         + (" (only excluded ones)" if query.excluded else ""))
    return query


def has_trigram_index(conn: sqlite3.Connection) -> bool:
    """Whether the corpus has the character-trigram index (a migration adds it)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                        [TRIGRAM_TABLE]).fetchone() is not None


def _term_condition(term: str, trigram: bool) -> tuple[str, list[str]]:
    pattern = "%" + LIKE_SPECIAL.sub(r"\\\1", term) + "%"
    like = "(a.title LIKE ? ESCAPE '\\' OR a.body LIKE ? ESCAPE '\\')"
    if trigram and len(term) >= TRIGRAM_MIN_CHARS:
        # Articles still queued for indexing (fts_pending) have no trigram row yet: scanned.
        return (f"(a.id IN (SELECT rowid FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} MATCH ?) "
                f"OR (a.id IN (SELECT article_id FROM fts_pending) AND {like}))",
                ['"' + term.replace('"', '""') + '"', pattern, pattern])
    return like, [pattern, pattern]


def match_condition(query: Query, *, trigram: bool) -> tuple[str, list[str]]:
    """One SQL condition on `articles AS a` (with its parameters) true for matching articles."""
    parts: list[str] = []
    params: list[str] = []
    for group in query.groups:
        conditions = [_term_condition(t, trigram) for t in group]
        parts.append("(" + " OR ".join(sql for sql, _ in conditions) + ")")
        params.extend(p for _, ps in conditions for p in ps)
    for term in query.excluded:
        sql, ps = _term_condition(term, trigram)
        parts.append(f"NOT {sql}")
        params.extend(ps)
    return " AND ".join(parts), params
