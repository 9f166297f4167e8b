"""The impact graph of a configuration item as JSON, for the drawing on the item's page
(`cmdb/_impact_graph.html`, `itsm/ci-graph.js`)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from itsm.cmdb.graph import impact_graph
from itsm.cmdb.models import ConfigurationItem
from itsm.cmdb.services import impact_of
from itsm.core.views import ItsmView, get_object_for_user


class ImpactGraphView(ItsmView):
    """`/cmdb/cis/<pk>/graph/`: what fails with the item and what it relies on, as ECharts
    graph data. IT staff only (cmdb.view_configurationitem); the same analysis as the API's
    `/api/cis/<pk>/impact/`."""

    permission = "cmdb.view_configurationitem"

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        ci = get_object_for_user(request, ConfigurationItem, pk)
        response = JsonResponse(
            impact_graph(impact_of(ci)), json_dumps_params={"ensure_ascii": False}
        )
        response["Cache-Control"] = "private, no-store"
        return response
