"""Configuration management pages for IT staff: QR label sheets for scan to report (扫码报修).

A sheet is plain HTML laid out for A4 in CSS; the browser prints it (no PDF library on the
server). Each label's QR code encodes ITSM_BASE_URL + `/r/<code>`, the page where a
requester reports a fault on that item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import segno
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Department
from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.choices import ConfigurationItemStatus
from itsm.cmdb.models import PLACE_DEPTH, CIClass, ConfigurationItem
from itsm.core.views import ItsmView

# 3 columns × 8 rows fit the common A4 sticker sheets (63.5 × 33.9 mm labels).
LABELS_PER_PAGE = 24
# One print run at most: a sheet of a whole building is a job for several print runs, and
# a page of a few thousand QR codes would take the browser long to lay out.
MAX_LABELS = 480


def scan_url(item: ConfigurationItem) -> str:
    """The absolute address a label's QR code encodes: it must work from any phone on
    the hospital network, so it is built from ITSM_BASE_URL, not from the request."""
    return settings.ITSM_BASE_URL + reverse("scan:report", args=[item.code])


def qr_svg(data: str) -> SafeString:
    """The QR code as inline SVG, sized by CSS. Error correction M (15 %) survives a
    scratched or slightly soiled label, and keeps the code coarse enough for old phones."""
    code = segno.make_qr(data, error="m")
    # segno writes only the path data of the modules; nothing from the user is unescaped.
    return mark_safe(code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr"))


@dataclass(frozen=True)
class Label:
    item: ConfigurationItem
    url: str
    svg: SafeString


class LabelFilterForm(forms.Form):
    """Which items to print: by department, location text and class. Retired items are
    left out unless asked for: their labels come off."""

    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False
    )
    location = forms.CharField(label=_("Location contains"), max_length=200, required=False)
    ci_class = forms.ModelChoiceField(
        label=_("Class"),
        queryset=CIClass.objects.all(),
        to_field_name="code",
        empty_label=_("All classes"),
        required=False,
    )
    include_retired = forms.BooleanField(label=_("Include retired items"), required=False)

    def filter(self, queryset: QuerySet[ConfigurationItem]) -> QuerySet[ConfigurationItem]:
        data = self.cleaned_data
        if data.get("department"):
            queryset = queryset.filter(department=data["department"])
        if data.get("location"):
            queryset = queryset.filter(place_contains(data["location"]))
        if data.get("ci_class"):
            queryset = queryset.filter(
                ci_class__code__in=ClassTree.load().descendants(data["ci_class"].code)
            )
        if not data.get("include_retired"):
            queryset = queryset.exclude(status=ConfigurationItemStatus.RETIRED)
        return queryset


def place_contains(text: str) -> Q:
    """Items whose position or one of whose locations (up to the campus) names `text`."""
    condition = Q(position__icontains=text)
    for depth in range(1, PLACE_DEPTH + 1):
        condition |= Q(**{"__".join(["location"] * depth) + "__name__icontains": text})
    return condition


def requested_codes(query: QueryDict) -> list[str]:
    """`?codes=A,B,C` or `?codes=A&codes=B` (the selection form's checkboxes), in the
    order given, each once."""
    codes: list[str] = []
    for value in query.getlist("codes"):
        for code in value.split(","):
            code = code.strip()
            if code and code not in codes:
                codes.append(code)
    return codes


class LabelSheetView(ItsmView):
    """`/cmdb/labels/`: without codes, a form to choose the items; with `codes`, the
    printable A4 sheet of their labels. IT staff only (cmdb.view_configurationitem)."""

    permission = "cmdb.view_configurationitem"
    template_name = "cmdb/labels.html"
    sheet_template_name: ClassVar[str] = "cmdb/labels_sheet.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        codes = requested_codes(request.GET)
        if codes:
            return self.sheet(codes)
        return self.choose()

    def choose(self) -> HttpResponse:
        form = LabelFilterForm(self.request.GET or None)
        items: list[ConfigurationItem] = []
        status = 200
        if form.is_bound and form.is_valid():
            queryset = form.filter(
                ConfigurationItem.objects.with_place().select_related("department")
            )
            items = list(queryset.order_by("code")[: MAX_LABELS + 1])
        elif form.is_bound:
            status = 400
        return self.render(
            {
                "form": form,
                "items": items[:MAX_LABELS],
                "too_many": len(items) > MAX_LABELS,
                "max_labels": MAX_LABELS,
                "nav": "cmdb_labels",
            },
            status=status,
        )

    def sheet(self, codes: list[str]) -> HttpResponse:
        found = {
            item.code: item
            for item in ConfigurationItem.objects.with_place()
            .select_related("department")
            .filter(code__in=codes[:MAX_LABELS])
        }
        labels = [
            Label(item, scan_url(item), qr_svg(scan_url(item)))
            for item in (found.get(code) for code in codes[:MAX_LABELS])
            if item is not None
        ]
        pages = [
            labels[start : start + LABELS_PER_PAGE]
            for start in range(0, len(labels), LABELS_PER_PAGE)
        ]
        context: dict[str, Any] = {
            "pages": pages,
            "labels": labels,
            "missing": [code for code in codes[:MAX_LABELS] if code not in found],
            "cut": max(0, len(codes) - MAX_LABELS),
        }
        return self.render(
            context, template=self.sheet_template_name, status=200 if labels else 404
        )
