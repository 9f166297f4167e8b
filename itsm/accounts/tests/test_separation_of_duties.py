"""Separation of duties (三员分立): system administrator, security administrator and auditor
are three people; only the security administrator assigns roles, never his own; only
auditors read the audit log; no role relies on the superuser flag."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from itsm.accounts.choices import SEPARATED_ROLES, Role
from itsm.accounts.models import User
from itsm.accounts.roles import ROLE_PERMISSIONS
from itsm.accounts.services import set_user_roles
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase, make_user

TEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def roles_of(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def role_audits(user: User) -> Any:
    return AuditEntry.objects.filter(
        content_type__model="user", object_id=user.pk, action="roles_changed"
    )


class SetUserRolesTests(BaseTestCase):
    def test_the_security_administrator_assigns_roles_audited_old_to_new(self) -> None:
        roles = set_user_roles(self.outsider, [Role.AGENT, Role.MANAGER], actor=self.security_admin)
        wanted = sorted([Role.AGENT, Role.MANAGER])
        self.assertEqual(roles, wanted)
        self.assertEqual(roles_of(self.outsider), wanted)
        entry = role_audits(self.outsider).get()
        self.assertEqual(entry.actor, self.security_admin)
        self.assertEqual(entry.changes, {"roles": [[], wanted]})

    def test_the_administrators_roles_open_the_administration_pages_and_others_do_not(
        self,
    ) -> None:
        set_user_roles(self.outsider, [Role.ADMIN], actor=self.security_admin)
        self.assertTrue(self.reload(self.outsider).is_staff)
        set_user_roles(self.outsider, [Role.AUDITOR], actor=self.security_admin)
        self.assertTrue(self.reload(self.outsider).is_staff)
        set_user_roles(self.outsider, [Role.MANAGER], actor=self.security_admin)
        self.assertFalse(self.reload(self.outsider).is_staff)
        last = role_audits(self.outsider).order_by("-id").first()
        assert last is not None
        self.assertEqual(last.changes["is_staff"], [True, False])
        self.assertEqual(last.changes["roles"], [[Role.AUDITOR], [Role.MANAGER]])

    def test_saving_the_same_roles_writes_nothing(self) -> None:
        set_user_roles(self.nurse, [Role.REQUESTER], actor=self.security_admin)
        self.assertFalse(role_audits(self.nurse).exists())

    def test_nobody_else_assigns_roles_not_even_a_superuser(self) -> None:
        superuser = make_user("root", is_superuser=True, is_staff=True)
        for actor in (self.admin, self.auditor, self.manager, self.nurse, superuser):
            with self.subTest(actor=actor.username), self.assertRaises(PermissionDenied):
                set_user_roles(self.outsider, [Role.ADMIN], actor=actor)
        self.assertEqual(roles_of(self.outsider), [])
        self.assertFalse(role_audits(self.outsider).exists())

    def test_a_disabled_security_administrator_assigns_nothing(self) -> None:
        self.security_admin.is_active = False
        self.security_admin.save(update_fields=["is_active"])
        with self.assertRaises(PermissionDenied):
            set_user_roles(self.outsider, [Role.AGENT], actor=self.security_admin)

    def test_nobody_changes_his_own_roles(self) -> None:
        for roles in ([Role.SECURITY_ADMIN, Role.MANAGER], [], [Role.SECURITY_ADMIN]):
            with self.subTest(roles=roles), self.assertRaises(PermissionDenied):
                set_user_roles(self.security_admin, roles, actor=self.security_admin)
        self.assertEqual(roles_of(self.security_admin), [Role.SECURITY_ADMIN])

    def test_nobody_holds_two_of_the_three_administrators_roles(self) -> None:
        pairs = [(a, b) for i, a in enumerate(SEPARATED_ROLES) for b in SEPARATED_ROLES[i + 1 :]]
        for pair in [*pairs, SEPARATED_ROLES]:
            with self.subTest(roles=pair), self.assertRaises(ValidationError) as caught:
                set_user_roles(self.admin, pair, actor=self.security_admin)
            self.assertIn("roles", caught.exception.message_dict)
        self.assertEqual(roles_of(self.admin), [Role.ADMIN])
        self.assertFalse(role_audits(self.admin).exists())

    def test_an_administrator_may_hold_other_roles_besides(self) -> None:
        set_user_roles(self.admin, [Role.MANAGER, Role.ADMIN], actor=self.security_admin)
        self.assertEqual(roles_of(self.admin), sorted([Role.ADMIN, Role.MANAGER]))

    def test_unknown_roles_are_refused(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            set_user_roles(self.outsider, ["root", Role.AGENT], actor=self.security_admin)
        self.assertIn("root", str(caught.exception.message_dict["roles"]))
        self.assertEqual(roles_of(self.outsider), [])

    def test_the_new_roles_take_effect_on_the_same_user_object(self) -> None:
        person = self.reload(self.outsider)
        self.assertFalse(person.has_perm("incidents.view_all_incidents"))
        set_user_roles(person, [Role.AGENT], actor=self.security_admin)
        self.assertTrue(person.has_perm("incidents.view_all_incidents"))


class RolePermissionTests(BaseTestCase):
    def test_only_auditors_read_the_audit_log(self) -> None:
        holders = [
            role for role, perms in ROLE_PERMISSIONS.items() if "core.view_auditentry" in perms
        ]
        self.assertEqual(holders, [Role.AUDITOR])
        self.assertTrue(self.reload(self.auditor).has_perm("core.view_auditentry"))
        for persona in (self.admin, self.security_admin, self.manager, self.agent):
            with self.subTest(persona=persona.username):
                self.assertFalse(self.reload(persona).has_perm("core.view_auditentry"))

    def test_nobody_may_change_or_delete_audit_entries(self) -> None:
        for role, perms in ROLE_PERMISSIONS.items():
            with self.subTest(role=role):
                self.assertFalse({"core.change_auditentry", "core.delete_auditentry"} & set(perms))

    def test_the_system_administrator_manages_accounts_without_being_a_superuser(self) -> None:
        admin = self.reload(self.admin)
        self.assertFalse(admin.is_superuser)
        for perm in ("accounts.add_user", "accounts.change_user", "accounts.change_department"):
            self.assertTrue(admin.has_perm(perm), perm)
        self.assertFalse(admin.has_perm("auth.change_group"))
        self.assertFalse(admin.has_perm("auth.change_permission"))

    def test_the_security_administrator_and_the_auditor_do_not_work_tickets(self) -> None:
        for persona in (self.security_admin, self.auditor):
            with self.subTest(persona=persona.username):
                user = self.reload(persona)
                self.assertFalse(user.has_perm("incidents.view_incident"))
                self.assertFalse(user.has_perm("accounts.change_user"))


@override_settings(STORAGES=TEST_STORAGES)
class RolePageTests(BaseTestCase):
    def url(self, user: User) -> str:
        return reverse("accounts:user_roles", args=[user.pk])

    def test_the_security_administrator_changes_roles_on_a_page_in_chinese(self) -> None:
        self.login(self.security_admin)
        page = self.client.get(self.url(self.outsider), HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'value="%s"' % Role.AGENT)
        response = self.client.post(self.url(self.outsider), {"roles": [Role.AGENT]})
        self.assertRedirects(response, reverse("accounts:role_list"))
        self.assertEqual(roles_of(self.outsider), [Role.AGENT])
        self.assertEqual(role_audits(self.outsider).get().actor, self.security_admin)

    def test_two_administrators_roles_are_refused_with_the_reason_on_the_form(self) -> None:
        self.login(self.security_admin)
        response = self.client.post(
            self.url(self.outsider),
            {"roles": [Role.ADMIN, Role.AUDITOR]},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "must be different people", status_code=400)
        chinese = self.client.post(
            self.url(self.outsider),
            {"roles": [Role.ADMIN, Role.AUDITOR]},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        self.assertContains(chinese, "必须由不同的人担任", status_code=400)
        self.assertEqual(roles_of(self.outsider), [])

    def test_his_own_roles_are_refused(self) -> None:
        self.login(self.security_admin)
        response = self.client.post(self.url(self.security_admin), {"roles": []})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(roles_of(self.security_admin), [Role.SECURITY_ADMIN])

    def test_other_people_may_not_open_the_pages(self) -> None:
        superuser = make_user("root", is_superuser=True, is_staff=True)
        for persona in (self.admin, self.auditor, self.manager, self.nurse, superuser):
            self.login(persona)
            for url in (self.url(self.outsider), reverse("accounts:role_list")):
                with self.subTest(persona=persona.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 403)
            response = self.client.post(self.url(self.outsider), {"roles": [Role.ADMIN]})
            self.assertEqual(response.status_code, 403)
        self.assertEqual(roles_of(self.outsider), [])

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get(self.url(self.outsider))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_an_unknown_person_is_404(self) -> None:
        self.login(self.security_admin)
        self.assertEqual(self.client.get("/account/users/999999/roles/").status_code, 404)

    def test_the_list_shows_people_with_their_roles_and_finds_by_role(self) -> None:
        self.login(self.security_admin)
        page = self.client.get(reverse("accounts:role_list"), {"role": Role.AUDITOR})
        self.assertEqual(page.status_code, 200)
        self.assertEqual([p.username for p in page.context["page_obj"]], ["auditor"])
        page = self.client.get(reverse("accounts:role_list"), {"q": "nurse"})
        self.assertEqual([p.username for p in page.context["page_obj"]], ["nurse"])

    def test_the_navbar_links_the_security_pages_for_the_officers_only(self) -> None:
        for persona, shown in (
            (self.security_admin, True),
            (self.auditor, True),
            (self.admin, False),
        ):
            self.login(persona)
            page = self.client.get(reverse("notification_list"))
            with self.subTest(persona=persona.username):
                self.assertEqual(reverse("accounts:self_check") in page.content.decode(), shown)


@override_settings(STORAGES=TEST_STORAGES)
class AdminUserFormTests(BaseTestCase):
    def test_the_user_form_edits_no_roles_permissions_or_flags(self) -> None:
        self.login(self.admin)
        page = self.client.get(reverse("admin:accounts_user_change", args=[self.nurse.pk]))
        self.assertEqual(page.status_code, 200)
        fields = set(page.context["adminform"].form.fields)
        self.assertFalse({"groups", "user_permissions", "is_superuser", "is_staff"} & fields)
        self.assertIn("expires_on", fields)
        self.assertIn(reverse("accounts:user_roles", args=[self.nurse.pk]), page.content.decode())

    def test_posting_roles_through_the_user_form_changes_nothing(self) -> None:
        self.login(self.admin)
        admin_group = Group.objects.get(name=Role.ADMIN)
        response = self.client.post(
            reverse("admin:accounts_user_change", args=[self.nurse.pk]),
            {
                "username": "nurse",
                "last_name": "王",
                "first_name": "芳",
                "is_active": "on",
                "groups": [admin_group.pk],
                "is_superuser": "on",
                "is_staff": "on",
                "support_groups-TOTAL_FORMS": "0",
                "support_groups-INITIAL_FORMS": "0",
                "SupportGroup_members-TOTAL_FORMS": "0",
                "SupportGroup_members-INITIAL_FORMS": "0",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "08:00:00",
            },
        )
        self.assertIn(response.status_code, (200, 302))
        nurse = self.reload(self.nurse)
        self.assertEqual(roles_of(nurse), [Role.REQUESTER])
        self.assertFalse(nurse.is_superuser or nurse.is_staff)

    def test_the_add_form_gives_no_roles(self) -> None:
        self.login(self.admin)
        page = self.client.get(reverse("admin:accounts_user_add"))
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("groups", page.context["adminform"].form.fields)


class RolesApiTests(BaseTestCase):
    def url(self, user: User) -> str:
        return "/api/users/%d/roles/" % user.pk

    def test_the_security_administrator_puts_roles(self) -> None:
        response = self.api(self.security_admin).put(
            self.url(self.outsider), {"roles": [Role.FRONT_LINE]}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json(), {"roles": [Role.FRONT_LINE]})
        self.assertEqual(roles_of(self.outsider), [Role.FRONT_LINE])
        self.assertEqual(role_audits(self.outsider).get().actor, self.security_admin)

    def test_others_get_403_and_nothing_changes(self) -> None:
        superuser = make_user("root", is_superuser=True, is_staff=True)
        for persona in (self.admin, self.auditor, self.manager, self.nurse, superuser):
            response = self.api(persona).put(
                self.url(self.outsider), {"roles": [Role.ADMIN]}, format="json"
            )
            with self.subTest(persona=persona.username):
                self.assertEqual(response.status_code, 403)
        # Forbidden whatever the body: the permission is checked before the input.
        response = self.api(self.admin).put(self.url(self.outsider), {}, format="json")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(roles_of(self.outsider), [])

    def test_his_own_roles_are_403(self) -> None:
        response = self.api(self.security_admin).put(
            self.url(self.security_admin), {"roles": []}, format="json"
        )
        self.assertEqual(response.status_code, 403)

    def test_bad_input_is_400_per_field(self) -> None:
        client = self.api(self.security_admin)
        for body in (
            {"roles": [Role.ADMIN, Role.SECURITY_ADMIN]},
            {"roles": ["root"]},
            {"roles": "administrator"},
            {},
            {"roles": [], "is_superuser": True},
        ):
            response = client.put(self.url(self.outsider), body, format="json")
            with self.subTest(body=body):
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIsInstance(response.json(), dict)
        self.assertEqual(roles_of(self.outsider), [])

    def test_anonymous_is_401_and_an_unknown_person_404(self) -> None:
        self.assertEqual(
            self.api(None).put(self.url(self.outsider), {"roles": []}, format="json").status_code,
            401,
        )
        response = self.api(self.security_admin).put(
            "/api/users/999999/roles/", {"roles": []}, format="json"
        )
        self.assertEqual(response.status_code, 404)

    def test_people_are_not_edited_with_put(self) -> None:
        # The system administrator may change people, but not here.
        response = self.api(self.admin).put(
            "/api/users/%d/" % self.outsider.pk, {"username": "x"}, format="json"
        )
        self.assertEqual(response.status_code, 405)
        self.assertEqual(self.reload(self.outsider).username, "outsider")


class LandingPageTests(BaseTestCase):
    def test_each_of_the_three_administrators_lands_where_his_work_is(self) -> None:
        for persona, page in (
            (self.admin, reverse("incidents:incident_list")),
            (self.auditor, reverse("audit_log")),
            (self.security_admin, reverse("accounts:self_check")),
            (self.nurse, reverse("portal:home")),
        ):
            with self.subTest(persona=persona.username):
                self.client.force_login(persona)
                self.assertRedirects(
                    self.client.get(reverse("home")), page, fetch_redirect_response=False
                )
