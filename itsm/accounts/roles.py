"""What each role may do, as Django permissions. Roles are Django groups kept in step with
this table after every migrate; the security administrator gives a user his roles
(accounts.services.set_user_roles). No role relies on Django's superuser flag: each carries
the permissions its work needs, and nothing more (separation of duties, choices.SEPARATED_ROLES)."""

from typing import Any

from django.contrib.auth.models import Group, Permission

from itsm.accounts.choices import Role

_READ_ORGANISATION = (
    "accounts.view_department",
    "accounts.view_supportgroup",
    "accounts.view_vendor",
    "accounts.view_user",
    "cmdb.view_service",
    "cmdb.view_configurationitem",
)
# Service level settings: the hospital's IT staff read the catalogue's agreements, calendars
# and duty roster (they explain a ticket's clocks); IT managers and administrators change
# them. Vendors' engineers do not: one vendor's contract terms are not another's to read
# (each sees his own clocks on the incidents routed to him). Clocks are written by the
# engine only.
_SLA_MODELS = (
    "businesscalendar",
    "workingperiod",
    "statutoryday",
    "calendarday",
    "agreement",
    "agreementtarget",
    "escalationrule",
    "dutyshift",
)
_READ_SERVICE_LEVELS = (
    *("sla.view_%s" % model for model in _SLA_MODELS),
    "sla.view_clock",
    # Maintenance contracts: the hospital's terms with each vendor, like the agreements.
    "cmdb.view_contract",
)
_CHANGE_SERVICE_LEVELS = tuple(
    "sla.%s_%s" % (verb, model) for model in _SLA_MODELS for verb in ("add", "change", "delete")
)
# The CMDB: all IT staff read it (the desk names the item a call is about, back-line
# engineers look up what they maintain). The hospital's own engineers keep it up to date —
# they install, move and replace the equipment — and so do administrators; the desk, IT
# managers and vendors' engineers do not write it.
_CHANGE_CMDB = (
    "cmdb.add_configurationitem",
    "cmdb.change_configurationitem",
)
_WORK = (
    "incidents.view_incident",
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.work_incident",
    "incidents.resolve_incident",
    "incidents.escalate_incident",
    "incidents.add_work_note",
)
_DESK = (
    *_WORK,
    "incidents.view_all_incidents",
    "incidents.log_incident_for_others",
    "incidents.assign_incident",
    "incidents.close_incident",
    "incidents.cancel_incident",
    "incidents.confirm_incident",
    "incidents.reopen_incident",
    "incidents.set_major_incident",
    "incidents.link_incident",
)

# The knowledge base: requesters read the published articles meant for everyone (without
# view_article); IT staff read every published article and write drafts; IT managers and
# administrators review, publish and retire them.
_WRITE_KNOWLEDGE = (
    "knowledge.view_article",
    "knowledge.add_article",
    "knowledge.change_article",
)
_REVIEW_KNOWLEDGE = (*_WRITE_KNOWLEDGE, "knowledge.review_article")
# Problem management: the desk reads problems (to link its calls); front-line engineers and
# IT managers are problem managers; back-line engineers work the problems of their groups.
_VIEW_PROBLEMS = ("problems.view_problem", "problems.view_proposedproblem")
_WORK_PROBLEMS = (*_VIEW_PROBLEMS, "problems.change_problem")
_MANAGE_PROBLEMS = (
    *_WORK_PROBLEMS,
    "problems.add_problem",
    "problems.manage_problem",
)
# Change management: the desk reads changes (a call may be about one); engineers raise and
# carry them out (back-line engineers those of their groups); IT managers are change
# managers (assessment, approval path, review, close). CAB membership is the advisory
# boards' members list, edited by administrators.
_VIEW_CHANGES = ("changes.view_change",)
_WORK_CHANGES = (*_VIEW_CHANGES, "changes.add_change", "changes.change_change")
_MANAGE_CHANGES = (*_WORK_CHANGES, "changes.manage_change")
_CONFIGURE_CHANGES = tuple(
    "changes.%s_%s" % (verb, model)
    for model in ("changetemplate", "riskquestion", "riskchoice", "advisoryboard")
    for verb in ("view", "add", "change", "delete")
)

