"""What each process of a concurrency run does (imported in fresh interpreters after
Django is set up, so the product's modules are imported inside the functions).

Every update appends a token unique to the process and the step (" p3-17") to the
incident's description: at the end, every update a writer was told succeeded must be in
the text, and the version must have moved once per success."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.concurrency.harness import api_client, send_json, together


def token(process: int, step: int) -> str:
    return " p%d-%d" % (process, step)


def update_through_services(
    process: int, incident_pk: int, agent_pk: int, steps: int
) -> dict[str, Any]:
    """Read the incident, then update_incident with the version read; on StaleVersion
    read again and retry. Returns the tokens acknowledged and the conflicts met."""
    from django.db import OperationalError

    from itsm.accounts.models import User
    from itsm.core.exceptions import StaleVersion
    from itsm.incidents.models import Incident
    from itsm.incidents.services import update_incident

    agent = User.objects.get(pk=agent_pk)
    done: list[str] = []
    conflicts = busy = 0
    together()
    for step in range(steps):
        while True:
            incident = Incident.objects.get(pk=incident_pk)
            text = incident.description + token(process, step)
            try:
                update_incident(
                    incident, {"description": text}, actor=agent, version=incident.version
                )
            except StaleVersion:
                conflicts += 1
                continue
            except OperationalError:  # SQLite's write lock not had in time: not written
                busy += 1
                continue
            done.append(token(process, step))
            break
    return {"done": done, "conflicts": conflicts, "busy": busy}


def update_without_version(process: int, incident_pk: int, steps: int) -> dict[str, Any]:
    """The negative control: plain read-modify-write with save(), no version. A moment
    passes between the read and the write, as it does for a person editing a form."""
    from django.db import OperationalError

    from itsm.incidents.models import Incident

    done: list[str] = []
    busy = 0
    together()
    for step in range(steps):
        while True:
            incident = Incident.objects.get(pk=incident_pk)
            incident.description += token(process, step)
            time.sleep(0.002)
            try:
                incident.save(update_fields=["description"])
            except OperationalError:  # not written: try again
                busy += 1
                continue
            break
        done.append(token(process, step))
    return {"done": done, "conflicts": 0, "busy": busy}


def update_over_http(
    process: int, port: int, key: str, incident_pk: int, steps: int
) -> dict[str, Any]:
    """GET the incident, PATCH the description with the version read; on 409 GET again
    and retry. Every answer's status is counted."""
    client = api_client(port, key)
    path = "/api/incidents/%d/" % incident_pk
    done: list[str] = []
    statuses: dict[int, int] = {}
    conflicts = 0
    together()
    try:
        for step in range(steps):
            while True:
                read = client.get(path)
                statuses[read.status] = statuses.get(read.status, 0) + 1
                if read.status != 200:
                    return {"done": done, "conflicts": conflicts, "statuses": statuses}
                current = read.json()
                answer = send_json(
                    client,
                    "PATCH",
                    path,
                    {
                        "description": current["description"] + token(process, step),
                        "version": current["version"],
                    },
                )
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                if answer.status == 409:
                    conflicts += 1
                    continue
                if answer.status != 200:
                    return {"done": done, "conflicts": conflicts, "statuses": statuses}
                done.append(token(process, step))
                break
    finally:
        client.close()
    return {"done": done, "conflicts": conflicts, "statuses": statuses}


def create_over_http(process: int, port: int, key: str, count: int) -> dict[str, Any]:
    """POST `count` incidents, each with its own Idempotency-Key (a transport retry of the
    client replays instead of creating twice). Returns the numbers the server gave."""
    client = api_client(port, key)
    numbers: list[str] = []
    statuses: dict[int, int] = {}
    together()
    try:
        for step in range(count):
            answer = send_json(
                client,
                "POST",
                "/api/incidents/",
                {"title": "并发报修 %d-%d" % (process, step), "description": "批量创建"},
                **{"Idempotency-Key": str(uuid.uuid4())},
            )
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
            if answer.status == 201:
                numbers.append(answer.json()["number"])
    finally:
        client.close()
    return {"numbers": numbers, "statuses": statuses}


def create_with_one_key(port: int, key: str, idempotency_key: str) -> dict[str, Any]:
    """The same create with the same Idempotency-Key, sent at the same moment as others."""
    client = api_client(port, key)
    together()
    try:
        answer = send_json(
            client,
            "POST",
            "/api/incidents/",
            {"title": "监护仪网关离线", "description": "同一个请求重试"},
            **{"Idempotency-Key": idempotency_key},
        )
    finally:
        client.close()
    body = answer.json()
    return {"status": answer.status, "number": body.get("number"), "body": body}


def incident_state(incident_pk: int) -> dict[str, Any]:
    """The incident as the database holds it at the end."""
    from itsm.core.models import AuditEntry
    from itsm.incidents.models import Incident

    incident = Incident.objects.get(pk=incident_pk)
    updates = AuditEntry.objects.filter(object_id=incident_pk, action="update").count()
    return {"description": incident.description, "version": incident.version, "audits": updates}


def incident_numbers(title_prefix: str) -> list[str]:
    from itsm.incidents.models import Incident

    return list(
        Incident.objects.filter(title__startswith=title_prefix).values_list("number", flat=True)
    )
