"""`/cmdb/import/`: importing configuration items from an .xlsx or CSV file. Upload →
the dry run (a background job; its progress polled every second) lists every row's
errors, or what the import would do with a Confirm button → the import (a background job,
its progress polled again) → the counts. Also the template workbook to fill in."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from itsm.cmdb import import_jobs
from itsm.cmdb.attributes import ClassTree, schema
from itsm.cmdb.choices import (
    AttributeType,
    ConfigurationItemClass,
    ConfigurationItemStatus,
    Criticality,
    RelationshipType,
)
from itsm.cmdb.importing import item_headers, relationship_headers
from itsm.cmdb.models import AttributeDefinition
from itsm.cmdb.services import CHANGE_PERMISSION
from itsm.core.views import ItsmView

# Uploads larger than this are refused before they are stored (100,000 rows: ~16 MB).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _check_file(upload: UploadedFile[Any] | None) -> UploadedFile[Any] | None:
    if upload is None:
        return None
    if not (upload.name or "").lower().endswith((".xlsx", ".csv")):
        raise forms.ValidationError(gettext_lazy("Upload an .xlsx or .csv file."))
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            gettext_lazy("The file is larger than %(size)d MB.")
            % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    return upload


class ImportForm(forms.Form):
    items = forms.FileField(
        label=gettext_lazy("Items file"),
        help_text=gettext_lazy(
            "An .xlsx workbook (its “关系” sheet holds the relationships) or a .csv file."
        ),
    )
    relationships = forms.FileField(
        label=gettext_lazy("Relationships file"),
        required=False,
        help_text=gettext_lazy("Optional: a .csv file of relationships."),
    )
    change = forms.CharField(
        label=gettext_lazy("Change number"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("The RFC the import is made under, e.g. CHG0000042."),
    )

    def clean_items(self) -> UploadedFile[Any] | None:
        return _check_file(self.cleaned_data.get("items"))

    def clean_relationships(self) -> UploadedFile[Any] | None:
        return _check_file(self.cleaned_data.get("relationships"))


class ImportView(ItsmView):
    """The upload form; posting it queues the dry run and shows its page."""

    permission = CHANGE_PERMISSION
    template_name = "cmdb/import.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render({"form": ImportForm(), "nav": "cmdb"})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render({"form": form, "nav": "cmdb"}, status=400)
        job_id = import_jobs.start_check(
            actor=request.user,
            items=form.cleaned_data["items"],
            relationships=form.cleaned_data.get("relationships"),
            change_number=form.cleaned_data.get("change", "").strip(),
        )
        return redirect("cmdb:import_job", job_id)


class ImportJobView(ItsmView):
    """A job's page: its progress while it runs (the partial polls itself every second),
    then the dry run's report or the import's result. Another user's job is 404."""

    permission = CHANGE_PERMISSION
    template_name = "cmdb/import.html"
    partial_template_name = "cmdb/_import_job.html"

    def get(self, request: HttpRequest, job: str) -> HttpResponse:
        state = import_jobs.job_for_user(job, request.user)
        return self.render(job_context(state))


def job_context(state: dict[str, Any]) -> dict[str, Any]:
    total = state.get("total") or 0
    return {
        "job": state,
        "running": state["phase"] in (import_jobs.Phase.CHECKING, import_jobs.Phase.IMPORTING),
        "percent": int(100 * state.get("done", 0) / total) if total else 0,
        "more_errors": max(0, state.get("error_count", 0) - len(state.get("errors", []))),
        "nav": "cmdb",
    }


class ImportConfirmView(ItsmView):
    """Start the import of a job whose dry run found no error."""

    permission = CHANGE_PERMISSION

    def post(self, request: HttpRequest, job: str) -> HttpResponse:
        import_jobs.confirm(job, request.user)
        return redirect("cmdb:import_job", job)


class ImportTemplateView(ItsmView):
    """The workbook to fill in: the headers in Chinese, one example row per class with
    its attributes, and the relationships sheet with an example."""

    permission = CHANGE_PERMISSION

    def get(self, request: HttpRequest) -> HttpResponse:
        with translation.override("zh-hans"):
            data = template_workbook()
        response = HttpResponse(data, content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="cmdb-import-template.xlsx"'
        return response


def template_workbook() -> bytes:
    tree = ClassTree.load()
    classes = sorted(tree.classes.values(), key=lambda c: (tree.lineage(c.code)[::-1], c.code))
    fields = item_headers()
    attributes: dict[str, AttributeDefinition] = {}
    for ci_class in classes:
        for definition in schema(ci_class.code, tree):
            attributes.setdefault(definition.name, definition)
    codes = {c.code: "EX-%s" % c.code.upper().replace("_", "-") for c in classes}
    location = next(
        (codes[c.code] for c in classes if tree.is_a(c.code, ConfigurationItemClass.LOCATION)),
        "",
    )
    book = Workbook()
    sheet = book.active
    sheet.title = "配置项"
    sheet.append([label for _name, label in fields] + list(attributes))
    for ci_class in classes:
        is_location = tree.is_a(ci_class.code, ConfigurationItemClass.LOCATION)
        values = {
            "code": codes[ci_class.code],
            "name": "%s（示例）" % ci_class.name,
            "ci_class": ci_class.name,
            "status": str(ConfigurationItemStatus.IN_USE.label),
            "criticality": str(Criticality.MEDIUM.label),
            "location": location if not is_location or codes[ci_class.code] != location else "",
        }
        own = {d.code: d for d in schema(ci_class.code, tree)}
        row = [values.get(name, "") for name, _label in fields]
        for name in attributes:
            mine = next((d for d in own.values() if d.name == name), None)
            row.append(_example(mine, codes) if mine is not None else "")
        sheet.append(row)
    edges = book.create_sheet("关系")
    edges.append([label for _name, label in relationship_headers()])
    edges.append(
        [
            codes.get(ConfigurationItemClass.APPLICATION, ""),
            str(RelationshipType.DEPENDS_ON.label),
            codes.get(ConfigurationItemClass.DATABASE, ""),
            "",
        ]
    )
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _example(definition: AttributeDefinition, codes: dict[str, str]) -> Any:
    if definition.choices:
        return definition.choices[0]
    if definition.type == AttributeType.REFERENCE:
        wanted = definition.reference_class
        return codes.get(wanted.code, "") if wanted is not None else ""
    examples: dict[str, Any] = {
        AttributeType.NUMBER: 1,
        AttributeType.DATE: "2026-01-01",
        AttributeType.IP: "10.0.0.1",
    }
    return examples.get(definition.type, "示例")
