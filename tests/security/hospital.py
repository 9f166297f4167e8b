"""The fixture hospital of the security tests: the personas of `BaseTestCase` plus one record
of every kind a URL or an API operation names, built through the service verbs, with the
work of the two vendors kept apart (vendor A = 卫宁 HIS group, vendor B = 联影 PACS group)
so that every detail URL can be asked about a record of each side."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from itsm.accounts.models import SupportGroup, User
from itsm.changes.choices import BlackoutKind, CmdbUpdateKind
from itsm.changes.models import BlackoutWindow, Change, ChangeTask, DeclaredCmdbUpdate
from itsm.changes.services import add_change_task
from itsm.changes.tests.factories import rfc, set_up_change_management, template
from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import Contract, Relationship
from itsm.cmdb.tests.factories import make_ci
from itsm.core.attachments import add_attachment
from itsm.core.models import Attachment, Notification
from itsm.core.testing import BaseTestCase
from itsm.incidents.models import Incident
from itsm.incidents.services import comment_on_incident
from itsm.incidents.tests.factories import incident_in
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.models import Article
from itsm.knowledge.tests.factories import article_in, write
from itsm.problems.choices import TrendKind
from itsm.problems.models import Problem, ProposedProblem
from itsm.problems.tests.factories import problem
from itsm.releases.models import Deployment, Release
from itsm.releases.services import record_deployment, transition_release
from itsm.releases.tests.factories import application, release
from itsm.sla.choices import CalendarDayKind
from itsm.sla.models import BusinessCalendar, CalendarDay, DutyShift, StatutoryDay
from itsm.sla.tests.factories import agreement, office_hours


@dataclass
class VendorSide:
    """The records routed to one vendor's group: what its engineer reads and the other
    vendor's engineer must not."""

    incident: Incident
    problem: Problem
    change: Change
    task: ChangeTask
    cmdb_update: DeclaredCmdbUpdate
    release: Release
    deployment: Deployment
    attachment: Attachment


def vendor_side(case: type[BaseTestCase], group: SupportGroup, code: str) -> VendorSide:
    engineer: User = group.members.get()
    incident = incident_in(case, "in_progress", group=group)  # type: ignore[arg-type]
    comment_on_incident(incident, actor=engineer, body="已远程查看日志")
    change = rfc(case.engineer, assignment_group=group, title=f"{code} 补丁升级")
    task = add_change_task(change, {"title": "安装补丁", "assignee": engineer}, actor=case.engineer)
    update = DeclaredCmdbUpdate.objects.create(
        change=change, position=1, kind=CmdbUpdateKind.RETIRE, ci_code=f"SRV-{code}"
    )
    item = application(code=f"APP-{code}", name=f"{code} 应用", owner_group=group)
    rel = release(case, items=[item], assignment_group=group, title=f"{code} 5.3.2")  # type: ignore[arg-type]
    rel = transition_release(rel, "start_test", actor=engineer)
    deployment = record_deployment(
        rel,
        {"configuration_item": item, "environment": "test", "version_deployed": "5.3.2"},
        actor=engineer,
    )
    upload = SimpleUploadedFile("log.txt", b"HIS error log\n", content_type="text/plain")
    return VendorSide(
        attachment=add_attachment(incident, upload, actor=engineer),
        incident=incident,
        problem=problem(case.engineer, incidents=[incident], assignment_group=group),
        change=Change.objects.get(pk=change.pk),
        task=task,
        cmdb_update=update,
        release=Release.objects.get(pk=rel.pk),
        deployment=deployment,
    )


@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="itsm-security-"))
class HospitalTestCase(BaseTestCase):
    """`BaseTestCase`'s hospital with a record behind every URL parameter."""

    side_a: VendorSide
    side_b: VendorSide
    nurse_incident: Incident
    doctor_incident: Incident
    article: Article
    draft: Article
    server: Any
    relationship: Relationship
    contract: Contract
    calendar: BusinessCalendar
    calendar_day: CalendarDay
    statutory_day: StatutoryDay
    agreement: Any
    duty: DutyShift
    blackout: BlackoutWindow
    change_template: Any
    proposal: ProposedProblem
    notification: Notification

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        cls.nurse_incident = incident_in(cls, "assigned")  # type: ignore[arg-type]
        cls.doctor_incident = incident_in(cls, "new", requester=cls.doctor)  # type: ignore[arg-type]
        cls.side_a = vendor_side(cls, cls.vendor_group, "HIS")
        cls.side_b = vendor_side(cls, cls.other_vendor_group, "PACS")
        cls.article = article_in(ArticleStatus.PUBLISHED, author=cls.engineer, reviewer=cls.manager)
        cls.draft = write(cls.engineer, title="草稿：PACS 调阅慢")
        cls.server = make_ci("SRV-HIS", owner_group=cls.vendor_group)
        cls.relationship = Relationship.objects.create(
            source=cls.printer, target=cls.server, type=RelationshipType.DEPENDS_ON
        )
        cls.contract = Contract.objects.create(
            number="HT-2026-001", name="HIS 维保合同", vendor=cls.his_vendor
        )
        cls.calendar = office_hours()
        cls.calendar_day = CalendarDay.objects.create(
            calendar=cls.calendar, date=date(2026, 12, 31), kind=CalendarDayKind.HOLIDAY
        )
        cls.statutory_day, _ = StatutoryDay.objects.get_or_create(
            date=date(2026, 10, 1), defaults={"kind": CalendarDayKind.HOLIDAY, "name": "国庆节"}
        )
        cls.agreement = agreement(cls.calendar, services=[cls.his])
        now = timezone.now()
        cls.duty = DutyShift.objects.create(
            user=cls.engineer, starts_at=now, ends_at=now + timedelta(hours=8)
        )
        cls.blackout = BlackoutWindow.objects.create(
            name="春节封网",
            kind=BlackoutKind.DATED,
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=37),
        )
        cls.change_template = template(cls)  # type: ignore[arg-type]
        cls.proposal = ProposedProblem.objects.create(
            kind=TrendKind.CI, key=str(cls.printer.pk), label=cls.printer.name
        )
        cls.proposal.incidents.set([cls.nurse_incident])
        cls.notification = Notification.objects.create(
            recipient=cls.nurse, target=cls.nurse_incident, message="您的报修已受理"
        )

    def side(self, user: User | None) -> VendorSide | None:
        if user == self.vendor:
            return self.side_a
        if user == self.other_vendor:
            return self.side_b
        return None
