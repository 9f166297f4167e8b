"""`itsm import_cis FILE`: import configuration items (and relationships) from an .xlsx or
CSV file — checked first, every row; written all or nothing (docs/processes/cmdb-import.md).

    itsm import_cis cis.xlsx --dry-run              # list every error, write nothing
    itsm import_cis cis.csv --relationships rel.csv --change CHG0000042 --user admin"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext as _

from itsm.accounts.models import User
from itsm.cmdb.importing import ImportPlan, plan_import, run_import
from itsm.core.exceptions import ConflictError
from itsm.core.services import SYSTEM

BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar redrawn with a carriage return, at most ten times a second
    (and always at 100 %)."""

    def __init__(self, out: OutputWrapper, label: str) -> None:
        self.out = out
        self.label = label
        self.drawn = 0.0
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn < 0.1:
            return
        self.drawn = now
        share = done / total if total else 1.0
        filled = int(BAR_WIDTH * share)
        self.out.write(
            "\r%s [%s%s] %3d%% %d/%d %.0fs"
            % (
                self.label,
                "#" * filled,
                "." * (BAR_WIDTH - filled),
                100 * share,
                done,
                total,
                now - self.started,
            ),
            ending="\n" if done >= total else "",
        )
        self.out.flush()


def summary(plan: ImportPlan) -> str:
    return _(
        "%(created)d to create, %(updated)d to update, %(unchanged)d unchanged, "
        "%(relationships)d relationships to create."
    ) % {
        "created": len(plan.creates),
        "updated": len(plan.updates),
        "unchanged": plan.unchanged,
        "relationships": len(plan.relationships),
    }


class Command(BaseCommand):
    help = "Import configuration items and relationships from an .xlsx or CSV file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the items: .xlsx (with a 关系 sheet, optionally) or .csv")
        parser.add_argument("--relationships", help="a CSV file of relationships")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and write nothing"
        )
        parser.add_argument("--change", default="", help="the RFC number the import is made under")
        parser.add_argument("--user", help="who imports (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor: Any = SYSTEM
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user “%(name)s”.") % {"name": options["user"]})
        try:
            plan = plan_import(
                options["file"],
                relationships=options["relationships"],
                actor=actor,
                change_number=options["change"],
                progress=ProgressBar(self.stdout, _("Checking")),
            )
        except (PermissionDenied, OSError) as exc:
            raise CommandError(str(exc)) from None
        if plan.errors:
            sheets = {"items": _("Items"), "relationships": _("Relationships")}
            for error in plan.errors:
                self.stdout.write(
                    _("%(sheet)s, row %(row)d, %(column)s: %(message)s")
                    % {
                        "sheet": sheets[error.sheet],
                        "row": error.row,
                        "column": error.column or "-",
                        "message": error.message,
                    }
                )
            raise CommandError(
                _("%(count)d errors: nothing was imported.") % {"count": len(plan.errors)}
            )
        self.stdout.write(summary(plan))
        if options["dry_run"]:
            return
        try:
            result = run_import(
                plan, actor=actor, progress=ProgressBar(self.stdout, _("Importing"))
            )
        except (PermissionDenied, ValidationError, ConflictError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(
            _(
                "Created %(created)d, updated %(updated)d, unchanged %(unchanged)d, "
                "relationships created %(relationships)d."
            )
            % {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "relationships": result.relationships,
            }
        )
