"""Test support: a small hospital with named personas, shared by every app's tests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.test import TestCase
from rest_framework.test import APIClient

from itsm.accounts.choices import DepartmentKind, Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.accounts.tokens import make_token
from itsm.cmdb.builtin import install as install_builtin_classes
from itsm.cmdb.choices import ConfigurationItemClass, Criticality
from itsm.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem, Service

PASSWORD = "Persona#2026"


def make_user(
    username: str, *roles: str, department: Department | None = None, **fields: Any
) -> User:
    user = User.objects.create_user(username, password=PASSWORD, department=department, **fields)
    user.groups.set([Group.objects.get(name=str(role)) for role in roles])
    return user


class BaseTestCase(TestCase):
    """A hospital with one persona per role:

    nurse (requester, emergency), doctor (requester, radiology), agent (service desk),
    engineer (front line), vendor (back line, 卫宁 HIS group), other_vendor (back line,
    联影 PACS group), manager (IT manager), admin (system administrator), security_admin
    (security administrator), auditor (security auditor), outsider (no role). Nobody is a
    superuser: the roles carry every right."""

    nurse: User
    doctor: User
    agent: User
    engineer: User
    vendor: User
    other_vendor: User
    manager: User
    admin: User
    security_admin: User
    auditor: User
    outsider: User
    emergency: Department
    radiology: Department
    it_department: Department
    his_vendor: Vendor
    pacs_vendor: Vendor
    desk_group: SupportGroup
    front_group: SupportGroup
    vendor_group: SupportGroup
    other_vendor_group: SupportGroup
    his: Service
    pacs: Service
    printer: ConfigurationItem
    api_keys: dict[int, str]

    @classmethod
    def setUpTestData(cls) -> None:
        # A transactional test's flush empties the tables the migrations seeded.
        install_builtin_classes(CIClass, AttributeDefinition)
        cls.emergency = Department.objects.create(
            name="急诊科", code="ED", kind=DepartmentKind.CLINICAL, cost_centre="C1001"
        )
        cls.radiology = Department.objects.create(
            name="放射科", code="RAD", kind=DepartmentKind.MEDICAL_TECHNICAL, cost_centre="C2001"
        )
        cls.it_department = Department.objects.create(
            name="信息科", code="IT", kind=DepartmentKind.ADMINISTRATIVE, cost_centre="A3001"
        )
        cls.his_vendor = Vendor.objects.create(name="卫宁健康")
        cls.pacs_vendor = Vendor.objects.create(name="联影医疗")

        cls.nurse = make_user(
            "nurse", Role.REQUESTER, department=cls.emergency, last_name="王", first_name="芳"
        )
        cls.doctor = make_user(
            "doctor", Role.REQUESTER, department=cls.radiology, last_name="李", first_name="强"
        )
        cls.agent = make_user("agent", Role.AGENT, department=cls.it_department)
        cls.engineer = make_user("engineer", Role.FRONT_LINE, department=cls.it_department)
        cls.vendor = make_user("vendor", Role.BACK_LINE)
        cls.other_vendor = make_user("other_vendor", Role.BACK_LINE)
        cls.manager = make_user("manager", Role.MANAGER, department=cls.it_department)
        # Separation of duties (三员): three people, none a superuser.
        cls.admin = make_user("admin", Role.ADMIN, department=cls.it_department, is_staff=True)
        cls.security_admin = make_user(
            "security_admin",
            Role.SECURITY_ADMIN,
            department=cls.it_department,
            is_staff=True,
            last_name="孙",
            first_name="敏",
        )
        cls.auditor = make_user(
            "auditor",
            Role.AUDITOR,
            department=cls.it_department,
            is_staff=True,
            last_name="周",
            first_name="瑾",
        )
        cls.outsider = make_user("outsider")
        cls.api_keys = {
            persona.pk: make_token(persona, name="test")[1]
            for persona in (
                cls.nurse,
                cls.doctor,
                cls.agent,
                cls.engineer,
                cls.vendor,
                cls.other_vendor,
                cls.manager,
                cls.admin,
                cls.security_admin,
                cls.auditor,
                cls.outsider,
            )
        }

        cls.desk_group = SupportGroup.objects.create(name="服务台", tier=SupportTier.SERVICE_DESK)
        cls.desk_group.members.add(cls.agent)
        cls.front_group = SupportGroup.objects.create(
            name="桌面运维组", tier=SupportTier.FRONT_LINE
        )
        cls.front_group.members.add(cls.engineer)
        cls.vendor_group = SupportGroup.objects.create(
            name="卫宁HIS二线", tier=SupportTier.BACK_LINE, vendor=cls.his_vendor
        )
        cls.vendor_group.members.add(cls.vendor)
        cls.other_vendor_group = SupportGroup.objects.create(
            name="联影PACS二线", tier=SupportTier.BACK_LINE, vendor=cls.pacs_vendor
        )
        cls.other_vendor_group.members.add(cls.other_vendor)

        cls.his = Service.objects.create(code="HIS", name="HIS", criticality=Criticality.CRITICAL)
        cls.pacs = Service.objects.create(code="PACS", name="PACS", criticality=Criticality.HIGH)
        cls.printer = ConfigurationItem.objects.create(
            code="PRN-ED-001",
            name="急诊分诊台条码打印机",
            ci_class_id=ConfigurationItemClass.PRINTER,
            position="门诊楼1层急诊分诊台",
            department=cls.emergency,
            owner_group=cls.front_group,
        )

    def api(self, user: User | None) -> APIClient:
        """An API client signed in with the user's token (anonymous for None)."""
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION="Token " + self.api_key(user))
        return client

    def api_key(self, user: User) -> str:
        """The key of an API token of the user's: the personas' are made with the test data,
        another user's on first use. They are fixtures, so not audited: a test reading the
        audit log sees only what it did."""
        if user.pk not in self.api_keys:
            self.api_keys[user.pk] = make_token(user, name="test")[1]
        return self.api_keys[user.pk]

    def login(self, user: User) -> None:
        self.client.force_login(user)

    def reload(self, user: User) -> User:
        """A fresh copy of a persona, without cached roles and groups."""
        return User.objects.get(pk=user.pk)
