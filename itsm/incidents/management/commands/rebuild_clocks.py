"""`itsm rebuild_clocks`: recompute incidents' SLA, OLA and UC clocks from their audit trails
under the agreements in force now — after an agreement or calendar was corrected."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from itsm.incidents.models import Incident
from itsm.incidents.services import rebuild_incident_clocks


class Command(BaseCommand):
    help = "Recompute the clocks of open incidents (or all, or some) from their audit trails."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("numbers", nargs="*", help="incident numbers (default: every open one)")
        parser.add_argument("--all", action="store_true", help="closed incidents too")

    def handle(self, *args: Any, **options: Any) -> None:
        incidents = Incident.objects.order_by("pk")
        if options["numbers"]:
            incidents = incidents.filter(number__in=[n.upper() for n in options["numbers"]])
        elif not options["all"]:
            incidents = incidents.open()
        count = 0
        for incident in incidents.iterator():
            rebuild_incident_clocks(incident)
            count += 1
        self.stdout.write(_("Clocks rebuilt for %(count)d incidents.") % {"count": count})
