"""`itsm demo` loads a whole hospital, told through the service verbs, and loading it again
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from itsm.accounts.choices import DepartmentKind, Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.models import AuditEntry, Comment, Notification
from itsm.core.testing import PASSWORD, BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident, IncidentAssignment, IncidentCategory
from itsm.incidents.services import log_incident

DEMO_LOGINS = (
    "admin",
    "secadmin1",
    "auditor1",
    "desk1",
    "eng1",
    "vendor1",
    "vendor2",
    "manager1",
    "nurse1",
)


def load_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def database_state() -> dict[str, Any]:
    """Row counts of everything the demo writes, and the latest change to any incident."""
    models = (
        Department,
        Vendor,
        SupportGroup,
        User,
        Service,
        ConfigurationItem,
        Incident,
        IncidentAssignment,
        AuditEntry,
        Comment,
        Notification,
        SupportGroup.members.through,
        User.groups.through,
        ConfigurationItem.services.through,
        Incident.configuration_items.through,
    )
    state: dict[str, Any] = {m._meta.label: m._default_manager.count() for m in models}
    state["last incident change"] = Incident.objects.order_by("-updated_at").first()
    state["passwords"] = sorted(User.objects.values_list("password", flat=True))
    return state


class DemoHospitalTests(TestCase):
    """The demo loads into an empty database, as `make run` does the first time. (The
    personas of BaseTestCase would already hold some of its natural keys; loading beside
    existing records is tested in DemoBesideExistingRecordsTests.)"""

    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = load_demo()

    def test_it_loads_twenty_departments_of_every_kind_with_cost_centres(self) -> None:
        self.assertGreaterEqual(Department.objects.count(), 20)
        self.assertEqual(
            set(Department.objects.values_list("kind", flat=True)), set(DepartmentKind.values)
        )
        self.assertFalse(Department.objects.filter(cost_centre="").exists())
        self.assertEqual(
            Department.objects.get(code="CASH").parent, Department.objects.get(code="FIN")
        )
        for name in ("急诊科", "心内科", "放射科", "检验科", "收费处", "信息科"):
            self.assertTrue(Department.objects.filter(name=name).exists(), name)

    def test_it_loads_sixty_people_in_every_role_with_chinese_names(self) -> None:
        self.assertGreaterEqual(User.objects.count(), 60)
        for role in Role:
            with self.subTest(role=role):
                self.assertTrue(User.objects.filter(groups__name=role).exists())
        nurse = User.objects.get(username="nurse1")
        self.assertEqual((nurse.last_name, nurse.department.name), ("王", "急诊科"))
        self.assertTrue(nurse.phone and nurse.job_title)
        self.assertEqual(nurse.get_full_name(), "王芳")

    def test_it_loads_groups_of_every_tier_and_back_lines_of_two_vendors(self) -> None:
        tiers = set(SupportGroup.objects.values_list("tier", flat=True))
        self.assertEqual(tiers, set(SupportTier.values))
        vendor_groups = SupportGroup.objects.filter(
            tier=SupportTier.BACK_LINE, vendor__isnull=False
        )
        self.assertGreaterEqual(vendor_groups.values("vendor").distinct().count(), 2)
        vendor1 = User.objects.get(username="vendor1").support_groups.get()
        vendor2 = User.objects.get(username="vendor2").support_groups.get()
        self.assertEqual(vendor1.tier, SupportTier.BACK_LINE)
        self.assertEqual(vendor2.tier, SupportTier.BACK_LINE)
        self.assertNotEqual(vendor1.vendor, vendor2.vendor)

    def test_it_loads_the_services_and_two_hundred_configuration_items(self) -> None:
        names = set(Service.objects.values_list("name", flat=True))
        self.assertLessEqual(
            {"HIS", "EMR", "PACS", "LIS", "RIS", "医保接口", "自助服务", "办公网"}, names
        )
        self.assertFalse(Service.objects.filter(owner_group__isnull=True).exists())
        self.assertGreaterEqual(ConfigurationItem.objects.count(), 200)
        printer = ConfigurationItem.objects.get(code="PRN-ED-003")
        self.assertTrue(printer.place and printer.department and printer.owner_group)
        self.assertTrue(printer.services.exists())

    def test_it_loads_three_hundred_incidents_in_every_status(self) -> None:
        self.assertGreaterEqual(Incident.objects.count(), 300)
        statuses = set(Incident.objects.values_list("status", flat=True))
        self.assertEqual(statuses, set(IncidentStatus.values))
        self.assertTrue(Incident.objects.filter(title="PACS影像调阅缓慢").exists())
        self.assertTrue(Incident.objects.filter(major=True).exists())
        self.assertTrue(Incident.objects.filter(children__isnull=False).exists())

    def test_every_incident_has_the_category_of_its_fault(self) -> None:
        from itsm.demo.faults import FAULTS

        self.assertFalse(Incident.objects.filter(category__isnull=True).exists())
        slow_pacs = Incident.objects.filter(title="PACS影像调阅缓慢")
        self.assertEqual(set(slow_pacs.values_list("category__code", flat=True)), {"pacs"})
        outage = Incident.objects.filter(major=True, children__isnull=False).distinct()
        self.assertEqual(set(outage.values_list("category__code", flat=True)), {"his"})
        codes = set(IncidentCategory.objects.values_list("code", flat=True))
        for fault in FAULTS:
            with self.subTest(fault=fault.title):
                self.assertIn(fault.category, codes)

    def test_incidents_were_routed_through_the_tiers_to_both_vendors(self) -> None:
        for username in ("vendor1", "vendor2"):
            vendor = User.objects.get(username=username)
            with self.subTest(vendor=username):
                self.assertTrue(
                    IncidentAssignment.objects.filter(group__in=vendor.support_groups.all())
                    .exclude(from_group=None)
                    .exists()
                )
                self.assertTrue(Incident.objects.filter(assignee=vendor).exists())

    def test_timelines_lie_in_the_last_ninety_days_in_order(self) -> None:
        now = timezone.now()
        content_type = ContentType.objects.get_for_model(Incident)
        audits = AuditEntry.objects.filter(content_type=content_type)
        self.assertFalse(audits.filter(created_at__gt=now).exists())
        self.assertFalse(Incident.objects.filter(reported_at__lt=now - timedelta(days=91)).exists())
        self.assertFalse(Comment.objects.filter(created_at__gt=now).exists())
        for incident in Incident.objects.all():
            times = list(
                audits.filter(object_id=incident.pk)
                .order_by("pk")
                .values_list("created_at", flat=True)
            )
            with self.subTest(incident=incident.number):
                self.assertEqual(times, sorted(times))
                self.assertEqual(incident.created_at, times[0])
                self.assertLessEqual(incident.reported_at, incident.created_at)
                if incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
                    self.assertIsNotNone(incident.resolved_at)
                    self.assertLess(incident.created_at, incident.resolved_at)

    def test_numbers_grow_with_the_report_time(self) -> None:
        numbers = list(
            Incident.objects.filter(parent=None)
            .order_by("created_at")
            .values_list("number", flat=True)
        )
        self.assertEqual(numbers, sorted(numbers))

    def test_the_demo_logins_sign_in_with_the_demo_password(self) -> None:
        for username in DEMO_LOGINS:
            with self.subTest(username=username):
                user = authenticate(username=username, password=settings.ITSM_DEMO_PASSWORD)
                self.assertIsNotNone(user)
        admin = User.objects.get(username="admin")
        self.assertTrue(admin.has_role(Role.ADMIN) and admin.is_staff)

    def test_the_three_administrators_are_three_people_and_none_is_a_superuser(self) -> None:
        holders = {
            role: list(User.objects.filter(groups__name=role).values_list("username", flat=True))
            for role in (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)
        }
        self.assertEqual(
            holders,
            {Role.ADMIN: ["admin"], Role.SECURITY_ADMIN: ["secadmin1"], Role.AUDITOR: ["auditor1"]},
        )
        self.assertFalse(User.objects.filter(is_superuser=True).exists())

    def test_running_it_again_changes_nothing(self) -> None:
        before = database_state()
        load_demo()
        self.assertEqual(database_state(), before)

    def test_it_prints_a_summary_with_the_logins(self) -> None:
        for username in DEMO_LOGINS:
            self.assertIn(username, self.output)
        self.assertIn("某市第一人民医院", self.output)


class DemoBesideExistingRecordsTests(BaseTestCase):
    """An installation where someone already made an `admin`, departments and groups
    before `make run` loaded the demo: the demo uses those records as they are."""

    def test_it_leaves_existing_records_and_passwords_alone(self) -> None:
        emergency = Department.objects.get(code="ED")
        counts = Incident.objects.count()
        load_demo()
        self.assertEqual(Department.objects.get(name="急诊科").pk, emergency.pk)
        self.assertIsNotNone(authenticate(username="admin", password=PASSWORD))
        self.assertIsNone(authenticate(username="admin", password=settings.ITSM_DEMO_PASSWORD))
        self.assertEqual(self.reload(self.agent).role_names(), {Role.AGENT})
        self.assertIsNotNone(authenticate(username="desk1", password=settings.ITSM_DEMO_PASSWORD))
        self.assertGreaterEqual(Incident.objects.count() - counts, 300)

    def test_it_adds_no_incidents_to_a_database_that_has_some(self) -> None:
        log_incident(
            {"title": "急诊分诊台条码打印机不出纸", "requester": self.nurse}, actor=self.agent
        )
        load_demo()
        self.assertEqual(Incident.objects.count(), 1)
        self.assertTrue(User.objects.filter(username="desk1").exists())
