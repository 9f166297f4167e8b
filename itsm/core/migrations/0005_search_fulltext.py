"""The full-text index over SearchDocument.tokens, per database: an FTS5 external-content
table kept in step by triggers on SQLite, a GIN index on PostgreSQL. Both read the tokens
as they are (words separated by one space), so both find the same documents."""

from typing import Any

from django.db import migrations

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE core_searchdocument_fts USING fts5("
    "tokens, content='core_searchdocument', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER core_searchdocument_ai AFTER INSERT ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER core_searchdocument_ad AFTER DELETE ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts, rowid, tokens) "
    "VALUES ('delete', old.id, old.tokens); END",
    "CREATE TRIGGER core_searchdocument_au AFTER UPDATE ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts, rowid, tokens) "
    "VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO core_searchdocument_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_searchdocument_au",
    "DROP TRIGGER IF EXISTS core_searchdocument_ad",
    "DROP TRIGGER IF EXISTS core_searchdocument_ai",
    "DROP TABLE IF EXISTS core_searchdocument_fts",
]
# array_to_tsvector takes the tokens as lexemes unchanged: the parser of to_tsvector
# would split codes such as 0x0000007b differently from FTS5.
POSTGRES_CREATE = [
    "CREATE INDEX core_searchdocument_fts ON core_searchdocument "
    "USING gin (array_to_tsvector(string_to_array(tokens, ' ')))",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS core_searchdocument_fts"]


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})


def drop_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [("core", "0004_search_document")]

    operations = [migrations.RunPython(create_index, drop_index)]
