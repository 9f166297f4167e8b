"""What of an incident the shared search indexes: number, title, description and
resolution notes. Incidents are internal records: who may find one is decided by
`Incident.objects.visible_to`, not by the document's visibility."""

from __future__ import annotations

from typing import Any

from itsm.core.choices import SearchKind, SearchVisibility
from itsm.core.search import index_object, lineage_names, register
from itsm.incidents.choices import OPEN_STATUSES
from itsm.incidents.models import Incident


def incident_document(incident: Incident) -> dict[str, Any]:
    return {
        "title": "%s %s" % (incident.number, incident.title),
        "body": "\n".join(
            text for text in (incident.description, incident.resolution_notes) if text
        ),
        "visibility": SearchVisibility.INTERNAL,
        "service_id": incident.service_id,
        "category": lineage_names(incident.category),
        "open": incident.status in OPEN_STATUSES,
        "updated_at": incident.updated_at,
    }


def index_incident(incident: Incident) -> None:
    index_object(incident, SearchKind.INCIDENT)


def register_incidents() -> None:
    register(Incident, SearchKind.INCIDENT, incident_document)
