"""Full text that finds the newest matches of one type without reading all of them.

SQLite: the FTS5 table also indexes the document's type (`kind`) and whether its ticket is
open, so a query asks for "open incidents with these words" and FTS5 walks its matches
newest first, stopping at the limit. PostgreSQL: the tsvector is stored in a generated
column (`tsv`, GIN-indexed), so a row is checked without re-segmenting its tokens; it holds the type too ("kind_article",
never a word: words have no "_"), so the index finds "articles with these words" exactly;
an index on (kind, id) walks one type's documents newest first. Categories are
stored as paths ("/硬件/打印机/") so that a search in a category finds its subcategories."""

import importlib
from typing import Any

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr

old: Any = importlib.import_module("itsm.core.migrations.0005_search_fulltext")

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE core_searchdocument_fts USING fts5("
    "tokens, kind, open, content='core_searchdocument', content_rowid='id', "
    "tokenize='unicode61')",
    "CREATE TRIGGER core_searchdocument_ai AFTER INSERT ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(rowid, tokens, kind, open) "
    "VALUES (new.id, new.tokens, new.kind, new.open); END",
    "CREATE TRIGGER core_searchdocument_ad AFTER DELETE ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts, rowid, tokens, kind, open) "
    "VALUES ('delete', old.id, old.tokens, old.kind, old.open); END",
    "CREATE TRIGGER core_searchdocument_au AFTER UPDATE ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts, rowid, tokens, kind, open) "
    "VALUES ('delete', old.id, old.tokens, old.kind, old.open); "
    "INSERT INTO core_searchdocument_fts(rowid, tokens, kind, open) "
    "VALUES (new.id, new.tokens, new.kind, new.open); END",
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts) VALUES ('rebuild')",
]
POSTGRES_CREATE = [
    "ALTER TABLE core_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(tokens, ' ') || ('kind_' || kind::text))) STORED",
    "CREATE INDEX core_searchdocument_tsv ON core_searchdocument USING gin (tsv)",
    "DROP INDEX IF EXISTS core_searchdocument_fts",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS core_searchdocument_tsv",
    "ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS tsv",
]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps: Any, schema_editor: Any) -> None:
    documents = apps.get_model("core", "SearchDocument").objects.exclude(category="")
    documents.update(category=Concat(Value("/"), F("category"), Value("/")))
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, old.SQLITE_DROP + SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)


def backwards(apps: Any, schema_editor: Any) -> None:
    documents = apps.get_model("core", "SearchDocument").objects.exclude(category="")
    documents.update(category=Substr("category", 2, Length("category") - 2))
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, old.SQLITE_DROP + old.SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP + old.POSTGRES_CREATE)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_search_document_open")]

    operations = [migrations.RunPython(forwards, backwards)]
