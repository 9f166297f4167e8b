"""`itsm backup`: an online backup of the database and the attachments (core/backup.py)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from itsm.core.backup import BackupError, make_backup, run_restore_test


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online-backup API; PostgreSQL: pg_dump) and the"
        " attachments into one archive with a manifest and checksums, under ITSM_BACKUP_DIR."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", type=Path, help="Directory for the archive.")
        parser.add_argument(
            "--test-restore",
            action="store_true",
            help="Then restore the archive into a scratch database and check it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = make_backup(options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        tables = result.manifest["tables"]
        self.stdout.write(
            "%s\n  %d bytes, sha256 %s\n  %d tables, %d rows, %d attachments"
            % (
                result.path,
                result.size,
                result.sha256,
                len(tables),
                sum(tables.values()),
                len(result.manifest["media"]),
            )
        )
        if options["test_restore"]:
            record = run_restore_test(result.path)
            self.stdout.write(record.note)
            if not record.ok:
                raise CommandError(record.note)
