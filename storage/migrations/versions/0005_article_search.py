"""full-text search over articles: an FTS5 index on SQLite, a tsvector column on PostgreSQL

SQLite: ``articles_fts``, an FTS5 table with external content (``articles``), so it stores
only the index; triggers keep it in step with every insert, update and delete of an article,
and the existing rows are indexed once here. unicode61 folds case in every script and
``remove_diacritics 2`` folds accents ("café" is "cafe").

PostgreSQL: ``articles.search_vector``, a stored generated tsvector in the ``simple``
configuration (no stemming, no stop words: language-neutral, so Ukrainian is indexed as it is
written), weighted title A, summary B, body C, with a GIN index. Latin accents are folded
by ``newsbot_search_fold`` (a ``translate``), on the documents and on the queries.

The search objects are not in the models (they are dialect-specific); storage.search names
them so autogenerate and the schema checks leave them alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# At most this much of a body is indexed on PostgreSQL: a tsvector holds at most 1 MiB.
_PG_BODY_CHARS = 200_000

_SQLITE_UPGRADE = (
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, summary, body,
        content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, new.body);
    END
    """,
    """
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
    END
    """,
    """
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
        INSERT INTO articles_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, new.body);
    END
    """,
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)

_SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)

# Latin letters with diacritics → the plain letter, for PostgreSQL (without the unaccent
# extension, which needs a superuser). Cyrillic is left as written: й and ї are letters of
# their own in Ukrainian (SQLite's unicode61 leaves them alone too).
_FOLD_FROM = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳØøŁłĐđ"
_FOLD_TO = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyOoLlDd"

_PG_UPGRADE = (
    f"""
    CREATE FUNCTION newsbot_search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT translate($1, '{_FOLD_FROM}', '{_FOLD_TO}') $$
    """,
    f"""
    ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig,
                              newsbot_search_fold(coalesce(title, ''))), 'A')
        || setweight(to_tsvector('simple'::regconfig,
                                 newsbot_search_fold(coalesce(summary, ''))), 'B')
        || setweight(to_tsvector('simple'::regconfig,
                                 newsbot_search_fold(left(coalesce(body, ''), {_PG_BODY_CHARS}))),
                     'C')
    ) STORED
    """,
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
)

_PG_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS newsbot_search_fold(text)",
)


def _dialect() -> str:
    return str(op.get_bind().dialect.name)


def upgrade() -> None:
    statements = _SQLITE_UPGRADE if _dialect() == "sqlite" else _PG_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = _SQLITE_DOWNGRADE if _dialect() == "sqlite" else _PG_DOWNGRADE
    for statement in statements:
        op.execute(statement)
