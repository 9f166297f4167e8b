"""Online backups and restores: the database (SQLite through its online-backup API,
PostgreSQL through pg_dump from one exported snapshot) and the attachments, in one tar
archive whose manifest lists every file's checksum and every table's row count, so that a
restore can show it put back exactly what was saved.

An archive `itsm-<time>.tar` holds `manifest.json`, `database.sqlite3` or `database.dump`
(pg_dump's custom format) and `media/…`; beside it, `itsm-<time>.tar.sha256` in sha256sum's
format. A restore goes into an empty database only: it never merges into live data."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.models import BackupRecord
from itsm.core.services import write_audit

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# --------------------------------------------------------------------------------------
# Where a database is: the configured one, or a scratch one for a restore test


@dataclass(frozen=True)
class Database:
    """A database outside Django's connection handling: a SQLite file, or a PostgreSQL
    database named by libpq connection parameters."""

    engine: str  # "sqlite" or "postgresql"
    name: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def configured(cls) -> Database:
        """The database the product runs on (the test database under tests)."""
        config = connection.settings_dict
        if connection.vendor == "sqlite":
            return cls("sqlite", str(config["NAME"]))
        params = {
            "host": config.get("HOST") or "",
            "port": str(config.get("PORT") or ""),
            "user": config.get("USER") or "",
            "password": config.get("PASSWORD") or "",
        }
        return cls("postgresql", str(config["NAME"]), tuple((k, v) for k, v in params.items() if v))

    def conninfo(self, dbname: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(**dict(self.params), dbname=dbname or self.name)

    def environment(self) -> dict[str, str]:
        """libpq's environment variables for pg_dump and pg_restore (no password on the
        command line, where `ps` would show it)."""
        names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
        return {**os.environ, **{names[k]: v for k, v in self.params}}

    @contextmanager
    def sqlite(self) -> Iterator[sqlite3.Connection]:
        uri = self.name.startswith("file:")
        with closing(sqlite3.connect(self.name, uri=uri)) as conn:
            yield conn

    @contextmanager
    def postgresql(self, dbname: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            yield conn

    def tables(self) -> list[str]:
        if self.engine == "sqlite":
            with self.sqlite() as conn:
                rows = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                ).fetchall()
            return [row[0] for row in rows if not _is_shadow_table(row[0])]
        with self.postgresql() as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        return [row[0] for row in rows]

    def counts(self) -> dict[str, int]:
        """Rows per table, in one snapshot."""
        tables = self.tables()
        if self.engine == "sqlite":
            with self.sqlite() as lite:
                lite.execute("BEGIN")
                return {t: _scalar(lite.execute('SELECT COUNT(*) FROM "%s"' % t)) for t in tables}
        with self.postgresql() as pg, pg.transaction():
            pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return {t: _scalar(pg.execute('SELECT COUNT(*) FROM "%s"' % t)) for t in tables}


def _scalar(cursor: Any) -> Any:
    row = cursor.fetchone()
    return row[0]


def _is_shadow_table(name: str) -> bool:
    """SQLite's full-text index keeps its data in shadow tables of the virtual table
    (`…_data`, `…_idx`, …): they are saved and restored with it, and not counted apart."""
    return "_fts" in name and name.rsplit("_", 1)[-1] in {
        "data",
        "idx",
        "docsize",
        "config",
        "content",
    }


# --------------------------------------------------------------------------------------
# Backup


def _dump_sqlite(source: Database, target: Path) -> dict[str, int]:
    """Copy the live database page by page with SQLite's online-backup API (writers may go
    on meanwhile; the copy is one consistent state), then count the copy's rows."""
    with source.sqlite() as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    _fsync(target)
    return Database("sqlite", str(target)).counts()


def _dump_postgresql(source: Database, target: Path) -> dict[str, int]:
    """pg_dump from a snapshot exported by a repeatable-read transaction, which also counts
    the rows: the counts describe exactly the state dumped."""
    tables = source.tables()
    with source.postgresql() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot = _scalar(conn.execute("SELECT pg_export_snapshot()"))
        counts = {t: _scalar(conn.execute('SELECT COUNT(*) FROM "%s"' % t)) for t in tables}
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-acl",
                "--snapshot",
                snapshot,
                "--file",
                str(target),
                source.name,
            ],
            source,
        )
    _fsync(target)
    return counts


