"""Back-dating for the demo: incidents are built now, through the real service verbs, and
the rows those verbs wrote are then moved to the times the story says they happened.

Every table the verbs write to has an auto-increment key, and the demo is the only writer
while it runs, so the rows written by one step are exactly those with keys between the
marks taken before and after it. One UPDATE per table per story then sets each row's time
from a CASE over those key ranges, and the incidents' own timestamps are derived from their
(now back-dated) audit entries, the same way the timeline reads them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Case, DateTimeField, Value, When

from itsm.core.models import AuditEntry, Comment, Notification
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident, IncidentAssignment

S = IncidentStatus
TABLES: tuple[type[models.Model], ...] = (AuditEntry, Comment, IncidentAssignment, Notification)
CLOSING_ACTIONS = ("transition:confirm", "transition:close", "transition:cancel")
STATE_ACTIONS = ("create", "update")


def table_marks() -> tuple[int, ...]:
    """The highest key of each table in TABLES, in one query."""
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(
        "(SELECT COALESCE(MAX(%s), 0) FROM %s)"
        % (quote(model._meta.pk.column or "id"), quote(model._meta.db_table))
        for model in TABLES
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    assert row is not None
    return tuple(int(value) for value in row)


class Recorder:
    """Remembers, for each step of a story, its planned time and the marks after it."""

    def __init__(self) -> None:
        self.start = table_marks()
        self.steps: list[tuple[datetime, tuple[int, ...]]] = []

    def mark(self, at: datetime) -> None:
        self.steps.append((at, table_marks()))

    def backdate(self) -> None:
        if not self.steps:
            return
        end = self.steps[-1][1]
        for index, model in enumerate(TABLES):
            low, high = self.start[index], end[index]
            if high <= low:
                continue
            whens: list[When] = []
            previous = low
            for at, marks in self.steps:
                if marks[index] > previous:
                    whens.append(When(pk__lte=marks[index], then=Value(at)))
                    previous = marks[index]
            model._default_manager.filter(pk__gt=low, pk__lte=high).update(
                created_at=Case(*whens, output_field=DateTimeField())
            )
        self._derive_incident_times(self.start[0], end[0])

    @staticmethod
    def _derive_incident_times(low: int, high: int) -> None:
        """created_at from the creation, updated_at from the last change, resolved_at and
        closed_at from the last resolve and close; comments do not touch updated_at."""
        content_type = ContentType.objects.get_for_model(Incident)
        events: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
        for object_id, action, at in AuditEntry.objects.filter(
            pk__gt=low, pk__lte=high, content_type=content_type
        ).values_list("object_id", "action", "created_at"):
            events[object_id].append((action, at))
        for incident in Incident.objects.filter(pk__in=events).only(
            "pk", "status", "resolved_at", "closed_at"
        ):
            entries = sorted(events[incident.pk], key=lambda e: e[1])
            changes = [
                at
                for action, at in entries
                if action in STATE_ACTIONS or action.startswith("transition:")
            ]
            fields: dict[str, datetime] = {}
            created = [at for action, at in entries if action == "create"]
            if created:
                fields["created_at"] = created[0]
            if changes:
                fields["updated_at"] = changes[-1]
            resolves = [at for action, at in entries if action == "transition:resolve"]
            if incident.resolved_at is not None and resolves:
                fields["resolved_at"] = resolves[-1]
            closes = [at for action, at in entries if action in CLOSING_ACTIONS]
            if incident.closed_at is not None and closes:
                fields["closed_at"] = closes[-1]
            Incident.objects.filter(pk=incident.pk).update(**fields)
