"""The tamper-evident audit chain: sealing in commit order, `itsm audit verify` finding an
entry edited or deleted behind the product's back, and archiving past the retention
period without ever deleting what no archive holds."""

from __future__ import annotations

import datetime
import gzip
import io
import json
import tempfile
import threading
from pathlib import Path
from typing import Any
from unittest import skipUnless

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from itsm.accounts.models import Department, User
from itsm.core.audit_chain import (
    _seal_after_commit,
    archive_audit,
    seal_audit,
    verify_audit,
)
from itsm.core.models import AuditArchive, AuditEntry, AuditSeal
from itsm.core.services import write_audit


def run_sql(sql: str, params: list[Any]) -> None:
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{table}", table), params)


def verify_command(*args: str) -> tuple[int, str]:
    """`itsm audit verify`: its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, err.getvalue()
    return 0, out.getvalue()


class ChainTestCase(TestCase):
    user: User
    department: Department

    @classmethod
    def setUpTestData(cls) -> None:
        cls.user = User.objects.create_user("auditor-test")
        cls.department = Department.objects.create(name="急诊科", code="ED")

    def write(self, count: int, **fields: Any) -> list[AuditEntry]:
        return [
            write_audit(
                self.department,
                actor=self.user,
                action="update",
                changes={"name": ["急诊科", "急诊医学科 %d" % i], "phone": [None, "8%03d" % i]},
                note="第%d次" % i,
                **fields,
            )
            for i in range(count)
        ]

    def sealed(self) -> list[AuditEntry]:
        return list(AuditEntry.objects.filter(seq__isnull=False).order_by("seq"))


class SealTests(ChainTestCase):
    def test_sealing_chains_entries_in_order_from_the_head(self) -> None:
        entries = self.write(3)
        self.assertEqual(seal_audit(), 3)
        sealed = self.sealed()
        self.assertEqual([e.pk for e in sealed], [e.pk for e in entries])
        self.assertEqual([e.seq for e in sealed], [1, 2, 3])
        self.assertEqual(sealed[0].prev_hash, "")
        self.assertEqual(sealed[1].prev_hash, sealed[0].hash)
        self.assertEqual(sealed[2].prev_hash, sealed[1].hash)
        head = AuditSeal.objects.get()
        self.assertEqual((head.last_seq, head.last_hash), (3, sealed[2].hash))

    def test_sealing_again_seals_only_the_new_entries(self) -> None:
        self.write(2)
        seal_audit()
        first_hashes = [e.hash for e in self.sealed()]
        self.write(1)
        self.assertEqual(seal_audit(), 1)
        self.assertEqual(seal_audit(), 0)
        sealed = self.sealed()
        self.assertEqual([e.hash for e in sealed[:2]], first_hashes)
        self.assertEqual(sealed[2].seq, 3)
        self.assertEqual(sealed[2].prev_hash, sealed[1].hash)

    def test_a_transaction_that_audits_seals_once_on_commit(self) -> None:
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            with transaction.atomic():
                self.write(3)
        self.assertEqual([c for c in callbacks if c is _seal_after_commit], [_seal_after_commit])
        self.assertFalse(AuditEntry.objects.filter(seq__isnull=True).exists())

    def test_a_rolled_back_savepoint_does_not_lose_the_seal(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        self.write(1)
                        raise RuntimeError
                except RuntimeError:
                    pass
                self.write(1)
        self.assertEqual(AuditEntry.objects.count(), 1)
        self.assertEqual(AuditEntry.objects.get().seq, 1)

    def test_the_worker_seals_and_archives_periodically(self) -> None:
        jobs = [path for path, _interval in settings.ITSM_PERIODIC_JOBS]
        self.assertIn("itsm.core.audit_chain.seal_audit", jobs)
        self.assertIn("itsm.core.audit_chain.archive_audit", jobs)


class VerifyTests(ChainTestCase):
    def setUp(self) -> None:
        self.entries = self.write(5)

    def assert_broken_at(self, entry: AuditEntry, problem: str) -> None:
        code, output = verify_command()
        self.assertEqual(code, 1, output)
        self.assertIn("position %d (entry id %d" % (entry.seq or 0, entry.pk), output)
        self.assertIn(problem, output)

    def test_an_intact_chain_passes_with_its_count(self) -> None:
        code, output = verify_command()
        self.assertEqual(code, 0)
        self.assertIn("5 entries checked", output)
        self.assertIn("head at position 5", output)

    def test_an_empty_log_is_intact(self) -> None:
        AuditEntry.objects.all().delete()
        self.assertEqual(verify_command()[0], 0)

    def test_it_seals_before_it_checks(self) -> None:
        self.assertTrue(AuditEntry.objects.filter(seq__isnull=True).exists())
        verify_command()
        self.assertFalse(AuditEntry.objects.filter(seq__isnull=True).exists())

    def test_changes_edited_in_the_database_are_found(self) -> None:
        seal_audit()
        victim = AuditEntry.objects.get(pk=self.entries[2].pk)
        forged = json.dumps({"name": ["急诊科", "伪造"]}, ensure_ascii=False)
        run_sql("UPDATE {table} SET changes = %s WHERE id = %s", [forged, victim.pk])
        self.assert_broken_at(victim, "contents altered")

    def test_a_changed_actor_is_found(self) -> None:
        seal_audit()
        other = User.objects.create_user("someone-else")
        victim = AuditEntry.objects.get(pk=self.entries[1].pk)
        run_sql("UPDATE {table} SET actor_id = %s WHERE id = %s", [other.pk, victim.pk])
        self.assert_broken_at(victim, "contents altered")

    def test_a_backdated_entry_is_found(self) -> None:
        seal_audit()
        victim = AuditEntry.objects.get(pk=self.entries[3].pk)
        earlier = victim.created_at - datetime.timedelta(days=1)
        run_sql("UPDATE {table} SET created_at = %s WHERE id = %s", [earlier, victim.pk])
        self.assert_broken_at(victim, "contents altered")

    def test_a_deleted_middle_entry_is_found(self) -> None:
        seal_audit()
        run_sql("DELETE FROM {table} WHERE id = %s", [self.entries[2].pk])
        following = AuditEntry.objects.get(pk=self.entries[3].pk)
        code, output = verify_command()
        self.assertEqual(code, 1)
        self.assertIn("position 4 (entry id %d" % following.pk, output)
        self.assertIn("expected position 3, found 4", output)

    def test_a_deleted_newest_entry_is_found(self) -> None:
        seal_audit()
        run_sql("DELETE FROM {table} WHERE id = %s", [self.entries[4].pk])
        code, output = verify_command()
        self.assertEqual(code, 1)
        self.assertIn("the chain head is at position 5", output)

    def test_a_rewritten_hash_is_found(self) -> None:
        seal_audit()
        victim = AuditEntry.objects.get(pk=self.entries[1].pk)
        run_sql("UPDATE {table} SET hash = %s WHERE id = %s", ["0" * 64, victim.pk])
        # The entry's own hash no longer matches its contents.
        self.assert_broken_at(victim, "contents altered")

    def test_a_hash_recomputed_after_an_edit_breaks_the_next_link(self) -> None:
        seal_audit()
        victim = AuditEntry.objects.get(pk=self.entries[1].pk)
        run_sql("UPDATE {table} SET note = %s WHERE id = %s", ["改过", victim.pk])
        # The forger recomputes the entry's hash; the next entry still names the old one.
        from itsm.core.audit_chain import HASHED_FIELDS, _rows, entry_hash

        row = _rows(AuditEntry.objects.filter(pk=victim.pk).values(*HASHED_FIELDS))[0]
        run_sql("UPDATE {table} SET hash = %s WHERE id = %s", [entry_hash(row), victim.pk])
        following = AuditEntry.objects.get(pk=self.entries[2].pk)
        self.assert_broken_at(following, "previous hash does not match")


@override_settings(ITSM_AUDIT_RETENTION_DAYS=180)
class ArchiveTests(ChainTestCase):
    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)
        override = override_settings(ITSM_AUDIT_ARCHIVE_DIR=Path(self.directory.name))
        override.enable()
        self.addCleanup(override.disable)
        now = timezone.now()
        self.old = self.write(4)
        self.recent = self.write(2)
        for days, entry in zip((400, 300, 200, 10), self.old, strict=True):
            AuditEntry.objects.filter(pk=entry.pk).update(
                created_at=now - datetime.timedelta(days=days)
            )

    def test_old_entries_move_to_a_file_and_the_chain_continues(self) -> None:
        [archive] = archive_audit()
        # Entries are archived in chain order up to the first one still to be kept.
        self.assertEqual((archive.first_seq, archive.last_seq, archive.entries), (1, 3, 3))
        self.assertEqual(set(AuditEntry.objects.values_list("seq", flat=True)), {4, 5, 6})
        path = Path(self.directory.name) / archive.path
        self.assertRegex(archive.path, r"^audit-000000000001-000000000003-\d{8}\.jsonl\.gz$")
        with gzip.open(path, "rt", encoding="utf-8") as file:
            lines = [json.loads(line) for line in file]
        self.assertEqual([line["seq"] for line in lines], [1, 2, 3])
        self.assertEqual(lines[0]["note"], "第0次")
        self.assertEqual(lines[-1]["hash"], archive.last_hash)
        code, output = verify_command("--archives")
        self.assertEqual(code, 0, output)
        self.assertIn("3 entries checked in the database, 3 archived", output)

    def test_running_again_archives_nothing_new(self) -> None:
        archive_audit()
        self.assertEqual(archive_audit(), [])
        self.assertEqual(AuditArchive.objects.count(), 1)

    def test_the_command_archives(self) -> None:
        out = io.StringIO()
        call_command("audit", "archive", stdout=out)
        self.assertIn("Archived 3 entries (positions 1–3)", out.getvalue())

    @override_settings(ITSM_AUDIT_RETENTION_DAYS=30)
    def test_retention_is_never_shorter_than_six_months(self) -> None:
        [archive] = archive_audit()
        self.assertEqual(archive.last_seq, 3)

    def test_an_altered_archive_file_is_found(self) -> None:
        [archive] = archive_audit()
        path = Path(self.directory.name) / archive.path
        with gzip.open(path, "rt", encoding="utf-8") as file:
            lines = file.readlines()
        lines[1] = lines[1].replace("第1次", "第9次")
        with gzip.open(path, "wt", encoding="utf-8") as file:
            file.writelines(lines)
        code, output = verify_command()
        self.assertEqual(code, 1)
        self.assertIn("checksum does not match", output)

    def test_a_missing_archive_file_is_found(self) -> None:
        [archive] = archive_audit()
        (Path(self.directory.name) / archive.path).unlink()
        code, output = verify_command()
        self.assertEqual(code, 1)
        self.assertIn("archive file missing", output)

    def test_nothing_is_deleted_when_the_file_cannot_be_written(self) -> None:
        blocked = Path(self.directory.name) / "not-a-directory"
        blocked.write_text("")
        with override_settings(ITSM_AUDIT_ARCHIVE_DIR=blocked), self.assertRaises(OSError):
            archive_audit()
        self.assertEqual(AuditEntry.objects.count(), 6)
        self.assertFalse(AuditArchive.objects.exists())

    def test_an_entry_deleted_before_archiving_keeps_the_break_visible(self) -> None:
        seal_audit()
        run_sql("DELETE FROM {table} WHERE id = %s", [self.old[1].pk])
        archive_audit()
        code, output = verify_command("--archives")
        self.assertEqual(code, 1)
        self.assertIn("expected position 2, found 3", output)


class CommitOrderTests(TransactionTestCase):
    """Real commits: every committed write is sealed when its transaction commits."""

    def test_committed_writes_are_sealed_without_a_sweep(self) -> None:
        department = Department.objects.create(name="药剂科", code="PH")
        with transaction.atomic():
            write_audit(department, actor=None, action="update", note="一")
            write_audit(department, actor=None, action="update", note="二")
        write_audit(department, actor=None, action="update", note="三")
        self.assertEqual(
            list(AuditEntry.objects.order_by("id").values_list("seq", flat=True)), [1, 2, 3]
        )
        self.assertIsNone(verify_audit().broken)

    def test_a_rolled_back_write_leaves_no_entry_and_no_gap(self) -> None:
        department = Department.objects.create(name="药剂科", code="PH")
        try:
            with transaction.atomic():
                write_audit(department, actor=None, action="update")
                raise RuntimeError
        except RuntimeError:
            pass
        write_audit(department, actor=None, action="update")
        self.assertEqual(list(AuditEntry.objects.values_list("seq", flat=True)), [1])
        self.assertIsNone(verify_audit().broken)

    def test_nothing_to_seal_takes_no_write_lock(self) -> None:
        department = Department.objects.create(name="药剂科", code="PH")
        write_audit(department, actor=None, action="update")
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(seal_audit(), 0)
        statements = [query["sql"] for query in queries.captured_queries]
        self.assertEqual(len(statements), 1, statements)  # the look for unsealed entries
        self.assertTrue(statements[0].startswith("SELECT"), statements)

    @skipUnless(connection.vendor == "postgresql", "row locks: PostgreSQL")
    def test_a_seal_after_commit_does_not_wait_for_another_sealer(self) -> None:
        """A sealer holding the chain's head: the committed write's seal leaves its entry
        to that sealer's successors at once instead of queueing behind it."""
        department = Department.objects.create(name="药剂科", code="PH")
        write_audit(department, actor=None, action="update", note="一")
        holding, release = threading.Event(), threading.Event()

        def hold_the_head() -> None:
            try:
                with transaction.atomic():
                    AuditSeal.objects.select_for_update().get(pk=1)
                    holding.set()
                    release.wait(10)
            finally:
                connections.close_all()

        other = threading.Thread(target=hold_the_head)
        other.start()
        try:
            self.assertTrue(holding.wait(10))
            with transaction.atomic():
                write_audit(department, actor=None, action="update", note="二")
            self.assertEqual(AuditEntry.objects.filter(seq__isnull=True).count(), 1)
        finally:
            release.set()
            other.join()
        self.assertEqual(seal_audit(), 1)
        self.assertIsNone(verify_audit().broken)
