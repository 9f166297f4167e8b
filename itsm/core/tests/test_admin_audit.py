"""Edits in the Django admin are audited like a service verb's: who, what (old → new,
many-to-many sets and inline rows included), from where; secrets never enter the log; the
audit log itself cannot be edited or deleted there, not even by a superuser."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.forms import MultiWidget
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.utils import translation

from itsm.accounts.choices import SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.core.admin import AuditedAdmin
from itsm.core.exceptions import StaleVersion
from itsm.core.models import AuditEntry, PriorityRule
from itsm.core.services import write_audit
from itsm.core.testing import PASSWORD

# Audited by their own code: axes' lockouts are released through accounts.lockout (audited
# "lockout_released").
AUDITED_ELSEWHERE = {"LockoutAdmin"}


def value(bound: Any) -> Any:
    data = bound.value()
    if data is None:
        return ""
    if isinstance(data, list | tuple):
        return [str(item) for item in data]
    if isinstance(data, bool):
        return "on" if data else ""
    return data


def form_data(response: Any) -> dict[str, Any]:
    """What the admin's change form would post back unchanged: the form's fields, each
    inline's management form and rows."""
    context: Any = response.context
    data: dict[str, Any] = {}
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for bound in form:
            widget = bound.field.widget
            if isinstance(widget, MultiWidget):
                for index, part in enumerate(widget.decompress(bound.value()) or []):
                    data["%s_%d" % (bound.html_name, index)] = str(part or "")
                continue
            item = value(bound)
            if item != "":
                data[bound.html_name] = item
    return data


def entries(obj: Any, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__model=obj._meta.model_name, object_id=obj.pk, action=action
        ).order_by("id")
    )


