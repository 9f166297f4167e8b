"""The declarative workflow mechanism shared by every process.

A process lists its transitions in its own `workflow.py`; `apply_transition` is the only
code that assigns `status`. The UI buttons, the API, the docs and the tests all read the
same table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.models import Ticket
from itsm.core.services import diff, write_audit

T = TypeVar("T", bound=Ticket)

# A guard (who may: 403) or a condition (the record's state: 409) returns None when the
# actor may take the transition on this ticket, or the reason, shown to the user, why not.
Guard = Callable[[Any, Any], str | None]
Action = Callable[..., None]
Effect = Callable[..., None]


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: tuple[str, ...]
    target: str
    permission: str
    form: type[forms.Form] | None = None
    guards: tuple[Guard, ...] = ()
    conditions: tuple[Guard, ...] = ()
    action: Action | None = None
    effects: tuple[Effect, ...] = ()
    style: str = "secondary"

    def required_fields(self) -> list[str]:
        if self.form is None:
            return []
        return [name for name, f in self.form.base_fields.items() if f.required]

    def describe_fields(self) -> list[dict[str, Any]]:
        if self.form is None:
            return []
        return [
            {"name": name, "label": str(f.label or name), "required": f.required}
            for name, f in self.form.base_fields.items()
        ]


@dataclass(frozen=True)
class Workflow(Generic[T]):
    initial: str
    transitions: tuple[Transition, ...]
    timestamps: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions)

    def get(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def refusal(self, ticket: T, transition: Transition, actor: Any) -> tuple[int, str] | None:
        """Why the actor may not take this transition now, as (HTTP status, reason); None
        when he may. 403 for a missing permission, 409 for the ticket's state."""
        if ticket.status not in transition.sources:
            return 409, _("“%(action)s” is not possible while the record is “%(status)s”.") % {
                "action": transition.label,
                "status": ticket.get_status_display(),  # type: ignore[attr-defined]
            }
        if not actor.has_perm(transition.permission):
            return 403, _("You do not have permission to %(action)s.") % {
                "action": transition.label
            }
        for guard in transition.guards:
            reason = guard(ticket, actor)
            if reason:
                return 403, reason
        for condition in transition.conditions:
            reason = condition(ticket, actor)
            if reason:
                return 409, reason
        return None

    def available(self, ticket: T, actor: Any) -> list[Transition]:
        """The transitions this actor may take on this ticket now: what the UI shows."""
        return [t for t in self.transitions if self.refusal(ticket, t, actor) is None]


def apply_transition(
    ticket: T,
    workflow: Workflow[T],
    name: str,
    *,
    actor: Any,
    data: dict[str, Any] | None = None,
    version: int | None = None,
) -> T:
    """Take one transition, atomically: lock the row, check the version, the source status,
    the permission, the guards and the transition's form; run its action; set the status
    and its timestamp; audit the change; run its effects.

    Raises TransitionNotAllowed (409), StaleVersion (409), PermissionDenied (403) or
    ValidationError with a message per field (400). On any error nothing is written."""
    transition = workflow.get(name)
    if transition is None:
        raise TransitionNotAllowed(_("Unknown action “%(name)s”.") % {"name": name})
    with transaction.atomic():
        model: Any = type(ticket)
        locked: T = model.objects.select_for_update().get(pk=ticket.pk)
        if version is not None and version != locked.version:
            raise StaleVersion()
        refused = workflow.refusal(locked, transition, actor)
        if refused is not None:
            status, reason = refused
            raise PermissionDenied(reason) if status == 403 else TransitionNotAllowed(reason)
        cleaned: dict[str, Any] = {}
        if transition.form is not None:
            form = transition.form(data or {})
            if not form.is_valid():
                raise ValidationError(
                    {key: [str(e) for e in errors] for key, errors in form.errors.items()}
                )
            cleaned = form.cleaned_data
        before = locked.field_snapshot()
        if transition.action is not None:
            transition.action(locked, actor=actor, data=cleaned)
        now = timezone.now()
        locked.status = transition.target
        stamp = workflow.timestamps.get(transition.target)
        if stamp:
            setattr(locked, stamp, now)
        locked.version += 1
        locked.updated_at = now
        changes = diff(before, locked.field_snapshot())
        locked.save(update_fields=[model._meta.get_field(k).name for k in changes])
        # Effects run inside the transaction: in-app notifications are rows, and anything
        # that leaves the database (mail, chat robots) is enqueued as a task, which the
        # database task backend also commits or rolls back with the write.
        for effect in transition.effects:
            effect(locked, actor=actor, data=cleaned)
        # Audited after the effects, which may write the record's own derived fields (the
        # SLA clocks' mirror: first response, due times), so that the entry holds every
        # field the transition changed and the audit log replays to the row.
        write_audit(
            locked,
            actor=actor,
            action="transition:%s" % transition.name,
            changes=diff(before, locked.field_snapshot()),
            note=str(cleaned.get("reason") or cleaned.get("note") or ""),
        )
    return locked
