"""The admin: every model is registered, lists run a constant number of queries, and the
records the service layer owns are read-only for everyone."""

from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.accounts.choices import Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.accounts.services import set_user_roles
from itsm.cmdb.choices import ConfigurationItemClass
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.models import AuditEntry, Comment, Notification, NumberSequence, PriorityRule
from itsm.core.services import next_number
from itsm.core.testing import BaseTestCase, make_user
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.services import comment_on_incident, log_incident

# Tests do not run collectstatic; the manifest storage of production would refuse to render.
TEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REGISTERED = (
    User,
    Department,
    Vendor,
    SupportGroup,
    Service,
    ConfigurationItem,
    PriorityRule,
    AuditEntry,
    Comment,
    Notification,
    NumberSequence,
    Incident,
)
READ_ONLY = (AuditEntry, Comment, Notification, NumberSequence, Incident)
# Separation of duties: the audit log is the auditor's to read, nobody else's.
AUDITOR_ONLY = (AuditEntry,)


def admin_url(model: type, action: str, *args: object) -> str:
    meta = model._meta  # type: ignore[attr-defined]
    return reverse("admin:%s_%s_%s" % (meta.app_label, meta.model_name, action), args=args)


@override_settings(STORAGES=TEST_STORAGES)
class AdminTests(BaseTestCase):
    def setUp(self) -> None:
        self.login(self.admin)

    def login_for(self, model: type) -> None:
        self.login(self.auditor if model in AUDITOR_ONLY else self.admin)

    def add_rows(self, count: int) -> None:
        """More of everything, so a list that queries per row shows it."""
        for i in range(count):
            suffix = "%s-%d" % (self.id()[-12:], i) + str(Incident.objects.count())
            vendor = Vendor.objects.create(name="厂商" + suffix)
            group = SupportGroup.objects.create(
                name="组" + suffix, tier=SupportTier.BACK_LINE, vendor=vendor, lead=self.engineer
            )
            group.members.add(self.engineer, self.agent)
            department = Department.objects.create(
                name="科" + suffix, code="D" + suffix, parent=self.emergency
            )
            user = make_user("u" + suffix, Role.REQUESTER, Role.AGENT, department=department)
            ConfigurationItem.objects.create(
                code="CI" + suffix,
                name="工作站",
                ci_class_id=ConfigurationItemClass.WORKSTATION,
                department=department,
                owner_group=group,
            )
            Service.objects.create(code="S" + suffix, name="服务" + suffix, owner_group=group)
            incident = log_incident(
                {
                    "title": "报修" + suffix,
                    "requester": user,
                    "service": self.his,
                    "assignment_group": group,
                    "assignee": self.engineer,
                },
                actor=self.agent,
            )
            comment_on_incident(incident, actor=self.agent, body="回复" + suffix)
            next_number("T%d" % NumberSequence.objects.count())

    def test_every_model_is_registered(self) -> None:
        for model in REGISTERED:
            with self.subTest(model=model.__name__):
                self.assertTrue(admin.site.is_registered(model))

    def test_every_list_and_detail_page_opens(self) -> None:
        self.add_rows(2)
        for model in REGISTERED:
            self.login_for(model)
            with self.subTest(model=model.__name__):
                self.assertEqual(self.client.get(admin_url(model, "changelist")).status_code, 200)
                obj = model._default_manager.first()  # type: ignore[attr-defined]
                self.assertEqual(
                    self.client.get(admin_url(model, "change", obj.pk)).status_code, 200
                )

    def test_lists_run_the_same_number_of_queries_for_few_or_many_rows(self) -> None:
        self.add_rows(1)
        few = {}
        for model in REGISTERED:
            self.login_for(model)
            self.client.get(admin_url(model, "changelist"))  # warm the per-process caches
            with CaptureQueriesContext(connection) as queries:
                self.client.get(admin_url(model, "changelist"))
            few[model] = len(queries)
        self.add_rows(4)
        for model in REGISTERED:
            self.login_for(model)
            with self.subTest(model=model.__name__):
                with CaptureQueriesContext(connection) as queries:
                    response = self.client.get(admin_url(model, "changelist"))
                self.assertEqual(response.status_code, 200)
                self.assertGreater(len(response.context["cl"].result_list), 1)
                self.assertEqual(len(queries), few[model])

    def test_the_incident_page_runs_the_same_number_of_queries_for_more_hops(self) -> None:
        self.add_rows(1)
        incident = Incident.objects.get()
        url = admin_url(Incident, "change", incident.pk)
        self.client.get(url)  # warm the per-process caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            self.client.get(url)
        before = len(queries)
        for group in (self.front_group, self.vendor_group, self.other_vendor_group):
            IncidentAssignment.objects.create(
                incident=incident,
                kind="reassign",
                group=group,
                actor=self.agent,
                from_group=self.desk_group,
            )
        with CaptureQueriesContext(connection) as queries:
            self.client.get(url)
        self.assertEqual(len(queries), before)

    def test_service_owned_records_cannot_be_added_changed_or_deleted_even_by_a_superuser(
        self,
    ) -> None:
        self.add_rows(1)
        for model in READ_ONLY:
            obj = model._default_manager.first()  # type: ignore[attr-defined]
            with self.subTest(model=model.__name__):
                self.assertEqual(self.client.get(admin_url(model, "add")).status_code, 403)
                self.assertEqual(
                    self.client.post(
                        admin_url(model, "delete", obj.pk), {"post": "yes"}
                    ).status_code,
                    403,
                )
                self.assertTrue(model._default_manager.filter(pk=obj.pk).exists())  # type: ignore[attr-defined]
                model_admin = admin.site._registry[model]
                request = self.client.get("/").wsgi_request
                request.user = self.admin
                self.assertFalse(model_admin.has_change_permission(request, obj))

    def test_an_audit_entry_cannot_be_changed_through_a_post(self) -> None:
        self.add_rows(1)
        entry = AuditEntry.objects.first()
        assert entry is not None
        response = self.client.post(
            admin_url(AuditEntry, "change", entry.pk), {"action": "forged", "note": "x"}
        )
        self.assertEqual(response.status_code, 403)
        entry.refresh_from_db()
        self.assertNotEqual(entry.action, "forged")

    def test_the_priority_matrix_is_edited_in_the_list(self) -> None:
        rules = list(PriorityRule.objects.order_by("impact", "urgency"))
        data = {
            "form-TOTAL_FORMS": str(len(rules)),
            "form-INITIAL_FORMS": str(len(rules)),
            "_save": "Save",
        }
        for index, rule in enumerate(rules):
            data["form-%d-id" % index] = str(rule.pk)
            data["form-%d-priority" % index] = str(
                1 if (rule.impact, rule.urgency) == (2, 1) else rule.priority
            )
        response = self.client.post(admin_url(PriorityRule, "changelist"), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(PriorityRule.objects.get(impact=2, urgency=1).priority, 1)
        incident = log_incident({"title": "HIS慢", "impact": 2, "urgency": 1}, actor=self.agent)
        self.assertEqual(incident.priority, 1)

    def test_a_support_group_is_edited_with_its_members(self) -> None:
        response = self.client.post(
            admin_url(SupportGroup, "add"),
            {
                "name": "网络组",
                "tier": SupportTier.FRONT_LINE,
                "members": [self.engineer.pk],
                "active": "on",
            },
        )
        self.assertEqual(
            response.status_code,
            302,
            getattr(response, "context", None) and response.context["adminform"].form.errors,
        )
        group = SupportGroup.objects.get(name="网络组")
        self.assertEqual(list(group.members.all()), [self.engineer])

    def test_a_user_is_given_department_phone_job_title_language_and_roles(self) -> None:
        user = make_user("newnurse", department=self.emergency)
        page = self.client.get(admin_url(User, "change", user.pk))
        for field in ("department", "phone", "job_title", "language", "expires_on"):
            with self.subTest(field=field):
                self.assertIn(field, page.context["adminform"].form.fields)
        # Roles are shown with a link to the security administrator's page, not edited here.
        self.assertNotIn("groups", page.context["adminform"].form.fields)
        self.assertContains(page, reverse("accounts:user_roles", args=[user.pk]))

    def test_an_administrator_adds_a_user_and_the_security_administrator_his_role(self) -> None:
        response = self.client.post(
            admin_url(User, "add"),
            {
                "username": "nurse2",
                "usable_password": "true",
                "password1": "Ward#Night2026",
                "password2": "Ward#Night2026",
                "last_name": "张",
                "first_name": "敏",
                "phone": "8123",
                "department": self.emergency.pk,
                "job_title": "护士长",
                "SupportGroup_members-TOTAL_FORMS": "0",
                "SupportGroup_members-INITIAL_FORMS": "0",
            },
        )
        errors = response.context and (
            response.context["adminform"].form.errors,
            [f.errors for f in response.context["inline_admin_formsets"][0].formset],
            response.context["inline_admin_formsets"][0].formset.non_form_errors(),
        )
        self.assertEqual(response.status_code, 302, errors)
        user = User.objects.get(username="nurse2")
        self.assertEqual(
            (user.department, user.job_title, str(user)), (self.emergency, "护士长", "张敏")
        )
        self.assertFalse(user.has_role(Role.REQUESTER))
        set_user_roles(user, [Role.REQUESTER], actor=self.security_admin)
        self.assertTrue(self.reload(user).has_role(Role.REQUESTER))

    def test_a_vendor_engineer_with_admin_access_sees_only_his_incidents(self) -> None:
        self.add_rows(1)
        mine = log_incident(
            {"title": "HIS报错", "assignment_group": self.vendor_group}, actor=self.agent
        )
        vendor = self.reload(self.vendor)
        vendor.is_staff = True
        vendor.save(update_fields=["is_staff"])
        self.client.force_login(vendor)
        response = self.client.get(admin_url(Incident, "changelist"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual([i.pk for i in response.context["cl"].result_list], [mine.pk])

    def test_roles_are_shown_but_not_edited(self) -> None:
        from django.contrib.auth.models import Group

        role = Group.objects.get(name=Role.AGENT)
        self.assertEqual(self.client.get(admin_url(Group, "change", role.pk)).status_code, 200)
        self.assertEqual(self.client.get(admin_url(Group, "add")).status_code, 403)

    def test_a_request_keeps_the_id_the_proxy_gave_it(self) -> None:
        response = self.client.get(
            admin_url(PriorityRule, "changelist"), HTTP_X_REQUEST_ID="trace-42"
        )
        self.assertEqual(response["X-Request-ID"], "trace-42")
