"""Full text that finds the newest matches of one type without reading all of them.

Each type of document (a SearchKind) has an index of its own, so "incidents holding these
words" never sorts through the articles holding them. SQLite: one FTS5 table per type
(core_searchdocument_fts_<type>, over the tokens and the open flag), kept in step by
triggers; FTS5 yields its matches newest first and stops at the limit. PostgreSQL: the
tsvector is stored in a generated column (`tsv`), so a row is checked without re-reading
its tokens, with one partial GIN index per type. Categories are stored as paths
("/硬件/打印机/") so that a search in a category finds its subcategories.

A new type of searchable record needs its indexes: a migration calling `create_indexes`
for it."""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr

old: Any = importlib.import_module("itsm.core.migrations.0005_search_fulltext")

KINDS = ("article", "incident", "problem")


def fts_table(kind: str) -> str:
    return "core_searchdocument_fts_%s" % kind


def _sqlite_triggers(kinds: tuple[str, ...]) -> list[str]:
    inserts = " ".join(
        "INSERT INTO %s(rowid, tokens, open) SELECT new.id, new.tokens, new.open"
        " WHERE new.kind = '%s';" % (fts_table(kind), kind)
        for kind in kinds
    )
    deletes = " ".join(
        "INSERT INTO %(t)s(%(t)s, rowid, tokens, open)"
        " SELECT 'delete', old.id, old.tokens, old.open WHERE old.kind = '%(k)s';"
        % {"t": fts_table(kind), "k": kind}
        for kind in kinds
    )
    return [
        "DROP TRIGGER IF EXISTS core_searchdocument_ai",
        "DROP TRIGGER IF EXISTS core_searchdocument_ad",
        "DROP TRIGGER IF EXISTS core_searchdocument_au",
        "CREATE TRIGGER core_searchdocument_ai AFTER INSERT ON core_searchdocument BEGIN "
        "%s END" % inserts,
        "CREATE TRIGGER core_searchdocument_ad AFTER DELETE ON core_searchdocument BEGIN "
        "%s END" % deletes,
        "CREATE TRIGGER core_searchdocument_au AFTER UPDATE ON core_searchdocument BEGIN "
        "%s %s END" % (deletes, inserts),
    ]


def create_indexes(schema_editor: Any, kinds: tuple[str, ...], every_kind: tuple[str, ...]) -> None:
    """The full-text indexes of `kinds`, filled from their documents (`every_kind`: all the
    types there are, for SQLite's triggers)."""
    if schema_editor.connection.vendor == "sqlite":
        for kind in kinds:
            table = fts_table(kind)
            schema_editor.execute(
                "CREATE VIRTUAL TABLE %s USING fts5(tokens, open, content='core_searchdocument',"
                " content_rowid='id', tokenize='unicode61')" % table
            )
            schema_editor.execute(
                "INSERT INTO %s(rowid, tokens, open) SELECT id, tokens, open"
                " FROM core_searchdocument WHERE kind = '%s'" % (table, kind)
            )
            schema_editor.execute("INSERT INTO %s(%s) VALUES ('optimize')" % (table, table))
        for statement in _sqlite_triggers(every_kind):
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "postgresql":
        for kind in kinds:
            schema_editor.execute(
                "CREATE INDEX core_searchdocument_tsv_%s ON core_searchdocument"
                " USING gin (tsv) WHERE kind = '%s'" % (kind, kind)
            )


def forwards(apps: Any, schema_editor: Any) -> None:
    documents = apps.get_model("core", "SearchDocument").objects.exclude(category="")
    documents.update(category=Concat(Value("/"), F("category"), Value("/")))
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in old.SQLITE_DROP:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        # array_to_tsvector takes the tokens as lexemes unchanged, as FTS5 reads them.
        schema_editor.execute(
            "ALTER TABLE core_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS"
            " (array_to_tsvector(string_to_array(tokens, ' '))) STORED"
        )
        schema_editor.execute("DROP INDEX IF EXISTS core_searchdocument_fts")
    create_indexes(schema_editor, KINDS, KINDS)


def backwards(apps: Any, schema_editor: Any) -> None:
    documents = apps.get_model("core", "SearchDocument").objects.exclude(category="")
    documents.update(category=Substr("category", 2, Length("category") - 2))
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("ai", "ad", "au"):
            schema_editor.execute("DROP TRIGGER IF EXISTS core_searchdocument_%s" % name)
        for kind in KINDS:
            schema_editor.execute("DROP TABLE IF EXISTS %s" % fts_table(kind))
        for statement in old.SQLITE_CREATE:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        for kind in KINDS:
            schema_editor.execute("DROP INDEX IF EXISTS core_searchdocument_tsv_%s" % kind)
        schema_editor.execute("ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS tsv")
        for statement in old.POSTGRES_CREATE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_search_document_open")]

    operations = [migrations.RunPython(forwards, backwards)]
