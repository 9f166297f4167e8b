"""Backups and restores: the demo hospital goes out to an archive through `itsm backup` and
comes back into an empty database with every row of every table, and its attachments,
unchanged; a damaged archive or a non-empty target is refused with nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from django.utils import translation

from itsm.core.backup import (
    BackupError,
    Database,
    read_archive,
    restore_database,
    restore_media,
    run_restore_test,
    scratch_database,
)
from itsm.core.models import AuditEntry, BackupRecord


def every_row(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a stable order, as plain tuples."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in database.tables():
        query = 'SELECT * FROM "%s"' % table
        if database.engine == "sqlite":
            with database.sqlite() as conn:
                fetched = conn.execute(query).fetchall()
        else:
            with database.postgresql() as conn:
                fetched = conn.execute(query).fetchall()
        rows[table] = sorted((tuple(row) for row in fetched), key=repr)
    return rows


def database_url(database: Database) -> str:
    if database.engine == "sqlite":
        return "sqlite:///" + database.name
    params = dict(database.params)
    return "postgres://%s:%s@%s:%s/%s" % (
        params.get("user", ""),
        params.get("password", ""),
        params.get("host", "127.0.0.1"),
        params.get("port", "5432"),
        database.name,
    )


def itsm(database: Database, var_dir: Path, *args: str) -> str:
    """Run an `itsm` command in its own process, as an operator would."""
    environment = {
        **os.environ,
        "ITSM_DATABASE_URL": database_url(database),
        "ITSM_VAR_DIR": str(var_dir),
        "ITSM_LANGUAGE": "en",
    }
    result = subprocess.run(
        [sys.executable, "-m", "itsm", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


class DemoHospitalRoundTripTests(TestCase):
    """The real commands on databases of their own (beside the test database), so that
    what is backed up is committed, as in production."""

    def test_the_demo_hospital_comes_back_table_for_table(self) -> None:
        var_dir = Path(tempfile.mkdtemp(prefix="itsm-backup-demo-"))
        self.addCleanup(shutil.rmtree, var_dir, ignore_errors=True)
        with scratch_database(engine()) as source:
            itsm(source, var_dir, "migrate", "--no-input", "-v0")
            itsm(source, var_dir, "demo")
            attachment = var_dir / "media" / "attachments" / "2026" / "11" / "a1b2c3.pdf"
            attachment.parent.mkdir(parents=True)
            attachment.write_bytes(b"%PDF-1.4 printer test page\n" * 100)
            before = every_row(source)
            output = itsm(source, var_dir, "backup")

            archive = next((var_dir / "backups").glob("itsm-*.tar"))
            self.assertIn(str(archive), output)
            self.assertEqual(archive.stat().st_mode & 0o777, 0o600)
            work = var_dir / "unpacked"
            manifest = read_archive(archive, work)
            self.assertGreater(sum(manifest["tables"].values()), 10_000)
            with scratch_database(engine()) as restored:
                restore_database(manifest, work, restored)
                after = every_row(restored)
        self.assertEqual(sorted(after), sorted(before))
        for table, rows in before.items():
            self.assertEqual(after[table], rows, table)
        restored_media = var_dir / "restored-media"
        self.assertEqual(restore_media(manifest, work, restored_media), 1)
        self.assertEqual(
            (restored_media / "attachments" / "2026" / "11" / "a1b2c3.pdf").read_bytes(),
            attachment.read_bytes(),
        )


class BackupCommandTests(TestCase):
    """`itsm backup` and `itsm restore` on a migrated database of their own, and every
    refusal: a damaged archive, a missing checksum, a target that is not empty, an
    attachment that would be overwritten."""

    source: Database
    var_dir: Path

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.var_dir = Path(tempfile.mkdtemp(prefix="itsm-backup-test-"))
        cls.addClassCleanup(shutil.rmtree, cls.var_dir, ignore_errors=True)
        scratch = scratch_database(engine())
        cls.source = scratch.__enter__()
        cls.addClassCleanup(scratch.__exit__, None, None, None)
        itsm(cls.source, cls.var_dir, "migrate", "--no-input", "-v0")
        cls.attachment = cls.var_dir / "media" / "attachments" / "2026" / "11" / "a1b2c3.pdf"
        cls.attachment.parent.mkdir(parents=True)
        cls.attachment.write_bytes(b"%PDF-1.4 printer test page\n" * 100)

    def setUp(self) -> None:
        # The refusals are checked by their English wording.
        translation.activate("en")
        self.addCleanup(translation.deactivate)

    def backup(self, *args: str) -> tuple[Path, str]:
        output = self.var_dir / ("out-%s" % self._testMethodName)
        printed = itsm(self.source, self.var_dir, "backup", "--output", str(output), *args)
        return next(output.glob("itsm-*.tar")), printed

    def records(self, database: Database) -> list[tuple[str, bool]]:
        query = "SELECT kind, ok FROM core_backuprecord ORDER BY id"
        if database.engine == "sqlite":
            with database.sqlite() as lite:
                return [(kind, bool(ok)) for kind, ok in lite.execute(query)]
        with database.postgresql() as pg:
            return [(kind, bool(ok)) for kind, ok in pg.execute(query)]

    def test_a_backup_with_a_restore_test_is_recorded_and_audited(self) -> None:
        _, printed = self.backup("--test-restore")
        self.assertIn("Restore test passed", printed)
        self.assertIn(("restore", True), self.records(self.source))
        self.assertIn(("backup", True), self.records(self.source))
        query = "SELECT COUNT(*) FROM core_auditentry WHERE action = 'restore_test'"
        with self.source.sqlite() if engine() == "sqlite" else self.source.postgresql() as conn:
            self.assertGreaterEqual(conn.execute(query).fetchone()[0], 1)  # type: ignore[index]

    def test_itsm_restore_fills_an_empty_database_and_records_it(self) -> None:
        archive, _ = self.backup()
        with scratch_database(engine()) as target:
            output = itsm(target, self.var_dir, "restore", str(archive))
            self.assertIn("restored", output)
            # The backup's own record was written after its snapshot; the restore's is here.
            self.assertEqual(self.records(target)[-1], ("restore", True))
            self.assertEqual(self.records(target)[:-1], self.records(self.source)[:-1])
            counts = target.counts()
            # A second restore into what is no longer an empty database is refused.
            environment = {
                **os.environ,
                "ITSM_DATABASE_URL": database_url(target),
                "ITSM_VAR_DIR": str(self.var_dir),
                "ITSM_LANGUAGE": "en",
            }
            again = subprocess.run(
                [sys.executable, "-m", "itsm", "restore", str(archive)],
                env=environment,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("not empty", again.stderr)
            self.assertEqual(target.counts(), counts)

    def test_a_damaged_archive_is_refused_and_the_failed_test_recorded(self) -> None:
        archive, _ = self.backup()
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))

        with self.assertRaisesMessage(BackupError, "damaged"):
            read_archive(archive, self.var_dir / "unpacked-damaged")
        record = run_restore_test(archive)
        self.assertFalse(record.ok)
        self.assertIn("damaged", record.note)
        self.assertTrue(AuditEntry.objects.filter(action="restore_test").exists())
        with self.assertRaises(CommandError):
            call_command("restore", str(archive), "--test", stdout=StringIO())
        self.assertEqual(BackupRecord.objects.filter(ok=False).count(), 2)

    def test_an_archive_without_its_checksum_is_refused(self) -> None:
        archive, _ = self.backup()
        Path("%s.sha256" % archive).unlink()
        with self.assertRaisesMessage(BackupError, "checksum"):
            read_archive(archive, self.var_dir / "unpacked-nochecksum")

    def test_a_file_changed_after_unpacking_is_not_restored(self) -> None:
        archive, _ = self.backup()
        work = self.var_dir / "unpacked-changed"
        manifest = read_archive(archive, work)
        changed = work / "media" / "attachments" / "2026" / "11" / "a1b2c3.pdf"
        changed.write_bytes(b"other")
        with self.assertRaisesMessage(BackupError, "damaged"):
            restore_media(manifest, work, self.var_dir / "media-from-changed")

    def test_a_restore_into_a_database_with_tables_is_refused(self) -> None:
        archive, _ = self.backup()
        work = self.var_dir / "unpacked-nonempty"
        manifest = read_archive(archive, work)
        counts = self.source.counts()
        with self.assertRaisesMessage(BackupError, "not empty"):
            restore_database(manifest, work, self.source)
        self.assertEqual(self.source.counts(), counts)

    def test_media_restore_never_overwrites_a_different_file(self) -> None:
        archive, _ = self.backup()
        work = self.var_dir / "unpacked-media"
        manifest = read_archive(archive, work)
        elsewhere = self.var_dir / "other-media"
        existing = elsewhere / "attachments" / "2026" / "11" / "a1b2c3.pdf"
        existing.parent.mkdir(parents=True)
        existing.write_bytes(b"changed since")
        with self.assertRaisesMessage(BackupError, "other content"):
            restore_media(manifest, work, elsewhere)
        self.assertEqual(existing.read_bytes(), b"changed since")