# Release management: the desk reads releases (what went live when); engineers plan them,
# move them through build and test and record deployments (back-line engineers those of
# their groups); IT managers are release managers (approve for deployment, close, cancel).
_VIEW_RELEASES = ("releases.view_release", "releases.view_deployment")
_WORK_RELEASES = (
    *_VIEW_RELEASES,
    "releases.add_release",
    "releases.change_release",
    "releases.add_deployment",
)
_MANAGE_RELEASES = (*_WORK_RELEASES, "releases.manage_release")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.REQUESTER: (
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.confirm_incident",
        "incidents.reopen_incident",
        "incidents.cancel_incident",
        "cmdb.view_service",
    ),
    Role.AGENT: (
        *_READ_ORGANISATION,
        *_READ_SERVICE_LEVELS,
        *_DESK,
        *_WRITE_KNOWLEDGE,
        *_VIEW_PROBLEMS,
        *_VIEW_CHANGES,
        *_VIEW_RELEASES,
    ),
    Role.FRONT_LINE: (
        *_READ_ORGANISATION,
        *_READ_SERVICE_LEVELS,
        *_DESK,
        *_CHANGE_CMDB,
        *_WRITE_KNOWLEDGE,
        *_MANAGE_PROBLEMS,
        *_WORK_CHANGES,
        *_WORK_RELEASES,
        "changes.view_changetemplate",
    ),
    Role.BACK_LINE: (
        *_READ_ORGANISATION,
        *_WORK,
        *_WRITE_KNOWLEDGE,
        *_WORK_PROBLEMS,
        *_WORK_CHANGES,
        *_WORK_RELEASES,
        "changes.view_changetemplate",
    ),
    Role.MANAGER: (
        *_READ_ORGANISATION,
        *_READ_SERVICE_LEVELS,
        *_CHANGE_SERVICE_LEVELS,
        *_DESK,
        *_REVIEW_KNOWLEDGE,
        *_MANAGE_PROBLEMS,
        *_MANAGE_CHANGES,
        "changes.view_changetemplate",
        *_MANAGE_RELEASES,
        "changes.view_riskquestion",
        "changes.view_advisoryboard",
    ),
    Role.ADMIN: (
        *_READ_ORGANISATION,
        *_READ_SERVICE_LEVELS,
        *_CHANGE_SERVICE_LEVELS,
        *_DESK,
        *_REVIEW_KNOWLEDGE,
        *_MANAGE_PROBLEMS,
        "knowledge.add_category",
        "knowledge.change_category",
        "knowledge.view_category",
        "accounts.add_department",
        "accounts.change_department",
        "accounts.add_supportgroup",
        "accounts.change_supportgroup",
        "accounts.add_vendor",
        "accounts.change_vendor",
        "accounts.add_user",
        "accounts.change_user",
        "cmdb.add_service",
        "cmdb.change_service",
        *_CHANGE_CMDB,
        "cmdb.add_ciclass",
        "cmdb.change_ciclass",
        "cmdb.add_attributedefinition",
        "cmdb.change_attributedefinition",
        "cmdb.delete_attributedefinition",
        "cmdb.add_contract",
        "cmdb.change_contract",
        "cmdb.delete_contract",
        "core.change_priorityrule",
        "core.view_priorityrule",
        *_MANAGE_PROBLEMS,
        *_MANAGE_CHANGES,
        *_CONFIGURE_CHANGES,
        *_MANAGE_RELEASES,
        # The rest of the configuration the administration pages show (what a superuser
        # was once needed for). Not the audit log (the auditor's) and not roles (the
        # security administrator's).
        "incidents.add_incidentcategory",
        "incidents.change_incidentcategory",
        "incidents.view_incidentcategory",
        "cmdb.view_relationship",
        "cmdb.view_serviceoutage",
        "cmdb.view_ciclass",
        "cmdb.view_attributedefinition",
        "core.view_comment",
        "core.view_notification",
        "core.view_delivery",
        "core.view_numbersequence",
        "sla.view_escalationfiring",
        "problems.view_problemincident",
        "auth.view_group",  # the roles, shown read-only
    ),
    # Separation of duties: the security administrator assigns roles (a rule of
    # services.set_user_roles, not a permission) and reads the self-check page; he reads the
    # organisation to find the people, and nothing of the tickets or the CMDB.
    Role.SECURITY_ADMIN: (
        "accounts.view_department",
        "accounts.view_supportgroup",
        "accounts.view_vendor",
        "accounts.view_user",
        "auth.view_group",
        # Locked accounts: he reads the sign-in failures and unlocks (deletes the lock) in
        # the administration pages (accounts/lockout.py audits the release).
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
    ),
    # The auditor reads the audit log and its archives, and only he does; nobody writes it.
    Role.AUDITOR: (
        "accounts.view_user",
        "core.view_auditentry",
        "core.view_auditarchive",
        "core.view_auditseal",
    ),
}


def sync_roles() -> None:
    """Create the role groups and set their permissions to exactly ROLE_PERMISSIONS."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        "%s.%s" % (app_label, codename): pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
        if "%s.%s" % (app_label, codename) in wanted
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        group.permissions.set([by_name[p] for p in perms if p in by_name])


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate is sent once per app; roles are synced after the last app's
    permissions exist."""
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender.label == with_models[-1].label:
        sync_roles()


def can_assign_roles(user: Any) -> bool:
    """Role assignment is the security administrator's alone (not a Django permission, so
    that a superuser flag does not stand in for the role)."""
    return bool(getattr(user, "is_active", False) and user.has_role(Role.SECURITY_ADMIN))


def can_read_self_check(user: Any) -> bool:
    """The 等保 self-check is read by the security administrator and the auditor."""
    return bool(
        getattr(user, "is_active", False) and user.has_role(Role.SECURITY_ADMIN, Role.AUDITOR)
    )
