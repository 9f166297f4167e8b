"""A small hospital history for the report tests: ten incidents across October and
November 2026 on two services, worked at fixed times through the real transitions, so every
clock was started, stopped and breached by the SLA engine itself.

Agreements (7×24, so the due times are plain arithmetic):
- SLA "全院SLA": P2 respond 30 min, resolve 8 h; P3 respond 1 h, resolve 16 h;
- OLA "桌面运维OLA" of the front line: P2 15 min / 2 h; P3 30 min / 4 h.

Incidents (P3 unless said; nurse's unless said; accepted by the front line's engineer):
  A  HIS   10-12 09:00  accept 09:20, resolve 10:00          everything met
  B  HIS   10-13 09:00  accept 11:00, resolve 10-14 09:00    everything breached
  C  PACS  10-14 09:00  accept 09:10, resolve 10:00          met (the doctor's)
  D  PACS  10-15 09:00  cancelled 10-16 09:00                 not counted at all
  I  PACS  10-31 23:30  accept 23:40, resolve 11-01 00:30    met, counted in October
  J  PACS  11-01 00:30  P2, accept 00:40, resolve 01:00      met, counted in November
  E  HIS   11-17 09:00  accept 09:20, still open             resolution not measured yet
  F  HIS   11-02 09:00  accept 09:20, still open             resolutions breached, running
  G  HIS   11-05 09:00  accept 09:10, escalated to the HIS vendor 15:00: the OLA resolution
                        handed over late (breached); the SLA resolution running, breached
(the report is read at NOW, 2026-11-17 12:00)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from itsm.accounts.models import User
from itsm.core.choices import TicketImpact
from itsm.core.testing import BaseTestCase
from itsm.incidents.models import Incident
from itsm.incidents.services import transition_incident
from itsm.incidents.tests.factories import RESOLUTION, log
from itsm.sla.choices import AgreementKind
from itsm.sla.models import Agreement
from itsm.sla.tests.factories import HOUR, MINUTE, agreement, local, round_the_clock

NOW = local("2026-11-17 12:00")


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


class ReportCase(BaseTestCase):
    sla: Agreement
    ola: Agreement
    incidents: dict[str, Incident]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        calendar = round_the_clock()
        cls.sla = agreement(
            calendar,
            name="全院SLA",
            targets={2: (30 * MINUTE, 8 * HOUR), 3: (1 * HOUR, 16 * HOUR)},
        )
        cls.ola = agreement(
            calendar,
            kind=AgreementKind.OLA,
            name="桌面运维OLA",
            support_group=cls.front_group,
            targets={2: (15 * MINUTE, 2 * HOUR), 3: (30 * MINUTE, 4 * HOUR)},
        )
        cls.incidents = {}
        cls.history()

    @classmethod
    def worked(
        cls,
        name: str,
        when: str,
        *steps: tuple[str, str, dict[str, Any]],
        requester: User | None = None,
        **fields: Any,
    ) -> Incident:
        """Log at `when` for the requester, assigned to the front line, then apply each
        (time, transition, data) step."""
        with frozen(local(when)):
            incident = log(
                cls.agent,
                requester=requester or cls.nurse,
                reported_at=local(when),
                assignment_group=cls.front_group,
                title="%s 故障" % name,
                **fields,
            )
        for at, transition, data in steps:
            actor = cls.agent if transition == "cancel" else cls.engineer
            with frozen(local(at)):
                incident = transition_incident(incident, transition, actor=actor, data=data)
        cls.incidents[name] = incident
        return incident

    @classmethod
    def history(cls) -> None:
        accept: dict[str, Any] = {}
        cls.worked(
            "A",
            "2026-10-12 09:00",
            ("2026-10-12 09:20", "accept", accept),
            ("2026-10-12 10:00", "resolve", RESOLUTION),
            service=cls.his,
        )
        cls.worked(
            "B",
            "2026-10-13 09:00",
            ("2026-10-13 11:00", "accept", accept),
            ("2026-10-14 09:00", "resolve", RESOLUTION),
            service=cls.his,
        )
        cls.worked(
            "C",
            "2026-10-14 09:00",
            ("2026-10-14 09:10", "accept", accept),
            ("2026-10-14 10:00", "resolve", RESOLUTION),
            service=cls.pacs,
            requester=cls.doctor,
        )
        cls.worked(
            "D",
            "2026-10-15 09:00",
            ("2026-10-16 09:00", "cancel", {"reason": "重复报修"}),
            service=cls.pacs,
        )
        cls.worked(
            "I",
            "2026-10-31 23:30",
            ("2026-10-31 23:40", "accept", accept),
            ("2026-11-01 00:30", "resolve", RESOLUTION),
            service=cls.pacs,
        )
        cls.worked(
            "J",
            "2026-11-01 00:30",
            ("2026-11-01 00:40", "accept", accept),
            ("2026-11-01 01:00", "resolve", RESOLUTION),
            service=cls.pacs,
            requester=cls.doctor,
            impact=TicketImpact.HIGH,
        )
        cls.worked(
            "E",
            "2026-11-17 09:00",
            ("2026-11-17 09:20", "accept", accept),
            service=cls.his,
        )
        cls.worked(
            "F",
            "2026-11-02 09:00",
            ("2026-11-02 09:20", "accept", accept),
            service=cls.his,
        )
        cls.worked(
            "G",
            "2026-11-05 09:00",
            ("2026-11-05 09:10", "accept", accept),
            (
                "2026-11-05 15:00",
                "escalate",
                {"assignment_group": cls.vendor_group.pk, "reason": "HIS接口问题"},
            ),
            service=cls.his,
        )
