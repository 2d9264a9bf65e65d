"""Trigram (pg_trgm) indexes for the columns staff and the public search with `icontains`.

Django's `icontains` on PostgreSQL is `UPPER(column::text) LIKE UPPER('%term%')`, a pattern with
a leading wildcard that no B-tree can serve; a GIN index of the trigrams of `UPPER(column)` can,
and it serves `iexact` too (pg_trgm 1.6). Trigrams work on Chinese where full-text search does
not: PostgreSQL's text search parsers split on spaces and punctuation, so a Chinese title is one
"word" and 项目 would never match 合成项目 without a separate segmenter (zhparser, not in Debian's
PostgreSQL); trigrams are taken over characters, whatever the script, and a term of three
characters or more narrows the index scan (a shorter one still gives the right answer).

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner, who runs migrations,
may create it. PostgreSQL only; on SQLite (the demo) the operations do nothing.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]


def trigram_indexes(table: str, *columns: str) -> migrations.RunPython:
    """A migration operation creating pg_trgm if missing and a trigram index on
    `UPPER(column)` for each column (dropping the indexes backwards)."""

    def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.connection.ops.quote_name
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(index_name(table, column))} "
                f"ON {quote(table)} USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
            )

    def drop(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.connection.ops.quote_name
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index_name(table, column))}")

    return migrations.RunPython(create, drop, elidable=False)
