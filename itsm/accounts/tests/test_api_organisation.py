"""The organisation over the API: departments, support groups and vendors (administrators
edit them) and users (IT staff only: requesters get 403)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.accounts.choices import DepartmentKind, Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.api.tests.support import ApiTestCase, page
from itsm.core.models import AuditEntry

# view_department, view_supportgroup, view_vendor and view_user belong to IT staff.
IT_STAFF_READS = {
    "nurse": 403,
    "doctor": 403,
    "agent": 200,
    "engineer": 200,
    "vendor": 200,
    "other_vendor": 200,
    "manager": 200,
    "admin": 200,
    "outsider": 403,
    "anonymous": 401,
}
ONLY_ADMIN = {**IT_STAFF_READS, **{r: 403 for r, c in IT_STAFF_READS.items() if c == 200}}


class OrganisationReadTests(ApiTestCase):
    def test_who_may_read_each_list_and_record(self) -> None:
        urls = {
            "/api/departments/": "/api/departments/%d/" % self.emergency.pk,
            "/api/groups/": "/api/groups/%d/" % self.vendor_group.pk,
            "/api/vendors/": "/api/vendors/%d/" % self.his_vendor.pk,
            "/api/users/": "/api/users/%d/" % self.nurse.pk,
        }
        for list_url, detail_url in urls.items():
            with self.subTest(url=list_url):
                for url in (list_url, detail_url):
                    self.assert_statuses(
                        lambda client, role, url=url: client.get(url), IT_STAFF_READS
                    )

    def test_a_group_reads_back_its_tier_vendor_and_members(self) -> None:
        data = self.api(self.agent).get("/api/groups/%d/" % self.vendor_group.pk).data
        self.assertEqual(data["tier"], SupportTier.BACK_LINE)
        self.assertEqual(data["vendor"], self.his_vendor.pk)
        self.assertEqual(data["members"], [self.vendor.pk])

    def test_a_user_reads_back_his_department_roles_and_groups_without_secrets(self) -> None:
        data = self.api(self.agent).get("/api/users/%d/" % self.vendor.pk).data
        self.assertEqual(data["roles"], [Role.BACK_LINE])
        self.assertEqual(data["support_groups"], [self.vendor_group.pk])
        nurse = self.api(self.agent).get("/api/users/%d/" % self.nurse.pk).data
        self.assertEqual(nurse["department"], self.emergency.pk)
        self.assertEqual(nurse["name"], "王芳")
        self.assertNotIn("password", nurse)
        self.assertNotIn("is_superuser", nurse)

    def test_everyone_signed_in_may_read_himself(self) -> None:
        answers = self.assert_statuses(
            lambda client, role: client.get("/api/users/me/"),
            {**dict.fromkeys(IT_STAFF_READS, 200), "anonymous": 401},
        )
        self.assertEqual(answers["nurse"].data["username"], "nurse")
        self.assertEqual(answers["outsider"].data["roles"], [])

    def test_users_are_read_only(self) -> None:
        client = self.api(self.admin)
        self.assertEqual(client.post("/api/users/", {"username": "x"}).status_code, 405)
        self.assertEqual(
            client.patch("/api/users/%d/" % self.nurse.pk, {"phone": "1"}).status_code, 405
        )

    def test_lists_filter_by_their_fields(self) -> None:
        client = self.api(self.agent)
        rows = page(client.get("/api/groups/", {"tier": SupportTier.BACK_LINE}))
        self.assertEqual(
            {r["id"] for r in rows}, {self.vendor_group.pk, self.other_vendor_group.pk}
        )
        rows = page(client.get("/api/users/", {"department": self.emergency.pk}))
        self.assertEqual([r["username"] for r in rows], ["nurse"])
        self.assert_error_fields(client.get("/api/groups/", {"tier": "fourth"}), "tier")

    def test_the_lists_run_a_constant_number_of_queries(self) -> None:
        role = Group.objects.get(name=Role.FRONT_LINE)
        for index in range(60):
            user = User.objects.create(username="staff%02d" % index, department=self.emergency)
            user.groups.add(role)
            group = SupportGroup.objects.create(name="组%02d" % index, tier=SupportTier.FRONT_LINE)
            group.members.add(user, self.engineer)
            Department.objects.create(
                name="科室%02d" % index, code="D%02d" % index, parent=self.emergency
            )
        client = self.api(self.agent)
        for url in ("/api/users/", "/api/groups/", "/api/departments/", "/api/vendors/"):
            with self.subTest(url=url):
                client.get(url, {"page_size": 5})
                with CaptureQueriesContext(connection) as small:
                    client.get(url, {"page_size": 5})
                with self.assertNumQueries(len(small)):
                    client.get(url, {"page_size": 50})


class OrganisationWriteTests(ApiTestCase):
    def test_only_administrators_add_departments(self) -> None:
        counter = iter(range(100))

        def add(client: Any, role: str) -> Any:
            number = next(counter)
            return client.post(
                "/api/departments/",
                {
                    "name": "心内科%d" % number,
                    "code": "CARD%d" % number,
                    "kind": DepartmentKind.CLINICAL,
                },
                format="json",
            )

        self.assert_statuses(add, {**ONLY_ADMIN, "admin": 201})

    def test_an_administrator_adds_a_vendor_group_and_it_is_audited(self) -> None:
        client = self.api(self.admin)
        vendor = client.post(
            "/api/vendors/", {"name": "东软集团", "phone": "024-1234"}, format="json"
        )
        self.assertEqual(vendor.status_code, 201, vendor.data)
        group = client.post(
            "/api/groups/",
            {
                "name": "东软LIS二线",
                "tier": SupportTier.BACK_LINE,
                "vendor": vendor.data["id"],
                "members": [self.vendor.pk],
            },
            format="json",
        )
        self.assertEqual(group.status_code, 201, group.data)
        created = SupportGroup.objects.get(pk=group.data["id"])
        self.assertEqual(created.vendor, Vendor.objects.get(name="东软集团"))
        self.assertEqual(list(created.members.all()), [self.vendor])
        entry = AuditEntry.objects.get(
            object_id=created.pk, action="create", content_type__model="supportgroup"
        )
        self.assertEqual(entry.actor, self.admin)
        self.assertEqual(entry.changes["members"], [None, [self.vendor.pk]])

    def test_an_administrator_edits_a_department_and_it_is_audited(self) -> None:
        response = self.api(self.admin).patch(
            "/api/departments/%d/" % self.emergency.pk,
            {"phone": "8001", "version": self.emergency.version},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(Department.objects.get(pk=self.emergency.pk).phone, "8001")
        entry = AuditEntry.objects.get(
            object_id=self.emergency.pk, action="update", content_type__model="department"
        )
        self.assertEqual(entry.changes, {"phone": ["", "8001"]})

    def test_a_stale_edit_of_a_department_is_refused_and_writes_nothing(self) -> None:
        Department.objects.filter(pk=self.emergency.pk).update(version=5)
        before = AuditEntry.objects.count()
        response = self.api(self.admin).patch(
            "/api/departments/%d/" % self.emergency.pk,
            {"phone": "8001", "version": 4},
            format="json",
        )
        self.assertEqual(response.status_code, 409, response.data)
        department = Department.objects.get(pk=self.emergency.pk)
        self.assertEqual((department.phone, department.version), ("", 5))
        self.assertEqual(AuditEntry.objects.count(), before)

    def test_who_may_edit_a_group(self) -> None:
        self.assert_statuses(
            lambda client, role: client.patch(
                "/api/groups/%d/" % self.front_group.pk,
                {"email": "desk@hospital.local", "version": self.front_group.version},
                format="json",
            ),
            {**ONLY_ADMIN, "admin": 200},
        )

    def test_bad_input_is_refused_field_by_field_and_writes_nothing(self) -> None:
        before = Department.objects.count(), AuditEntry.objects.count()
        response = self.api(self.admin).post(
            "/api/departments/",
            {"name": self.emergency.name, "kind": "ward", "parent": 98765, "id": 5},
            format="json",
        )
        self.assert_error_fields(response, "name", "code", "kind", "parent", "id")
        self.assertEqual((Department.objects.count(), AuditEntry.objects.count()), before)

    def test_nothing_is_deleted_over_the_api(self) -> None:
        # No endpoint deletes: 405 for every role, before any permission check.
        response = self.api(self.admin).delete("/api/vendors/%d/" % self.his_vendor.pk)
        self.assertEqual(response.status_code, 405)
        self.assertTrue(User.objects.filter(pk=self.vendor.pk).exists())
