"""The CMDB updates a change declares and applies (issue 6, item 9).

While a change is planned (draft, submitted, under assessment: the plan is frozen once it
goes for approval) its owner declares the updates the work will make to the CMDB: a new
configuration item (class, code, name, a few fields, attributes), attribute values on an
item, a relationship added or removed, an item retired. Each declaration is checked at
once against the CMDB and the updates declared before it (the item exists and is not
retired, the attributes fit its class, the relationship is allowed), and again when the
change is implemented successfully: the `complete` transition applies them, in order,
through the CMDB's own services with the change's number as `change_number`, so each
shows in the item's history with the RFC. All in the transition's transaction: if one
cannot be applied, the transition is refused (409) with the reason and nothing is
written.

Planned downtime (`downtime_expected`, `downtime_minutes`) becomes a planned outage of
every service the change affects when the work is done (implemented, failed or backed
out: the service was taken down in every case), through the CMDB's
`record_planned_outage`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.choices import CmdbUpdateKind
from itsm.changes.impact import impact_of_change
from itsm.changes.models import Change, DeclaredCmdbUpdate
from itsm.changes.services import (
    PLAN_EDIT_STATUSES,
    _check_can_work,
)
from itsm.cmdb.attributes import ClassTree, clean_attributes, schema
from itsm.cmdb.choices import ConfigurationItemStatus, RelationshipType
from itsm.cmdb.models import ConfigurationItem, Relationship, ServiceOutage
from itsm.cmdb.relationships import is_allowed
from itsm.cmdb.services import (
    CHANGE_PERMISSION,
    check_item,
    check_relationship,
    create_ci,
    record_planned_outage,
    relate_cis,
    unrelate_cis,
    update_ci,
)
from itsm.core.exceptions import ConflictError
from itsm.core.services import lock_version, save_version, write_audit

K = CmdbUpdateKind
# The fields of a new item a change may set besides its class, code, name and attributes.
CREATE_FIELDS = ("status", "criticality", "position", "serial_number", "asset_tag", "ip_address")
# Which inputs each kind takes (besides `kind`, `ci_code` and `note`).
INPUTS: dict[str, tuple[str, ...]] = {
    K.CREATE: ("ci_class", "name", "fields", "attributes"),
    K.SET_ATTRIBUTES: ("attributes",),
    K.RELATE: ("relationship_type", "other_code"),
    K.UNRELATE: ("relationship_type", "other_code"),
    K.RETIRE: (),
}
ALL_INPUTS = ("ci_class", "name", "fields", "attributes", "relationship_type", "other_code")


@dataclass
class Planned:
    """What the updates declared before this one will have done by the time it is applied:
    the items they create (code → class) and those they retire. Empty when applying: the
    CMDB itself then holds the earlier updates."""

    new: dict[str, str] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)

    def add(self, update: DeclaredCmdbUpdate) -> None:
        if update.kind == K.CREATE:
            self.new[update.ci_code] = update.ci_class
        elif update.kind == K.RETIRE:
            self.retired.add(update.ci_code)


def describe(update: DeclaredCmdbUpdate) -> str:
    """The update in words, as the change page, the audit and the refusals name it."""
    if update.kind == K.CREATE:
        return _("New item %(code)s %(name)s") % {"code": update.ci_code, "name": update.name}
    if update.kind == K.SET_ATTRIBUTES:
        values = ", ".join("%s=%s" % (k, v) for k, v in sorted(update.attributes.items()))
        return _("Set %(values)s on %(code)s") % {"values": values, "code": update.ci_code}
    if update.kind in (K.RELATE, K.UNRELATE):
        label = (
            RelationshipType(update.relationship_type).label
            if update.relationship_type in RelationshipType.values
            else update.relationship_type
        )
        text = (
            _("Add: %(source)s %(type)s %(target)s")
            if update.kind == K.RELATE
            else _("Remove: %(source)s %(type)s %(target)s")
        )
        return text % {"source": update.ci_code, "type": label, "target": update.other_code}
    return _("Retire %(code)s") % {"code": update.ci_code}


# Validation -----------------------------------------------------------------------------


def _item(code: str, key: str, planned: Planned) -> ConfigurationItem | None:
    """The existing item named `code`, or None for one an earlier update creates. Unknown
    and retired items are refused, per field."""
    if code in planned.retired:
        raise ValidationError(
            {key: _("%(code)s is retired by an earlier update of this change.") % {"code": code}}
        )
    if code in planned.new:
        return None
    item = ConfigurationItem.objects.filter(code=code).first()
    if item is None:
        raise ValidationError(
            {key: _("There is no configuration item “%(code)s”.") % {"code": code}}
        )
    if item.status == ConfigurationItemStatus.RETIRED:
        raise ValidationError(
            {key: _("%(code)s is retired: a change cannot update it.") % {"code": code}}
        )
    return item


def _remap(exc: ValidationError, names: Mapping[str, str], default: str) -> ValidationError:
    """The CMDB's errors under this update's field names (a new item's other fields as
    `fields.<name>`)."""
    errors: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        if key.startswith("attributes."):
            name = key
        elif key in names:
            name = names[key]
        elif key == "__all__":
            name = default
        else:
            name = "fields.%s" % key
        errors.setdefault(name, []).extend(messages)
    return ValidationError(errors)


def _check_create(update: DeclaredCmdbUpdate, planned: Planned, tree: ClassTree) -> None:
    if update.ci_code in planned.new:
        raise ValidationError(
            {"ci_code": _("This change creates %(code)s already.") % {"code": update.ci_code}}
        )
    unknown = sorted(set(update.fields) - set(CREATE_FIELDS))
    if unknown:
        raise ValidationError(
            {"fields.%s" % name: _("This field cannot be set here.") for name in unknown}
        )
    item = ConfigurationItem(code=update.ci_code, name=update.name, ci_class_id=update.ci_class)
    for name, value in update.fields.items():
        setattr(item, name, value)
    try:
        check_item(item, update.attributes, tree=tree)
    except ValidationError as exc:
        names = {"code": "ci_code", "name": "name", "ci_class": "ci_class"}
        raise _remap(exc, names, "ci_code") from None


def _check_attributes(update: DeclaredCmdbUpdate, planned: Planned, tree: ClassTree) -> None:
    item = _item(update.ci_code, "ci_code", planned)
    if item is None:
        raise ValidationError({"ci_code": _("Give a new item's attributes with the item itself.")})
    if not update.attributes:
        raise ValidationError({"attributes": _("Give the attribute values to set.")})
    # Through the CMDB's validator, on the values the item will have.
    clean_attributes(
        schema(item.ci_class_id, tree), {**item.attributes, **update.attributes}, tree=tree
    )


def _check_relationship(update: DeclaredCmdbUpdate, planned: Planned, tree: ClassTree) -> None:
    if update.relationship_type not in RelationshipType.values:
        raise ValidationError({"relationship_type": _("Unknown relationship type.")})
    if not update.other_code:
        raise ValidationError({"other_code": _("Name the item relied on.")})
    source = _item(update.ci_code, "ci_code", planned)
    target = _item(update.other_code, "other_code", planned)
    if update.kind == K.UNRELATE:
        if (
            source is None
            or target is None
            or not Relationship.objects.filter(
                source=source, target=target, type=update.relationship_type
            ).exists()
        ):
            raise ValidationError({"other_code": _("There is no such relationship to remove.")})
        return
    if source is not None and target is not None:
        try:
            check_relationship(source, target, update.relationship_type)
        except ValidationError as exc:
            raise _remap(
                exc, {"type": "relationship_type", "target": "other_code"}, "relationship_type"
            ) from None
        return
    # One end is created by this change: the class rules; it has no edges yet to loop.
    if update.ci_code == update.other_code:
        raise ValidationError(
            {"other_code": _("A configuration item cannot be related to itself.")}
        )
    source_class = source.ci_class_id if source is not None else planned.new[update.ci_code]
    target_class = target.ci_class_id if target is not None else planned.new[update.other_code]
    if not is_allowed(
        update.relationship_type, tree.lineage(source_class), tree.lineage(target_class)
    ):
        raise ValidationError(
            {
                "relationship_type": _(
                    "A relationship “%(type)s” cannot go from a %(source)s to a %(target)s."
                )
                % {
                    "type": RelationshipType(update.relationship_type).label,
                    "source": tree.classes[source_class].label,
                    "target": tree.classes[target_class].label,
                }
            }
        )


def check_update(update: DeclaredCmdbUpdate, planned: Planned, tree: ClassTree) -> None:
    """Whether the CMDB will take this update, after the `planned` ones: ValidationError
    with a message per field otherwise."""
    if update.kind not in K.values:
        raise ValidationError({"kind": _("Unknown kind of CMDB update.")})
    if not update.ci_code:
        raise ValidationError({"ci_code": _("Name the configuration item by its code.")})
    if update.kind == K.CREATE:
        _check_create(update, planned, tree)
    elif update.kind == K.SET_ATTRIBUTES:
        _check_attributes(update, planned, tree)
    elif update.kind in (K.RELATE, K.UNRELATE):
        _check_relationship(update, planned, tree)
    else:
        if _item(update.ci_code, "ci_code", planned) is None:
            raise ValidationError({"ci_code": _("This change creates the item it retires.")})


def _planned_before(change: Change, position: int | None = None) -> Planned:
    planned = Planned()
    earlier = DeclaredCmdbUpdate.objects.filter(change=change)
    if position is not None:
        earlier = earlier.filter(position__lt=position)
    for update in earlier.order_by("position"):
        planned.add(update)
    return planned


# Service verbs ---------------------------------------------------------------------------


def _check_planning(change: Change) -> None:
    if change.status not in PLAN_EDIT_STATUSES:
        raise ConflictError(
            _(
                "CMDB updates are declared while the change is planned: the plan is frozen "
                "once it is sent for approval."
            )
        )


@transaction.atomic
def declare_cmdb_update(
    change: Change, data: Mapping[str, Any], *, actor: Any
) -> DeclaredCmdbUpdate:
    """Declare one CMDB update the change will make, after those declared already. Checked
    at once against the CMDB and the earlier updates (400 per field); only while the change
    is planned (409). Audited on the change."""
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    _check_planning(locked)
    kind = str(data.get("kind") or "")
    taken = {"kind", "ci_code", "note", *INPUTS.get(kind, ALL_INPUTS)}
    ignored = sorted(name for name in ALL_INPUTS if name not in taken and data.get(name))
    if ignored:
        raise ValidationError(
            {name: _("This kind of update does not take this field.") for name in ignored}
        )
    last = locked.cmdb_updates.order_by("-position").values_list("position", flat=True).first()
    update = DeclaredCmdbUpdate(
        change=locked,
        position=(last or 0) + 1,
        kind=kind,
        ci_code=str(data.get("ci_code") or "").strip(),
        ci_class=str(data.get("ci_class") or "").strip(),
        name=str(data.get("name") or "").strip(),
        fields=dict(data.get("fields") or {}),
        attributes=dict(data.get("attributes") or {}),
        relationship_type=str(data.get("relationship_type") or "").strip(),
        other_code=str(data.get("other_code") or "").strip(),
        note=str(data.get("note") or "").strip()[:200],
    )
    check_update(update, _planned_before(locked), ClassTree.load())
    update.save()
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="declare_cmdb_update",
        changes={"cmdb_update": [None, describe(update)]},
    )
    return update


@transaction.atomic
def remove_cmdb_update(update: DeclaredCmdbUpdate, *, actor: Any) -> None:
    """Withdraw a declared update while the change is planned (409 after). An update that a
    later one builds on (a new item a relationship names) is refused (400) until that one
    is removed."""
    change = update.change
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    _check_planning(locked)
    later = list(locked.cmdb_updates.filter(position__gt=update.position).order_by("position"))
    planned = _planned_before(locked, update.position)
    tree = ClassTree.load()
    for following in later:
        try:
            check_update(following, planned, tree)
        except ValidationError:
            raise ValidationError(
                {
                    "update": _("%(later)s depends on it: remove that first.")
                    % {"later": describe(following)}
                }
            ) from None
        planned.add(following)
    described = describe(update)
    update.delete()
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="remove_cmdb_update",
        changes={"cmdb_update": [described, None]},
    )


def may_apply_cmdb_updates(change: Change, actor: Any) -> str | None:
    """A change that updates the CMDB is completed by someone who may change it: the
    updates are written in his name (vendors' engineers do not write the CMDB)."""
    if actor.has_perm(CHANGE_PERMISSION):
        return None
    if DeclaredCmdbUpdate.objects.filter(change=change, applied_at__isnull=True).exists():
        return _(
            "This change updates the CMDB: it is completed by someone who may change "
            "configuration items."
        )
    return None


def _apply(update: DeclaredCmdbUpdate, *, actor: Any, number: str) -> None:
    if update.kind == K.CREATE:
        create_ci(
            actor=actor,
            fields={
                "code": update.ci_code,
                "name": update.name,
                "ci_class": update.ci_class,
                **update.fields,
            },
            attributes=update.attributes,
            change_number=number,
        )
        return
    item = ConfigurationItem.objects.get(code=update.ci_code)
    if update.kind == K.SET_ATTRIBUTES:
        update_ci(
            item,
            actor=actor,
            version=item.version,
            fields={},
            attributes={**item.attributes, **update.attributes},
            change_number=number,
        )
    elif update.kind == K.RETIRE:
        update_ci(
            item,
            actor=actor,
            version=item.version,
            fields={"status": ConfigurationItemStatus.RETIRED},
            change_number=number,
        )
    else:
        other = ConfigurationItem.objects.get(code=update.other_code)
        if update.kind == K.RELATE:
            relate_cis(
                item,
                other,
                update.relationship_type,
                actor=actor,
                note=update.note,
                change_number=number,
            )
        else:
            relationship = Relationship.objects.select_related("source", "target").get(
                source=item, target=other, type=update.relationship_type
            )
            unrelate_cis(relationship, actor=actor, change_number=number)


def apply_cmdb_updates(change: Change, *, actor: Any) -> list[DeclaredCmdbUpdate]:
    """Apply the change's declared updates, in order, through the CMDB's services with the
    change's number: each is checked again against the CMDB as it now is. Runs inside the
    `complete` transition's transaction: an update that cannot be applied refuses the
    transition (ConflictError, 409) with the reason, and nothing is written."""
    pending = list(
        DeclaredCmdbUpdate.objects.filter(change=change, applied_at__isnull=True).order_by(
            "position"
        )
    )
    if not pending:
        return []
    tree = ClassTree.load()
    now = timezone.now()
    for update in pending:
        try:
            check_update(update, Planned(), tree)
            _apply(update, actor=actor, number=change.number)
        except (ValidationError, PermissionDenied, ConflictError) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise ConflictError(
                _("The CMDB update “%(update)s” cannot be applied: %(reason)s")
                % {"update": describe(update), "reason": reason}
            ) from exc
        update.applied_at = now
        update.save(update_fields=["applied_at"])
    return pending


def record_change_outage(change: Change, *, actor: Any) -> list[ServiceOutage]:
    """Record the change's planned downtime as a planned outage of every service it
    affects (from the CMDB, and its own service): from the actual start of the work (the
    planned start if none) for the expected minutes. Nothing without expected downtime."""
    start = change.actual_start or change.planned_start
    if not change.downtime_expected or not change.downtime_minutes or start is None:
        return []
    end = start + timedelta(minutes=change.downtime_minutes)
    return [
        record_planned_outage(
            service,
            actor=actor,
            start=start,
            end=end,
            reason=change.title,
            change_number=change.number,
        )
        for service in impact_of_change(change).services
    ]
