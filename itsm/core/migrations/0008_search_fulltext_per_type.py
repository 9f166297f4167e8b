"""On SQLite, one FTS5 table per type of document (core_searchdocument_fts_<type>), kept in
step by the same three triggers. With one table for every type, "incidents holding these
words" had to be joined with the type's million entries or sorted out of the articles
holding them; with a table per type the index holds only the type's own documents, and
FTS5 yields its matches newest first and stops at the limit. PostgreSQL is unchanged.

A new type of searchable record (a SearchKind) needs its table: a migration calling
`create_tables` for it."""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations

previous: Any = importlib.import_module("itsm.core.migrations.0007_search_candidates")

KINDS = ("article", "incident", "problem")


def table(kind: str) -> str:
    return "core_searchdocument_fts_%s" % kind


def _triggers(kinds: tuple[str, ...]) -> list[str]:
    def insert(kind: str) -> str:
        return (
            "INSERT INTO %s(rowid, tokens, open) SELECT new.id, new.tokens, new.open"
            " WHERE new.kind = '%s';" % (table(kind), kind)
        )

    def delete(kind: str) -> str:
        return (
            "INSERT INTO %(t)s(%(t)s, rowid, tokens, open)"
            " SELECT 'delete', old.id, old.tokens, old.open WHERE old.kind = '%(k)s';"
            % {"t": table(kind), "k": kind}
        )

    inserts = " ".join(insert(kind) for kind in kinds)
    deletes = " ".join(delete(kind) for kind in kinds)
    return [
        "CREATE TRIGGER core_searchdocument_ai AFTER INSERT ON core_searchdocument BEGIN "
        "%s END" % inserts,
        "CREATE TRIGGER core_searchdocument_ad AFTER DELETE ON core_searchdocument BEGIN "
        "%s END" % deletes,
        "CREATE TRIGGER core_searchdocument_au AFTER UPDATE ON core_searchdocument BEGIN "
        "%s %s END" % (deletes, inserts),
    ]


def create_tables(schema_editor: Any, kinds: tuple[str, ...]) -> None:
    """The tables of `kinds`, filled from the documents, and the triggers of every type."""
    for kind in kinds:
        schema_editor.execute(
            "CREATE VIRTUAL TABLE %s USING fts5(tokens, open, content='core_searchdocument',"
            " content_rowid='id', tokenize='unicode61')" % table(kind)
        )
        schema_editor.execute(
            "INSERT INTO %s(rowid, tokens, open) SELECT id, tokens, open"
            " FROM core_searchdocument WHERE kind = '%s'" % (table(kind), kind)
        )
        schema_editor.execute("INSERT INTO %s(%s) VALUES ('optimize')" % (table(kind), table(kind)))
    for name in ("ai", "ad", "au"):
        schema_editor.execute("DROP TRIGGER IF EXISTS core_searchdocument_%s" % name)
    for statement in _triggers(KINDS):
        schema_editor.execute(statement)


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in previous.old.SQLITE_DROP:
        schema_editor.execute(statement)
    create_tables(schema_editor, KINDS)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in ("ai", "ad", "au"):
        schema_editor.execute("DROP TRIGGER IF EXISTS core_searchdocument_%s" % name)
    for kind in KINDS:
        schema_editor.execute("DROP TABLE IF EXISTS %s" % table(kind))
    for statement in previous.SQLITE_CREATE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0007_search_candidates")]

    operations = [migrations.RunPython(forwards, backwards)]
