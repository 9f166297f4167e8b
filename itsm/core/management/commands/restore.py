"""`itsm restore`: a backup archive into an empty database (core/backup.py)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from itsm.core.backup import BackupError, restore_backup, run_restore_test


class Command(BaseCommand):
    help = (
        "Restore a backup archive (made by `itsm backup`) into the configured database, which"
        " must be empty, and its attachments into the media directory. With --test, restore"
        " into a scratch database instead, check it and record the restore test."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--test",
            action="store_true",
            help="Restore into a scratch database, compare, drop it; the live data is untouched.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        if options["test"]:
            record = run_restore_test(archive)
            if not record.ok:
                raise CommandError(record.note)
            self.stdout.write(record.note)
            return
        try:
            manifest = restore_backup(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            "%s: %d tables, %d rows, %d attachments restored"
            % (
                archive,
                len(manifest["tables"]),
                sum(manifest["tables"].values()),
                len(manifest["media"]),
            )
        )
