"""Imports started from the web page run as background tasks (`itsm worker`): checking a
file of 100,000 rows takes longer than a web request should. A job keeps its uploaded
files and its state (phase, progress, the dry run's errors, the result) in a directory of
its own, `var/imports/<id>/` — the web processes and the workers read the same files,
where Django's default in-memory cache would be one per process. On several machines,
`var/` is the shared volume the attachments live on too (docs/deployment.md).

Phases: checking → checked (errors, or what the import would do) → importing → done, or
failed (the file could not be read, or changed since it was checked)."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from itsm.accounts.models import User
from itsm.cmdb.importing import ImportPlan, plan_import, run_import
from itsm.core.exceptions import ConflictError

# The dry run's errors kept for the page; the count says how many more there were.
MAX_ERRORS = 1000
# At most this often the state file is rewritten while a job runs.
SAVE_INTERVAL = 0.5
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


class Phase:
    CHECKING = "checking"
    CHECKED = "checked"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"


def jobs_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def job_dir(job_id: str) -> Path:
    if not JOB_ID.match(job_id):
        raise Http404
    return jobs_dir() / job_id


def load_state(job_id: str) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads((job_dir(job_id) / "state.json").read_text())
    except (OSError, ValueError):
        raise Http404 from None
    return state


def save_state(state: dict[str, Any]) -> None:
    """Written whole to a temporary file and renamed over the old one: a reader never
    sees half a file."""
    path = job_dir(state["id"]) / "state.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False))
    os.replace(temporary, path)


def job_for_user(job_id: str, user: Any) -> dict[str, Any]:
    """A job its user may see: his own (others' are 404)."""
    state = load_state(job_id)
    if state.get("user") != user.pk:
        raise Http404
    return state


def _save_upload(upload: UploadedFile[Any], path: Path) -> None:
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def _suffix(upload: UploadedFile[Any]) -> str:
    return ".xlsx" if (upload.name or "").lower().endswith(".xlsx") else ".csv"


def start_check(
    *,
    actor: Any,
    items: UploadedFile[Any],
    relationships: UploadedFile[Any] | None,
    change_number: str,
) -> str:
    """Keep the uploaded files and queue their dry run; returns the job's id."""
    job_id = uuid.uuid4().hex
    directory = job_dir(job_id)
    directory.mkdir(parents=True)
    _save_upload(items, directory / ("items" + _suffix(items)))
    if relationships is not None:
        _save_upload(relationships, directory / ("relationships" + _suffix(relationships)))
    save_state(
        {
            "id": job_id,
            "user": actor.pk,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "file": items.name,
            "relationships_file": relationships.name if relationships is not None else "",
            "change": change_number,
            "phase": Phase.CHECKING,
            "done": 0,
            "total": 0,
            "created_at": timezone.now().isoformat(),
        }
    )
    check_import.enqueue(job_id)
    return job_id


def confirm(job_id: str, actor: Any) -> None:
    """Queue the import of a job whose dry run found no error."""
    state = job_for_user(job_id, actor)
    if state["phase"] != Phase.CHECKED or state.get("error_count"):
        raise ConflictError(_("This import cannot be started now."))
    state.update(phase=Phase.IMPORTING, done=0, total=0)
    save_state(state)
    import_file.enqueue(job_id)


def _files(directory: Path) -> tuple[Path, Path | None]:
    items = next(directory.glob("items.*"))
    relationships = next(directory.glob("relationships.*"), None)
    return items, relationships


def _reporter(state: dict[str, Any], stage: str) -> Callable[[int, int], None]:
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= SAVE_INTERVAL or done >= total:
            last = now
            state.update(stage=stage, done=done, total=total)
            save_state(state)

    return report


def _plan(state: dict[str, Any], actor: Any) -> ImportPlan:
    items, relationships = _files(job_dir(state["id"]))
    return plan_import(
        items,
        relationships=relationships,
        actor=actor,
        change_number=state.get("change", ""),
        progress=_reporter(state, "checking"),
    )


def _record_plan(state: dict[str, Any], plan: ImportPlan) -> None:
    state.update(
        phase=Phase.CHECKED,
        errors=[[e.sheet, e.row, e.column, e.message] for e in plan.errors[:MAX_ERRORS]],
        error_count=len(plan.errors),
        summary={
            "created": len(plan.creates),
            "updated": len(plan.updates),
            "unchanged": plan.unchanged,
            "relationships": len(plan.relationships),
            "existing_relationships": plan.existing_relationships,
        },
    )


def _run(job_id: str, job: Callable[[dict[str, Any]], None]) -> None:
    """Run a job on its state, in its user's language; whatever goes wrong is recorded on
    the state (the page says so instead of waiting for ever), then raised for the
    worker's log."""
    state = load_state(job_id)
    try:
        with translation.override(state.get("language")):
            job(state)
    except Exception:
        state.update(phase=Phase.FAILED, message=_("The import failed: nothing was written."))
        save_state(state)
        raise
    save_state(state)


@task()
def check_import(job_id: str) -> None:
    """The dry run of an uploaded file: every error, or what the import would do."""
    _run(job_id, _check)


@task()
def import_file(job_id: str) -> None:
    """The import of a checked file, checked again first (the CMDB may have changed since
    the dry run): all or nothing."""
    _run(job_id, _import)


def _check(state: dict[str, Any]) -> None:
    _record_plan(state, _plan(state, User.objects.get(pk=state["user"])))


def _import(state: dict[str, Any]) -> None:
    actor = User.objects.get(pk=state["user"])
    plan = _plan(state, actor)
    if plan.errors:
        _record_plan(state, plan)
        return
    try:
        result = run_import(plan, actor=actor, progress=_reporter(state, "importing"))
    except ConflictError as exc:
        state.update(phase=Phase.FAILED, message=str(exc.message))
        return
    state.update(
        phase=Phase.DONE,
        result={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "relationships": result.relationships,
        },
    )
    items, relationships = _files(job_dir(state["id"]))
    items.unlink()
    if relationships is not None:
        relationships.unlink()
