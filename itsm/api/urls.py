"""The API's root: one router for every app's viewsets, token sign-in, the OpenAPI schema
and its documentation pages (assets served from our own static files, no CDN)."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from itsm.accounts.api import (
    ApiTokenViewSet,
    DepartmentViewSet,
    SupportGroupViewSet,
    TokenRequestSerializer,
    UserViewSet,
    VendorViewSet,
)
from itsm.accounts.passwords import must_change_password
from itsm.accounts.tokens import create_token
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


class TokenView(APIView):
    """Sign in with a username and password (and the second-factor code, for users who
    have one); the answer's key goes into the `Authorization: Token <key>` header of later
    requests until it expires or is revoked. Each sign-in makes a new token: the key is
    shown this once, only its hash is kept."""

    permission_classes: list[Any] = []
    authentication_classes: list[Any] = []
    serializer_class = TokenRequestSerializer
    schema = ApiSchema()

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(allow_null=True),
                },
            )
        },
        description=str(_("Exchange a username and password for an API token.")),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if must_change_password(user):
            raise PermissionDenied(_("Change your password in the web pages first."))
        name = serializer.validated_data.get("name") or str(_("Signed in through the API"))
        token, key = create_token(user, actor=user, name=name)
        return Response({"token": key, "expires_at": token.expires_at})


router = DefaultRouter()
# No `.json` suffix routes: the actions do not take a `format` argument (a suffixed action URL
# answered 500), the schema documents none, and `?format=` or the Accept header does the same.
router.include_format_suffixes = False
router.register("incidents", IncidentViewSet, basename="incident")
router.register("departments", DepartmentViewSet, basename="department")
router.register("groups", SupportGroupViewSet, basename="supportgroup")
router.register("users", UserViewSet, basename="user")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("auth/tokens", ApiTokenViewSet, basename="apitoken")
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
    # Swagger UI's init script as a request of its own: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Redoc writes its styles as <style> elements and parses in a blob: worker.
    path(
        "redoc/",
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    *router.urls,
]
