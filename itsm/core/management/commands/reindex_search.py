"""`itsm reindex_search [kind …]`: rebuild the search documents of every model registered
with `itsm.core.search.register` (after an import, a restore or a change of dictionary)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from itsm.core.search import registrations, reindex


class Command(BaseCommand):
    help = "Rebuild the search index of articles, incidents and problems."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kinds", nargs="*", help="article, incident, problem (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        known = {registration.kind for registration in registrations()}
        kinds = options["kinds"] or None
        unknown = set(kinds or ()) - known
        if unknown:
            raise CommandError(
                "Unknown kind: %s (known: %s)"
                % (", ".join(sorted(unknown)), ", ".join(sorted(known)))
            )
        with transaction.atomic():
            counts = reindex(kinds)
        for kind, count in sorted(counts.items()):
            self.stdout.write("%s: %d" % (kind, count))
