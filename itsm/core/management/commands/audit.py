"""`itsm audit verify | seal | archive`: the audit chain from the command line.

`verify` exits 1 and names the first broken entry when the chain does not hold, 0 with
the number of entries checked when it does; a monitoring job can run it every night."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from itsm.core.audit_chain import archive_audit, archive_path, seal_audit, verify_audit


class Command(BaseCommand):
    help = "Verify, seal or archive the tamper-evident audit log."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        verify = commands.add_parser(
            "verify", help="Seal, then check the whole chain; exit 1 at the first break."
        )
        verify.add_argument(
            "--archives",
            action="store_true",
            help="Also walk the chain inside every archive file (checksums are always checked).",
        )
        commands.add_parser("seal", help="Seal committed entries into the chain.")
        commands.add_parser(
            "archive", help="Move entries older than the retention period to archive files."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            self.stdout.write("Sealed %d entries." % seal_audit())
        elif action == "archive":
            for archive in archive_audit():
                self.stdout.write(
                    "Archived %d entries (positions %d–%d) to %s"
                    % (archive.entries, archive.first_seq, archive.last_seq, archive_path(archive))
                )
        else:
            self.verify(walk_archives=options["archives"])

    def verify(self, *, walk_archives: bool) -> None:
        result = verify_audit(walk_archives=walk_archives)
        broken = result.broken
        if broken is not None:
            self.stderr.write(
                "Audit chain BROKEN at position %s (entry id %s, %s): %s"
                % (
                    broken.seq if broken.seq is not None else "?",
                    broken.entry_id if broken.entry_id is not None else "-",
                    broken.where,
                    broken.problem,
                )
            )
            raise CommandError("The audit log has been tampered with.", returncode=1)
        self.stdout.write(
            "Audit chain intact: %d entries checked in the database, %d archived; "
            "head at position %d, hash %s."
            % (result.checked, result.archived, result.last_seq, result.last_hash or "-")
        )