def _run(command: list[str], database: Database) -> None:
    result = subprocess.run(
        command, env=database.environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError("%s: %s" % (command[0], result.stderr.strip() or result.returncode))


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix()


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    size: int
    manifest: dict[str, Any]


def make_backup(directory: Path | None = None) -> BackupResult:
    """Write a backup archive of the configured database and the attachments, and record
    it (BackupRecord, audited). The archive appears under its final name only when whole."""
    source = Database.configured()
    directory = Path(directory or settings.ITSM_BACKUP_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
    final = directory / ("itsm-%s.tar" % stamp)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work_dir:
        work = Path(work_dir)
        database_file = work / (SQLITE_FILE if source.engine == "sqlite" else PG_FILE)
        if source.engine == "sqlite":
            counts = _dump_sqlite(source, database_file)
        else:
            counts = _dump_postgresql(source, database_file)
        media = [
            {"path": name, "size": path.stat().st_size, "sha256": sha256_file(path)}
            for path, name in _media_files()
        ]
        manifest = {
            "format": FORMAT,
            "product": "hospital-itsm",
            "created_at": timezone.now().isoformat(),
            "engine": source.engine,
            "database": {
                "file": database_file.name,
                "size": database_file.stat().st_size,
                "sha256": sha256_file(database_file),
            },
            "migrations": sorted(
                "%s.%s" % pair for pair in MigrationRecorder(connection).applied_migrations()
            ),
            "tables": counts,
            "media": media,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        partial = work / final.name
        with tarfile.open(partial, "w") as archive:
            archive.add(work / MANIFEST, MANIFEST)
            archive.add(database_file, database_file.name)
            for path, name in _media_files():
                if any(item["path"] == name for item in media):
                    archive.add(path, "media/" + name)
        _fsync(partial)
        digest = sha256_file(partial)
        os.replace(partial, final)
    # The archive holds password hashes and patients' phone numbers: its owner alone reads it.
    final.chmod(0o600)
    Path("%s.sha256" % final).write_text("%s  %s\n" % (digest, final.name))
    size = final.stat().st_size
    record = BackupRecord.objects.create(
        kind=BackupRecord.Kind.BACKUP, path=str(final), sha256=digest, size=size
    )
    write_audit(record, actor=None, action="backup", note=final.name)
    return BackupResult(final, digest, size, manifest)


# --------------------------------------------------------------------------------------
# Restore


def read_archive(archive: Path, work: Path) -> dict[str, Any]:
    """Check the archive against its .sha256 file, unpack it into `work` and check every
    file against the manifest. Returns the manifest."""
    checksum_file = Path("%s.sha256" % archive)
    if not archive.is_file():
        raise BackupError(_("No backup file %(path)s.") % {"path": archive})
    if not checksum_file.is_file():
        raise BackupError(_("The checksum file %(path)s is missing.") % {"path": checksum_file})
    expected = checksum_file.read_text().split()[0]
    if sha256_file(archive) != expected:
        raise BackupError(_("The backup file does not match its checksum: it is damaged."))
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    manifest: dict[str, Any] = json.loads((work / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(_("Unknown backup format."))
    files = [manifest["database"] | {"path": manifest["database"]["file"]}] + [
        item | {"path": "media/" + item["path"]} for item in manifest["media"]
    ]
    for item in files:
        path = work / item["path"]
        if not path.is_file() or sha256_file(path) != item["sha256"]:
            raise BackupError(
                _("%(name)s in the backup is missing or damaged.") % {"name": item["path"]}
            )
    return manifest


def restore_database(manifest: dict[str, Any], work: Path, target: Database) -> None:
    """Load the database of an unpacked archive into `target`, which must be empty."""
    if manifest["engine"] != target.engine:
        raise BackupError(
            _("This backup is of a %(backup)s database; the target is %(target)s.")
            % {"backup": manifest["engine"], "target": target.engine}
        )
    if target.tables():
        raise BackupError(_("The target database is not empty: restore only into an empty one."))
    database_file = work / manifest["database"]["file"]
    if target.engine == "sqlite":
        with closing(sqlite3.connect(database_file)) as saved, target.sqlite() as restored:
            saved.backup(restored)
    else:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                target.name,
                str(database_file),
            ],
            target,
        )
    counts = target.counts()
    wrong = sorted(t for t, n in manifest["tables"].items() if counts.get(t) != n)
    if wrong:
        raise BackupError(
            _("Restored tables differ from the backup: %(tables)s") % {"tables": ", ".join(wrong)}
        )


def restore_media(manifest: dict[str, Any], work: Path, media_root: Path) -> int:
    """Put the attachments back; a file already there must be the same file."""
    for item in manifest["media"]:
        source = work / "media" / item["path"]
        target = media_root / item["path"]
        if sha256_file(source) != item["sha256"]:
            raise BackupError(
                _("%(name)s in the backup is missing or damaged.") % {"name": item["path"]}
            )
        if target.exists():
            if sha256_file(target) != item["sha256"]:
                raise BackupError(_("%(name)s exists with other content.") % {"name": item["path"]})
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return len(manifest["media"])


def restore_backup(archive: Path) -> dict[str, Any]:
    """`itsm restore`: the archive into the configured database (which must be empty, e.g.
    just created) and the attachments into MEDIA_ROOT; recorded in the restored database."""
    target = Database.configured()
    connection.close()
    with tempfile.TemporaryDirectory(prefix="itsm-restore-") as work_dir:
        work = Path(work_dir)
        manifest = read_archive(archive, work)
        restore_database(manifest, work, target)
        restore_media(manifest, work, Path(settings.MEDIA_ROOT))
    record = BackupRecord.objects.create(
        kind=BackupRecord.Kind.RESTORE,
        path=str(archive),
        sha256=sha256_file(archive),
        size=archive.stat().st_size,
        note=_("Restored into this database."),
    )
    write_audit(record, actor=None, action="restore", note=archive.name)
    return manifest


@contextmanager
def scratch_database(engine: str) -> Iterator[Database]:
    """An empty database beside the configured one, dropped afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="itsm-restore-test-") as directory:
            yield Database("sqlite", str(Path(directory) / "restored.sqlite3"))
        return
    live = Database.configured()
    name = "itsm_restore_test_%d_%s" % (os.getpid(), uuid.uuid4().hex[:8])
    with live.postgresql("postgres") as admin:
        admin.execute('DROP DATABASE IF EXISTS "%s"' % name)
        admin.execute("CREATE DATABASE \"%s\" TEMPLATE template0 ENCODING 'UTF8'" % name)
    try:
        yield Database("postgresql", name, live.params)
    finally:
        with live.postgresql("postgres") as admin:
            admin.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def run_restore_test(archive: Path) -> BackupRecord:
    """A restore test: the archive restored into a scratch database and every table's
    rows counted against the manifest; the outcome recorded (for the self-check page),
    also when it fails."""
    try:
        with tempfile.TemporaryDirectory(prefix="itsm-restore-") as work_dir:
            work = Path(work_dir)
            manifest = read_archive(archive, work)
            with scratch_database(manifest["engine"]) as scratch:
                restore_database(manifest, work, scratch)
        ok, note = (
            True,
            _("Restore test passed: %(tables)d tables, %(files)d attachments.")
            % {
                "tables": len(manifest["tables"]),
                "files": len(manifest["media"]),
            },
        )
    except BackupError as error:
        ok, note = False, str(error)
    record = BackupRecord.objects.create(
        kind=BackupRecord.Kind.RESTORE,
        path=str(archive),
        sha256=sha256_file(archive) if archive.is_file() else "",
        size=archive.stat().st_size if archive.is_file() else 0,
        ok=ok,
        note=note,
    )
    write_audit(record, actor=None, action="restore_test", note=note)
    return record
