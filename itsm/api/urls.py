"""The API's root: one router for every app's viewsets, token sign-in, the OpenAPI schema
and its documentation pages (assets served from our own static files, no CDN)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from itsm.accounts.api import DepartmentViewSet, SupportGroupViewSet, UserViewSet, VendorViewSet
from itsm.changes.api import (
    ChangeReportApiView,
    ChangeTemplateViewSet,
    ChangeViewSet,
    RiskQuestionViewSet,
)
from itsm.changes.calendar_api import BlackoutWindowViewSet
from itsm.cmdb.api import (
    AttributeDefinitionViewSet,
    CIClassViewSet,
    ConfigurationItemViewSet,
    ContractViewSet,
    RelationshipViewSet,
    ServiceViewSet,
)
from itsm.core.api.schema import ApiSchema
from itsm.core.api.search import SearchApiView
from itsm.incidents.api import IncidentViewSet
from itsm.knowledge.api import ArticleViewSet
from itsm.problems.api import ProblemViewSet, ProposedProblemViewSet
from itsm.releases.api import DeploymentViewSet, ReleaseViewSet
from itsm.reports.api import FirstContactApiView, SlaComplianceApiView
from itsm.sla.api import (
    AgreementViewSet,
    CalendarDayViewSet,
    CalendarViewSet,
    DutyShiftViewSet,
    StatutoryDayViewSet,
)

app_name = "api"


class TokenView(ObtainAuthToken):
    """Sign in with a username and password; the answer's token goes into the
    `Authorization: Token <token>` header of later requests."""

    schema = ApiSchema()

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        description=str(_("Exchange a username and password for an API token.")),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("departments", DepartmentViewSet, basename="department")
router.register("groups", SupportGroupViewSet, basename="supportgroup")
router.register("users", UserViewSet, basename="user")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("services", ServiceViewSet, basename="service")
router.register("cis", ConfigurationItemViewSet, basename="configurationitem")
router.register("relationships", RelationshipViewSet, basename="relationship")
router.register("ci-classes", CIClassViewSet, basename="ciclass")
router.register("ci-attributes", AttributeDefinitionViewSet, basename="attributedefinition")
router.register("contracts", ContractViewSet, basename="contract")
router.register("calendars", CalendarViewSet, basename="businesscalendar")
router.register("calendar-days", CalendarDayViewSet, basename="calendarday")
router.register("statutory-days", StatutoryDayViewSet, basename="statutoryday")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("duty-shifts", DutyShiftViewSet, basename="dutyshift")
router.register("problems", ProblemViewSet, basename="problem")
router.register("proposed-problems", ProposedProblemViewSet, basename="proposedproblem")
router.register("articles", ArticleViewSet, basename="article")
router.register("changes", ChangeViewSet, basename="change")
router.register("change-templates", ChangeTemplateViewSet, basename="changetemplate")
router.register("risk-questions", RiskQuestionViewSet, basename="riskquestion")
router.register("blackout-windows", BlackoutWindowViewSet, basename="blackoutwindow")
router.register("releases", ReleaseViewSet, basename="release")
router.register("deployments", DeploymentViewSet, basename="deployment")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("search/", SearchApiView.as_view(), name="search"),
    path("reports/sla-compliance/", SlaComplianceApiView.as_view(), name="report_sla_compliance"),
    path("reports/first-contact/", FirstContactApiView.as_view(), name="report_first_contact"),
    path("reports/changes/", ChangeReportApiView.as_view(), name="report_changes"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
]