class AdminAuditTests(TestCase):
    superuser: User
    department: Department
    vendor: Vendor
    group: SupportGroup

    @classmethod
    def setUpTestData(cls) -> None:
        cls.superuser = User.objects.create_superuser("root-admin", password=PASSWORD)
        cls.department = Department.objects.create(name="急诊科", code="ED", phone="8001")
        cls.vendor = Vendor.objects.create(name="卫宁健康")
        cls.group = SupportGroup.objects.create(name="HIS二线", tier=SupportTier.BACK_LINE)

    def setUp(self) -> None:
        self.client.force_login(self.superuser)

    def change(self, obj: Any, **changes: Any) -> Any:
        url = reverse(
            "admin:%s_%s_change" % (obj._meta.app_label, obj._meta.model_name), args=[obj.pk]
        )
        data = {**form_data(self.client.get(url)), **changes}
        response = self.client.post(url, data, REMOTE_ADDR="10.1.2.3")
        errors = response.context["errors"] if response.status_code == 200 else None
        self.assertEqual(response.status_code, 302, errors)
        return response

    def test_an_edit_records_old_and_new_values(self) -> None:
        self.change(self.department, name="急诊医学科", phone="8002")
        [entry] = entries(self.department, "update")
        self.assertEqual(entry.actor, self.superuser)
        self.assertEqual(
            entry.changes, {"name": ["急诊科", "急诊医学科"], "phone": ["8001", "8002"]}
        )
        self.assertEqual(entry.note, "admin")
        self.assertEqual(entry.ip_address, "10.1.2.3")

    def test_an_edit_moves_a_versioned_records_version(self) -> None:
        url = reverse("admin:accounts_department_change", args=[self.department.pk])
        page = self.client.get(url)
        self.assertContains(page, 'name="_version_read" value="1"')

        self.change(self.department, name="急诊医学科", _version_read="1")

        self.department.refresh_from_db()
        self.assertEqual((self.department.name, self.department.version), ("急诊医学科", 2))

    def test_a_save_after_someone_else_changed_the_record_is_refused(self) -> None:
        url = reverse("admin:accounts_department_change", args=[self.department.pk])
        data = {**form_data(self.client.get(url)), "name": "急诊医学科", "_version_read": "1"}
        Department.objects.filter(pk=self.department.pk).update(phone="8009", version=2)

        response = self.client.post(url, data)

        self.assertEqual(response.status_code, 200)
        with translation.override("zh-hans"):
            self.assertContains(response, str(StaleVersion.default_message))
        self.department.refresh_from_db()
        self.assertEqual(
            (self.department.name, self.department.phone, self.department.version),
            ("急诊科", "8009", 2),
        )
        self.assertEqual(entries(self.department, "update"), [])

    def test_saving_without_a_change_records_nothing(self) -> None:
        self.change(self.department)
        self.assertEqual(entries(self.department, "update"), [])

    def test_an_addition_records_the_new_values(self) -> None:
        url = reverse("admin:accounts_vendor_add")
        response = self.client.post(url, {"name": "联影医疗", "phone": "400-1"})
        self.assertEqual(response.status_code, 302)
        vendor = Vendor.objects.get(name="联影医疗")
        [entry] = entries(vendor, "create")
        self.assertEqual(entry.changes["name"], [None, "联影医疗"])
        self.assertEqual(entry.changes["phone"], [None, "400-1"])

    def test_a_deletion_records_the_last_values(self) -> None:
        url = reverse("admin:accounts_vendor_delete", args=[self.vendor.pk])
        self.assertEqual(self.client.post(url, {"post": "yes"}).status_code, 302)
        self.assertFalse(Vendor.objects.filter(pk=self.vendor.pk).exists())
        [entry] = entries(self.vendor, "delete")
        self.assertEqual(entry.changes["name"], ["卫宁健康", None])
        self.assertEqual(entry.actor, self.superuser)

    def test_removing_a_second_factor_device_records_it_without_its_key(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        owner = User.objects.create_user("engineer-lost-phone", password=PASSWORD)
        device = TOTPDevice.objects.create(user=owner, name="手机", confirmed=True)
        url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
        self.assertEqual(self.client.post(url, {"post": "yes"}).status_code, 302)

        [entry] = entries(device, "delete")
        self.assertEqual(entry.changes["name"], ["手机", None])
        self.assertEqual(entry.changes["key"], ["***", "***"])
        change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
        self.assertNotIn(device.key, str(self.client.get(change).content))

    def test_the_sign_in_logs_are_read_only(self) -> None:
        from axes.models import AccessFailureLog, AccessLog

        for model in (AccessLog, AccessFailureLog):
            row = model.objects.create(
                username="nurse1", ip_address="10.1.2.3", user_agent="Chrome"
            )
            with self.subTest(model._meta.model_name):
                name = "admin:axes_%s_%%s" % model._meta.model_name
                delete = reverse(name % "delete", args=[row.pk])
                self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
                change = reverse(name % "change", args=[row.pk])
                self.assertEqual(self.client.post(change, {"username": "x"}).status_code, 403)
                self.assertTrue(model.objects.filter(pk=row.pk, username="nurse1").exists())

    def test_delete_selected_records_every_record(self) -> None:
        other = Vendor.objects.create(name="东软")
        response = self.client.post(
            reverse("admin:accounts_vendor_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [self.vendor.pk, other.pk],
                "post": "yes",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Vendor.objects.filter(pk__in=[self.vendor.pk, other.pk]).count(), 0)
        self.assertEqual(len(entries(self.vendor, "delete")), 1)
        self.assertEqual(len(entries(other, "delete")), 1)

    def test_a_membership_change_records_the_set(self) -> None:
        nurse = User.objects.create_user("nurse-li")
        doctor = User.objects.create_user("doctor-zhao")
        self.group.members.set([nurse])
        self.change(self.group, members=[str(nurse.pk), str(doctor.pk)])
        [entry] = entries(self.group, "update")
        self.assertEqual(entry.changes, {"members": [[nurse.pk], sorted([nurse.pk, doctor.pk])]})

    def test_a_robot_secret_is_never_written_to_the_log(self) -> None:
        self.change(
            self.group,
            robot_kind="dingtalk",
            robot_webhook_url="https://oapi.dingtalk.com/robot/send?access_token=SECRETKEY",
            robot_secret="SECRET-SIGN",
        )
        [entry] = entries(self.group, "update")
        self.assertEqual(entry.changes["robot_secret"], ["***", "***"])
        self.assertEqual(entry.changes["robot_webhook_url"], ["***", "***"])
        self.assertNotIn("SECRET", str(entry.changes))

    def test_an_inline_row_added_to_a_user_is_recorded_on_the_user(self) -> None:
        user = User.objects.create_user("engineer-chen", password=PASSWORD)
        url = reverse("admin:accounts_user_change", args=[user.pk])
        data = form_data(self.client.get(url))
        prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
        data.update({"%s-TOTAL_FORMS" % prefix: "1", "%s-0-supportgroup" % prefix: self.group.pk})
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(self.group.members.filter(pk=user.pk).exists())
        [entry] = entries(user, "update")
        self.assertEqual(
            entry.changes[str(SupportGroup._meta.verbose_name_plural)], [[], ["HIS二线"]]
        )

    def test_a_password_hash_is_never_written_to_the_log(self) -> None:
        url = reverse("admin:accounts_user_add")
        response = self.client.get(url)
        data = form_data(response)
        data.update(
            username="vendor-new",
            password1="Vendor#2026x",
            password2="Vendor#2026x",
            usable_password="true",
        )
        self.client.post(url, data)
        user = User.objects.get(username="vendor-new")
        for entry in AuditEntry.objects.filter(object_id=user.pk, content_type__model="user"):
            self.assertNotIn("argon2", str(entry.changes))
            self.assertNotIn("Vendor#2026x", str(entry.changes))

    def test_a_list_edit_is_recorded(self) -> None:
        rule = PriorityRule.objects.order_by("pk").first() or PriorityRule.objects.create(
            impact=1, urgency=1, priority=1
        )
        url = reverse("admin:core_priorityrule_changelist")
        data = form_data_changelist(self.client.get(url))
        key = next(k for k, v in data.items() if k.endswith("-id") and str(v) == str(rule.pk))
        new = 3 if rule.priority != 3 else 4
        data[key.removesuffix("-id") + "-priority"] = str(new)
        data["_save"] = "Save"
        self.assertEqual(self.client.post(url, data).status_code, 302)
        [entry] = entries(rule, "update")
        self.assertEqual(entry.changes, {"priority": [rule.priority, new]})


def form_data_changelist(response: Any) -> dict[str, Any]:
    formset: Any = response.context["cl"].formset
    data: dict[str, Any] = {}
    for form in [formset.management_form, *formset.forms]:
        for bound in form:
            data[bound.html_name] = value(bound)
    return data


class AuditLogAdminTests(TestCase):
    def setUp(self) -> None:
        self.superuser = User.objects.create_superuser("root-admin", password=PASSWORD)
        self.entry = write_audit(self.superuser, actor=self.superuser, action="update")
        self.client.force_login(self.superuser)

    def test_nobody_edits_or_deletes_the_log_not_even_a_superuser(self) -> None:
        change = reverse("admin:core_auditentry_change", args=[self.entry.pk])
        self.assertEqual(self.client.get(change).status_code, 200)
        self.assertEqual(self.client.post(change, {"action": "forged"}).status_code, 403)
        delete = reverse("admin:core_auditentry_delete", args=[self.entry.pk])
        self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
        add = reverse("admin:core_auditentry_add")
        self.assertEqual(self.client.post(add, {"action": "forged"}).status_code, 403)
        self.entry.refresh_from_db()
        self.assertEqual(self.entry.action, "update")

    def test_staff_without_the_view_permission_cannot_read_it(self) -> None:
        staff = User.objects.create_user("sysadmin", password=PASSWORD, is_staff=True)
        staff.user_permissions.add(
            Permission.objects.get(codename="change_auditentry"),
            Permission.objects.get(codename="delete_auditentry"),
        )
        self.client.force_login(staff)
        url = reverse("admin:core_auditentry_changelist")
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_every_admin_that_can_write_is_audited(self) -> None:
        request = RequestFactory().get("/")
        request.user = self.superuser
        unaudited = []
        for model_admin in admin.site._registry.values():
            name = type(model_admin).__name__
            if isinstance(model_admin, AuditedAdmin) or name in AUDITED_ELSEWHERE:
                continue
            add: Any = model_admin.has_add_permission
            writes = (
                (add(request) if add.__code__.co_argcount == 2 else add(request, None))
                or model_admin.has_change_permission(request)
                or model_admin.has_delete_permission(request)
            )
            if writes:
                unaudited.append(name)
        self.assertEqual(unaudited, [])
