"""The SLA compliance report over the API: the same rows as the page and its exports, for
the hospital's own dashboards and the quality office's spreadsheets."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.core.api.schema import ApiSchema, ValidationErrorSerializer
from itsm.core.api.viewsets import activate_user_language
from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.forms import FirstContactReportForm, SlaReportForm
from itsm.reports.services import (
    REPORT_PERMISSION,
    ComplianceRow,
    ReportQuery,
    compliance_rows,
    first_contact_rows,
)
from itsm.sla.choices import AgreementKind


class CanViewReports(BasePermission):
    message = _("Reports are open to IT staff who may see every incident.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(REPORT_PERMISSION))


class ComplianceRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    month = serializers.CharField(help_text=_("The month the clocks started, as YYYY-MM."))
    metric = serializers.CharField(help_text=_("response or resolution."))
    key = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The value's id (service, department, group), priority number or agreement "
            "kind; null for tickets without one."
        ),
    )
    name = serializers.CharField(help_text=_("The value's name in the user's language."))
    measured = serializers.IntegerField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance = serializers.FloatField(
        allow_null=True, help_text=_("Met as a share of measured, in per cent.")
    )
    breached_url = serializers.CharField(
        help_text=_("The web page listing the breached tickets behind the number.")
    )


class ComplianceReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    year = serializers.IntegerField()
    month = serializers.IntegerField(allow_null=True)
    dimension = serializers.CharField()
    metric = serializers.CharField()
    kind = serializers.CharField(allow_blank=True)
    rows = ComplianceRowSerializer(many=True)


def row_data(query: ReportQuery, row: ComplianceRow) -> dict[str, Any]:
    link: dict[str, Any] = {
        "year": query.year,
        "month": row.month.month,
        "dimension": query.dimension,
        "metric": row.metric,
        "kind": query.kind,
        "value": row.value,
    }
    return {
        "month": row.month.strftime("%Y-%m"),
        "metric": row.metric,
        "key": row.key,
        "name": row.label,
        "measured": row.measured,
        "met": row.met,
        "breached": row.breached,
        "compliance": row.compliance,
        "breached_url": reverse("reports:sla_breached") + "?" + urlencode(link),
    }


class SlaComplianceApiView(APIView):
    """GET /api/reports/sla-compliance/: the report's rows by month, value and metric."""

    permission_classes = [IsAuthenticated, CanViewReports]
    schema = ApiSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        activate_user_language(request)

    @extend_schema(
        operation_id="reports_sla_compliance",
        tags=["reports"],
        parameters=[
            OpenApiParameter("year", int, description=str(_("Default: this year."))),
            OpenApiParameter(
                "month", int, description=str(_("1–12; empty: the whole year, by month."))
            ),
            OpenApiParameter("dimension", str, enum=ReportDimension.values),
            OpenApiParameter("metric", str, enum=ReportMetric.values),
            OpenApiParameter(
                "kind", str, enum=AgreementKind.values, description=str(_("Empty: every kind."))
            ),
        ],
        responses={
            200: ComplianceReportSerializer,
            400: OpenApiResponse(
                response=ValidationErrorSerializer,
                description=str(_("Invalid input: a message per field.")),
            ),
        },
        description=str(
            _(
                "SLA compliance: for each month and value, the clocks measured (stopped, or "
                "running and already breached; cancelled ones left out), met, breached and "
                "the compliance in per cent. The group of an SLA clock is the incident's "
                "assignment group; of an OLA or UC clock, the group measured."
            )
        ),
    )
    def get(self, request: Request) -> Response:
        form = SlaReportForm(request.query_params)
        if not form.is_valid():
            return Response(form.errors_by_field(), status=status.HTTP_400_BAD_REQUEST)
        query = form.report_query()
        rows = compliance_rows(query)
        return Response(
            {
                "year": query.year,
                "month": query.month,
                "dimension": query.dimension,
                "metric": query.metric,
                "kind": query.kind,
                "rows": [row_data(query, row) for row in rows],
            }
        )


class FirstContactRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    month = serializers.CharField(help_text=_("The month, as YYYY-MM."))
    logged = serializers.IntegerField(help_text=_("Calls the service desk logged."))
    first_contact = serializers.IntegerField(
        help_text=_("Of those, the calls resolved at first contact.")
    )
    first_contact_rate = serializers.FloatField(allow_null=True, help_text=_("In per cent."))
    resolved = serializers.IntegerField(help_text=_("Incidents resolved in the month."))
    kb_solved = serializers.IntegerField(help_text=_("Of those, the ones solved by an article."))
    kb_rate = serializers.FloatField(allow_null=True, help_text=_("In per cent."))


class FirstContactReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    rows = FirstContactRowSerializer(many=True)


class FirstContactApiView(APIView):
    """GET /api/reports/first-contact/: the first-contact and knowledge-base resolution
    rates of the twelve months up to the given one."""

    permission_classes = [IsAuthenticated, CanViewReports]
    schema = ApiSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        activate_user_language(request)

    @extend_schema(
        operation_id="reports_first_contact",
        tags=["reports"],
        parameters=[
            OpenApiParameter("year", int, description=str(_("Default: this year."))),
            OpenApiParameter(
                "month", int, description=str(_("1–12, the last month shown; default: this month."))
            ),
        ],
        responses={
            200: FirstContactReportSerializer,
            400: OpenApiResponse(
                response=ValidationErrorSerializer,
                description=str(_("Invalid input: a message per field.")),
            ),
        },
        description=str(
            _(
                "Per month: the calls the service desk logged (phone, walk-in, e-mail) and "
                "those it resolved at first contact; the incidents resolved and those solved "
                "by a knowledge article. Cancelled incidents are left out."
            )
        ),
    )
    def get(self, request: Request) -> Response:
        form = FirstContactReportForm(request.query_params)
        if not form.is_valid():
            return Response(form.errors_by_field(), status=status.HTTP_400_BAD_REQUEST)
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        rows = first_contact_rows(year, month)
        return Response(
            {
                "year": year,
                "month": month,
                "rows": [
                    {
                        "month": row.month.strftime("%Y-%m"),
                        "logged": row.logged,
                        "first_contact": row.first_contact,
                        "first_contact_rate": row.first_contact_rate,
                        "resolved": row.resolved,
                        "kb_solved": row.kb_solved,
                        "kb_rate": row.kb_rate,
                    }
                    for row in rows
                ],
            }
        )
