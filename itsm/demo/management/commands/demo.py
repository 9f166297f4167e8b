"""`itsm demo`: load the demo hospital (某市第一人民医院). Idempotent: organisation records
are matched on their natural keys, and incidents are only generated into a database that
has none, so running it again (`make run` does, every time) changes nothing."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.accounts.choices import Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User
from itsm.accounts.roles import sync_roles
from itsm.cmdb.models import ConfigurationItem, Relationship, Service
from itsm.core.choices import DeliveryStatus
from itsm.core.models import Delivery, Notification
from itsm.demo.catalogue import load_configuration_items, load_services
from itsm.demo.changes import load_changes
from itsm.demo.cmdb import load_cmdb
from itsm.demo.hospital import HOSPITAL_NAME, load_departments, load_users, load_vendors_and_groups
from itsm.demo.incidents import load_incidents
from itsm.demo.knowledge import load_knowledge
from itsm.demo.problems import load_problems
from itsm.demo.releases import load_releases
from itsm.demo.service_levels import load_service_levels
from itsm.demo.timeline import table_marks
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import rebuild_incident_clocks

DEMO_LOGINS = (
    ("admin", gettext_lazy("system administrator"), ""),
    ("secadmin1", gettext_lazy("security administrator"), ""),
    ("auditor1", gettext_lazy("security auditor"), ""),
    ("desk1", gettext_lazy("service desk agent"), ""),
    ("eng1", gettext_lazy("front-line engineer"), ""),
    ("vendor1", gettext_lazy("back-line engineer, %(vendor)s"), "卫宁健康"),
    ("vendor2", gettext_lazy("back-line engineer, %(vendor)s"), "联影医疗"),
    ("manager1", gettext_lazy("IT manager"), ""),
    ("nurse1", gettext_lazy("requester, %(department)s"), "急诊科"),
)


def mark_old_notifications_read(after: int, now: datetime) -> None:
    """The demo's notifications (back-dated with their steps) older than a day count as
    read, as the people they went to would have read them; their e-mails and robot posts
    belong to that past and are not sent now (their tasks find nothing to send)."""
    Notification.objects.filter(
        pk__gt=after, read_at__isnull=True, created_at__lt=now - timedelta(days=1)
    ).update(read_at=F("created_at"))
    Delivery.objects.filter(status=DeliveryStatus.PENDING).delete()


class Command(BaseCommand):
    help = "Load the demo hospital: departments, people, groups, services, CIs, incidents."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-incidents", action="store_true", help="Load the organisation only."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        now = timezone.now()
        sync_roles()  # the role groups exist after migrate; make sure of it
        notifications_before = table_marks()[3]
        with transaction.atomic():
            departments = load_departments()
            users, new_users = load_users(departments, settings.ITSM_DEMO_PASSWORD)
            groups = load_vendors_and_groups(users, new_users)
            services = load_services(groups)
            load_configuration_items(departments, groups, services)
            load_cmdb(departments, groups, services)
            load_service_levels(users, groups, services, now)
            created = 0
            if not options["no_incidents"] and not Incident.objects.exists():
                created = load_incidents(now)
                for incident in Incident.objects.order_by("pk"):
                    rebuild_incident_clocks(incident)
                mark_old_notifications_read(notifications_before, now)
            load_problems()
            load_changes()
            load_releases()
            load_knowledge()
        self._summary(created, time.monotonic() - started)

    def _summary(self, created: int, seconds: float) -> None:
        write = self.stdout.write
        write(
            _("Demo hospital %(name)s loaded in %(seconds).1f s.")
            % {"name": HOSPITAL_NAME, "seconds": seconds}
        )
        write(_("  departments: %(count)d") % {"count": Department.objects.count()})
        roles = dict(
            User.objects.filter(groups__name__in=[str(r) for r in Role])
            .values_list("groups__name")
            .annotate(n=Count("pk", distinct=True))
        )
        write(
            _("  users: %(count)d (%(roles)s)")
            % {
                "count": User.objects.count(),
                "roles": _(", ").join("%s %d" % (r.label, roles.get(str(r), 0)) for r in Role),
            }
        )
        tiers = dict(SupportGroup.objects.values_list("tier").annotate(n=Count("pk")))
        write(
            _("  support groups: %(tiers)s")
            % {
                "tiers": _(", ").join(
                    "%s %d" % (t.label, tiers.get(str(t), 0)) for t in SupportTier
                )
            }
        )
        write(
            _("  services: %(services)d, configuration items: %(items)d, relationships: %(links)d")
            % {
                "services": Service.objects.count(),
                "items": ConfigurationItem.objects.count(),
                "links": Relationship.objects.count(),
            }
        )
        statuses = dict(Incident.objects.values_list("status").annotate(n=Count("pk")))
        write(
            _("  incidents: %(count)d (%(created)d new now; %(statuses)s)")
            % {
                "count": Incident.objects.count(),
                "created": created,
                "statuses": _(", ").join(
                    "%s %d" % (s.label, statuses.get(str(s), 0)) for s in IncidentStatus
                ),
            }
        )
        write(_("Demo logins (password: ITSM_DEMO_PASSWORD, default Demo@2026):"))
        for username, role, where in DEMO_LOGINS:
            write("  %-9s %s" % (username, str(role) % {"vendor": where, "department": where}))
