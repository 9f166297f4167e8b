"""The shared API base every app's `api.py` builds on.

This module is named in the REST_FRAMEWORK settings (pagination, exception handler), which
DRF imports while `rest_framework.generics` is still loading; so it imports nothing that
loads generics or viewsets. The rest lives in submodules:

- `itsm.core.api.viewsets`: `ObjectViewSet`, model permissions, `ObjectSerializer`;
- `itsm.core.api.transitions`: `TransitionsMixin` (GET|POST …/{id}/transitions/);
- `itsm.core.api.schema`: `ApiSchema`, the OpenAPI description of every error answer.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from itsm.core.exceptions import ConflictError
from itsm.core.views.generic import CappedPaginator


class Pagination(PageNumberPagination):
    """Page-number pagination answering {count, count_capped, next, previous, results}; the
    client may ask for up to 200 rows a page with ?page_size=.

    The count stops at 10,000 (`count_capped` is then true): counting a million rows costs
    more than the page itself. The pages of the first 10,000 rows can be fetched; a client
    wanting more narrows its filters."""

    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        paginator: Any = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["description"] = _("The number of results, counted up to 10,000.")
        properties = {
            "count": properties.pop("count"),
            "count_capped": {
                "type": "boolean",
                "example": False,
                "description": _(
                    "True when there are more results than count says: count then holds "
                    "the cap, and only the pages of the first count results can be fetched."
                ),
            },
            **properties,
        }
        response["properties"] = properties
        response["required"] = ["count", "count_capped", "results"]
        return response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The record cannot be changed in its current state.")
    default_code = "conflict"


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as {field: [messages]}; errors about the whole record go
    under DRF's non-field key, as serializer errors do."""
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(exc, "error_dict"):
        return {
            (non_field if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {non_field: exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map the service layer's errors to one HTTP status each: ValidationError → 400 with a
    message per field, PermissionDenied → 403 with the reason, a missing or invisible record
    → 404, ConflictError (a transition not allowed now, a stale version) → 409 with the
    reason. Messages are in the request's language (the active translation)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, ConflictError):
        exc = Conflict(detail=str(exc.message))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and response.status_code == status.HTTP_400_BAD_REQUEST
        and isinstance(response.data, list)
    ):
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response
