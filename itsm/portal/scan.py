"""Scan to report (扫码报修): the QR label on a printer, a workstation or a kiosk opens
`/r/<code>`, where the signed-in requester reports a fault on that item in one line. The
incident carries the item, its location and department, so the service desk knows at once
what and where; the requester then follows it in the portal like any other report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.choices import ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.views import ItsmView, add_service_errors
from itsm.incidents.choices import OPEN_STATUSES, IncidentChannel
from itsm.incidents.forms import PortalIncidentForm
from itsm.incidents.models import Incident
from itsm.incidents.services import log_incident
from itsm.portal.views import OwnIncidentsMixin, report_received_message

# How many of the item's open incidents the page lists; the rest are counted.
LISTED_OPEN_INCIDENTS = 10


class ScanReportForm(PortalIncidentForm):
    """The portal's report form cut to one line and an optional note: the item says what
    and where, and the portal's defaults (low impact and urgency) apply to the rest."""

    class Meta:
        model = Incident
        fields = ("title", "description")
        labels = {"title": _("What is wrong?"), "description": _("More details (optional)")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


def scan_description(item: ConfigurationItem, note: str) -> str:
    """The location and the item first, so the engineer reads where to go before what
    the requester wrote."""
    place = item.place
    if place:
        head = gettext("Location: %(location)s. Item: %(item)s (reported by scanning its label).")
    else:
        head = gettext("Item: %(item)s (reported by scanning its label).")
    head %= {"location": place, "item": item}
    return "%s\n\n%s" % (head, note) if note else head


class ScanReportView(ItsmView):
    """`/r/<code>`: the item big and clear, what is already reported on it, and a one-line
    report. Unknown codes are 404; a retired item takes no report."""

    permission = "incidents.add_incident"
    permission_message = OwnIncidentsMixin.permission_message
    template_name = "portal/scan_report.html"

    def get_item(self, code: str) -> ConfigurationItem | None:
        return (
            ConfigurationItem.objects.with_place()
            .select_related("department")
            .prefetch_related("services")
            .filter(code=code)
            .first()
        )

    def unknown(self, code: str) -> TemplateResponse:
        return TemplateResponse(
            self.request, "portal/scan_unknown.html", {"code": code}, status=404
        )

    def reported(self, item: ConfigurationItem) -> dict[str, Any]:
        """The item's open incidents: listed when the user may see them, else only
        counted, so a nurse knows it is already reported without reading others' reports."""
        open_on_item = Incident.objects.filter(configuration_items=item, status__in=OPEN_STATUSES)
        visible = list(
            open_on_item.visible_to(self.request.user)
            .select_related("requester")
            .order_by("-reported_at", "-pk")[:LISTED_OPEN_INCIDENTS]
        )
        total = open_on_item.count()
        return {"open_incidents": visible, "open_total": total, "open_hidden": total - len(visible)}

    def context(self, item: ConfigurationItem, form: forms.BaseForm) -> dict[str, Any]:
        return {
            "item": item,
            "form": form,
            "retired": item.status == ConfigurationItemStatus.RETIRED,
            "nav": "portal_new",
            **self.reported(item),
        }

    def get_form(self, data: Any = None) -> forms.BaseForm:
        form = ScanReportForm(data=data)
        form.fields["title"].widget.attrs.update(
            {"autofocus": True, "placeholder": gettext("e.g. Paper jam, blank screen, no network")}
        )
        return form

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        item = self.get_item(code)
        if item is None:
            return self.unknown(code)
        return self.render(self.context(item, self.get_form()))

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        item = self.get_item(code)
        if item is None:
            return self.unknown(code)
        form = self.get_form(request.POST)
        if item.status == ConfigurationItemStatus.RETIRED:
            return self.render(self.context(item, form), status=400)
        if form.is_valid():
            try:
                incident = log_incident(self.incident_data(item, form), actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, report_received_message(incident))
                return redirect(reverse("portal:incident_detail", args=[incident.pk]))
        return self.render(self.context(item, form), status=400)

    def incident_data(self, item: ConfigurationItem, form: forms.BaseForm) -> dict[str, Any]:
        services = list(item.services.all())
        return {
            "title": form.cleaned_data["title"],
            "description": scan_description(item, form.cleaned_data["description"]),
            "channel": IncidentChannel.PORTAL,
            "requester": self.request.user,
            # None falls back to the requester's own department in log_incident.
            "department": item.department,
            # One service is unambiguous; with several the service desk chooses.
            "service": services[0] if len(services) == 1 else None,
            "configuration_items": [item],
        }
