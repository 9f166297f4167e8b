"""Roles are Django groups whose permissions are exactly accounts/roles.py's table."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from itsm.accounts.choices import Role
from itsm.accounts.roles import ROLE_PERMISSIONS, sync_roles
from itsm.core.testing import BaseTestCase, make_user


def permissions_of(group: Group) -> set[str]:
    return {
        "%s.%s" % (app_label, codename)
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


class RoleTests(BaseTestCase):
    def test_there_is_one_group_per_role(self) -> None:
        self.assertEqual(
            set(Group.objects.filter(name__in=Role.values).values_list("name", flat=True)),
            set(Role.values),
        )
        self.assertEqual(set(ROLE_PERMISSIONS), set(Role.values))

    def test_every_permission_in_the_table_exists(self) -> None:
        """sync_roles skips names it cannot find; a typo would silently take a right away."""
        existing = {
            "%s.%s" % (a, c)
            for a, c in Permission.objects.values_list("content_type__app_label", "codename")
        }
        for role, perms in ROLE_PERMISSIONS.items():
            with self.subTest(role=role):
                self.assertEqual(set(perms) - existing, set())

    def test_each_group_has_exactly_its_roles_permissions(self) -> None:
        for role, perms in ROLE_PERMISSIONS.items():
            with self.subTest(role=role):
                self.assertEqual(permissions_of(Group.objects.get(name=role)), set(perms))

    def test_sync_roles_puts_back_a_permission_edited_away(self) -> None:
        group = Group.objects.get(name=Role.AGENT)
        group.permissions.clear()
        group.permissions.add(Permission.objects.get(codename="delete_incident"))
        sync_roles()
        self.assertEqual(permissions_of(group), set(ROLE_PERMISSIONS[Role.AGENT]))

    def test_sync_roles_is_idempotent(self) -> None:
        sync_roles()
        sync_roles()
        self.assertEqual(Group.objects.filter(name__in=Role.values).count(), len(Role))

    def test_requesters_report_confirm_reopen_and_cancel_but_do_not_work(self) -> None:
        nurse = self.reload(self.nurse)
        for perm in ("add_incident", "confirm_incident", "reopen_incident", "cancel_incident"):
            self.assertTrue(nurse.has_perm("incidents." + perm), perm)
        for perm in (
            "view_all_incidents",
            "work_incident",
            "resolve_incident",
            "add_work_note",
            "change_incident",
            "log_incident_for_others",
        ):
            self.assertFalse(nurse.has_perm("incidents." + perm), perm)

    def test_back_line_engineers_work_but_do_not_see_everything_or_run_the_desk(self) -> None:
        vendor = self.reload(self.vendor)
        for perm in ("work_incident", "resolve_incident", "escalate_incident", "add_work_note"):
            self.assertTrue(vendor.has_perm("incidents." + perm), perm)
        for perm in (
            "view_all_incidents",
            "assign_incident",
            "close_incident",
            "cancel_incident",
            "confirm_incident",
            "set_major_incident",
        ):
            self.assertFalse(vendor.has_perm("incidents." + perm), perm)

    def test_the_desk_roles_see_every_incident(self) -> None:
        for persona in (self.agent, self.engineer, self.manager, self.admin):
            with self.subTest(user=persona.username):
                self.assertTrue(self.reload(persona).has_perm("incidents.view_all_incidents"))

    def test_only_administrators_configure_the_organisation_and_the_matrix(self) -> None:
        perms = (
            "accounts.change_user",
            "accounts.add_supportgroup",
            "cmdb.add_service",
            "core.change_priorityrule",
        )
        administrator = make_user("sysadmin", Role.ADMIN)  # the role alone, no superuser
        for perm in perms:
            with self.subTest(perm=perm):
                self.assertTrue(administrator.has_perm(perm))
                for persona in (self.agent, self.engineer, self.vendor, self.manager, self.nurse):
                    self.assertFalse(self.reload(persona).has_perm(perm), persona.username)

    def test_nobody_may_edit_or_delete_the_audit_log(self) -> None:
        for role, perms in ROLE_PERMISSIONS.items():
            with self.subTest(role=role):
                self.assertFalse(
                    {"core.change_auditentry", "core.delete_auditentry", "core.add_auditentry"}
                    & set(perms)
                )

    def test_an_outsider_has_no_permission(self) -> None:
        self.assertEqual(self.reload(self.outsider).get_all_permissions(), set())


class UserTests(BaseTestCase):
    def test_role_names_and_has_role(self) -> None:
        user = make_user("both", Role.REQUESTER, Role.AGENT)
        self.assertEqual(user.role_names(), {Role.REQUESTER, Role.AGENT})
        self.assertTrue(user.has_role(Role.AGENT))
        self.assertTrue(user.has_role(Role.MANAGER, Role.AGENT))
        self.assertFalse(user.has_role(Role.MANAGER))

    def test_it_staff_are_the_roles_that_work_tickets(self) -> None:
        for persona, expected in (
            (self.nurse, False),
            (self.outsider, False),
            (self.agent, True),
            (self.engineer, True),
            (self.vendor, True),
            (self.manager, True),
            (self.admin, True),
        ):
            with self.subTest(user=persona.username):
                self.assertEqual(self.reload(persona).is_it_staff, expected)

    def test_group_ids_are_the_support_groups_the_user_belongs_to(self) -> None:
        self.assertEqual(self.reload(self.vendor).group_ids(), [self.vendor_group.pk])
        self.assertEqual(self.reload(self.nurse).group_ids(), [])

    def test_a_chinese_name_is_written_family_name_first(self) -> None:
        self.assertEqual(str(self.nurse), "王芳")
        self.assertEqual(str(self.outsider), "outsider")
