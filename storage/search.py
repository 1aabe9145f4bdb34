"""Full-text search over articles: title, summary and body, best match first.

The index is built by migration 0005: on SQLite the FTS5 table ``articles_fts`` (kept in step
by triggers), on PostgreSQL the generated tsvector column ``articles.search_vector``. What a
reader typed never reaches either query language as syntax: it is cut into words (letters and
digits, any script) and each word is quoted, so ``"``, ``*``, ``NEAR``, ``-`` or ``(`` are
plain text. Every word must occur; the last one may be the start of a word ("енергосис"
finds "енергосистема"). When no article has them all, articles with any of them are ranked
instead. Only the newest RANK_WINDOW matches are ranked (a news search wants recent
explainers, and ranking every match of a common word is what made it slow).

Like the other data-access modules, functions take the caller's session and never commit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

#: Words of a query that are used; the rest are ignored.
MAX_TERMS = 16
#: A last word this long or longer also matches words it begins (shorter: too many words).
PREFIX_MIN_CHARS = 3
#: The newest this many matching articles are ranked; older matches are not shown.
RANK_WINDOW = 1_000

#: Schema objects migration 0005 creates outside the models (dialect-specific).
SEARCH_TABLE_PREFIX = "articles_fts"
SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_articles_search_vector"

_WORD = re.compile(r"\w+")

# Only the RANK_WINDOW newest matches are ranked: a common word is in tens of thousands of
# articles, and scoring every one of them (reading each document's positions) took 50–120 ms
# at 100,000 articles; the newest matches are read in id order from the index, cheaply.
# Articles get ids as they arrive, so the newest matches are those with the highest ids.

# bm25 weights per column (title, summary, body): a title match counts most. FTS5's bm25 is
# lower for better matches. The rowid bound is where the window of newest matches starts.
_SQLITE_SEARCH = text(
    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :query AND rowid >= ("
    "SELECT coalesce(min(rowid), 0) FROM (SELECT rowid FROM articles_fts "
    "WHERE articles_fts MATCH :query ORDER BY rowid DESC LIMIT :window)) "
    "ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0), rowid DESC LIMIT :limit"
)
# ts_rank_cd with the weights D, C, B, A (body, summary, title) of the generated column.
_POSTGRES_SEARCH = text(
    "SELECT id FROM (SELECT id, search_vector FROM articles "
    "WHERE search_vector @@ to_tsquery('simple', newsbot_search_fold(:query)) "
    "ORDER BY id DESC LIMIT :window) AS newest, "
    "to_tsquery('simple', newsbot_search_fold(:query)) AS query "
    "ORDER BY ts_rank_cd('{0.05, 0.2, 0.4, 1.0}', search_vector, query) DESC, id DESC "
    "LIMIT :limit"
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's ``include_object`` hook: leave out the search objects of migration 0005
    (they are not in the models)."""
    return not is_search_object(name, type_)


def is_search_object(name: str | None, type_: str = "table") -> bool:
    """True for the tables, column and index migration 0005 creates outside the models."""
    if name is None:
        return False
    if type_ == "table":
        return name.startswith(SEARCH_TABLE_PREFIX)
    return name in (SEARCH_COLUMN, SEARCH_INDEX)


def search_terms(query: str) -> list[str]:
    """The words of a query: runs of letters and digits (any script), at most MAX_TERMS."""
    words = _WORD.findall(unicodedata.normalize("NFC", query))
    return [w for w in words if any(char.isalnum() for char in w)][:MAX_TERMS]


def fts5_query(terms: list[str], *, match_all: bool = True) -> str:
    """An FTS5 MATCH expression: each word a quoted string, the last one a prefix."""
    parts = [f'"{term}"' for term in terms]  # words hold no quotes: nothing to escape
    if terms and len(terms[-1]) >= PREFIX_MIN_CHARS:
        parts[-1] += " *"
    return (" AND " if match_all else " OR ").join(parts)


def tsquery(terms: list[str], *, match_all: bool = True) -> str:
    """A to_tsquery expression: each word quoted, the last one a prefix."""
    parts = [f"'{term}'" for term in terms]  # words hold no quotes or backslashes
    if terms and len(terms[-1]) >= PREFIX_MIN_CHARS:
        parts[-1] += ":*"
    return (" & " if match_all else " | ").join(parts)


async def search_articles(session: AsyncSession, query: str, limit: int) -> list[int]:
    """Ids of the articles matching ``query``, best first (ties: newest first)."""
    terms = search_terms(query)
    if not terms or limit <= 0:
        return []
    dialect = session.get_bind().dialect.name
    build, statement = (
        (fts5_query, _SQLITE_SEARCH) if dialect == "sqlite" else (tsquery, _POSTGRES_SEARCH)
    )
    if dialect == "postgresql":
        # Plan for these words: a prepared statement may get a generic plan, which cannot
        # know how many articles match (the id scan suits a common word, the GIN index a
        # rare or absent one). In bench/latest.py at 100,000 articles this took the p50 of
        # the no-match case from 104 to 29 ms. LOCAL: until the caller's transaction ends.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    ids = await _ids(session, statement, build(terms), limit)
    if not ids and len(terms) > 1:
        ids = await _ids(session, statement, build(terms, match_all=False), limit)
    return ids


async def _ids(session: AsyncSession, statement: Any, query: str, limit: int) -> list[int]:
    parameters = {"query": query, "limit": limit, "window": max(limit, RANK_WINDOW)}
    rows = await session.execute(statement, parameters)
    return [int(row[0]) for row in rows]
