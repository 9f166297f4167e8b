"""The duty roster: which IT manager is on duty (值班经理) from when to when."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.views import ItsmView, ObjectEditView, ObjectListView, redirect_after_post
from itsm.sla import configuration
from itsm.sla.filters import DutyShiftFilterSet
from itsm.sla.forms import DutyShiftForm
from itsm.sla.models import DutyShift
from itsm.sla.views.base import SlaMixin

# --------------------------------------------------------------------------------------
# Duty roster


class DutyShiftListView(SlaMixin, ObjectListView):
    """The on-duty managers, current and coming shifts first."""

    model = DutyShift
    permission = "sla.view_dutyshift"
    filterset_class = DutyShiftFilterSet
    template_name = "sla/duty_list.html"
    select_related = ("user",)
    sort_fields = {"starts": ("-starts_at",)}
    default_sort = "starts"

    def get_filter_data(self) -> QueryDict:
        data = self.request.GET.copy()
        if "after" not in data:
            data["after"] = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
        return data

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        now = timezone.now()
        return {
            **context,
            "now": now,
            "can_change": self.request.user.has_perm("sla.change_dutyshift"),
            "nav": self.nav,
            "sla_tab": "duty",
        }


class DutyShiftEditView(SlaMixin, ObjectEditView):
    model = DutyShift
    form_class = DutyShiftForm
    template_name = "sla/duty_edit.html"
    versioned = True
    success_message = _("Duty shift saved.")
    permission_message = _("Only IT managers and administrators keep the duty roster.")

    def check_permission(self) -> None:
        permission = "sla.change_dutyshift" if "pk" in self.kwargs else "sla.add_dutyshift"
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(str(self.permission_message))

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        version = obj.version if obj is not None else ""
        return super().get_context_data(
            obj, form, version=version, nav=self.nav, sla_tab="duty", **context
        )

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        return configuration.save_duty_shift(
            obj, form.cleaned_data, actor=self.request.user, version=version
        )

    def get_success_url(self, obj: Any) -> str:
        return reverse("sla:duty_list")


class DutyShiftDeleteView(SlaMixin, ItsmView):
    model = DutyShift
    permission = "sla.delete_dutyshift"
    permission_message = _("Only IT managers and administrators keep the duty roster.")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shift = get_object_or_404(DutyShift, pk=pk)
        configuration.delete_duty_shift(shift, actor=request.user)
        messages.success(request, gettext("Duty shift removed."))
        return redirect_after_post(request, reverse("sla:duty_list"))
