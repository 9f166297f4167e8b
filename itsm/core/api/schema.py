"""The OpenAPI description of the errors every endpoint can answer, added to
drf-spectacular's schema by `ApiSchema` (the `schema` of every API view)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The body of a 401, 403, 404 or 409 answer."""

    detail = serializers.CharField(help_text=_("Why the request was refused."))


class ValidationErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The body of a 400 answer: {field: [messages]}; `non_field_errors` for the record."""


class ValidationErrorSchema(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    target_class = "itsm.core.api.schema.ValidationErrorSerializer"

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return {
            "type": "object",
            "description": str(
                _(
                    "A list of messages per invalid field; problems with the record as a "
                    "whole are under non_field_errors."
                )
            ),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"title": [str(_("This field is required."))]},
        }


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=str(
        _(
            "Optional: a unique string of the client's (1–255 printable ASCII characters, "
            "e.g. a UUID). A retry with the same key and the same body gets the first "
            "answer again (header Idempotent-Replayed: true) and creates nothing; the same "
            "key with another body is refused with 422. Keys are kept for 24 hours."
        )
    ),
)


class ApiSchema(AutoSchema):
    """drf-spectacular's schema plus the error answers of every operation: 401 and 403
    where a login is needed, 404 on one record, 400 where input is read (bodies and list
    filters), 413 for a body over the upload limit, 409 for the actions a view lists in
    `conflict_actions` and for the edits of a versioned record (a stale `version`). Writes
    are documented as answering with the record as it reads back (the view's
    `serializer_class`)."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        view = self.view
        errors: dict[str, tuple[type[serializers.Serializer], Any]] = {}  # type: ignore[type-arg]
        if getattr(view, "permission_classes", None):
            errors["401"] = (ErrorSerializer, _("Not signed in, or the token is invalid."))
            errors["403"] = (ErrorSerializer, _("The user lacks the permission for this."))
        if "{" in self.path:
            errors["404"] = (ErrorSerializer, _("No such record, or not visible to this user."))
        elif (
            self.method == "GET"
            and self._is_list_view()
            and getattr(view, "pagination_class", None) is not None
        ):
            errors["404"] = (ErrorSerializer, _("No such page: past the last one."))
        reads_filters = (
            self.method == "GET"
            and bool(
                getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)
            )
            and bool(self.get_filter_backends())
            and self._is_list_view()
        )
        if self.method in ("POST", "PUT", "PATCH") or reads_filters:
            errors["400"] = (ValidationErrorSerializer, _("Invalid input: a message per field."))
        if self.method in ("POST", "PUT", "PATCH"):
            errors["413"] = (
                ErrorSerializer,
                _("The body is larger than the largest file allowed (ITSM_UPLOAD_MAX_MB)."),
            )
        if self.method == "POST" and getattr(view, "idempotent_posts", False):
            errors["422"] = (
                ErrorSerializer,
                _("The Idempotency-Key was already used for a different request."),
            )
        if (
            self.method != "GET"
            and getattr(view, "action", None) in getattr(view, "conflict_actions", ())
        ) or (self.method == "PATCH" and self._edits_versioned_record()):
            errors["409"] = (
                ErrorSerializer,
                _("Not possible in the record's current state, or the version is stale."),
            )
        for code, (serializer, description) in sorted(errors.items()):
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(response=serializer, description=str(description)), code
                )
        return responses

    def _edits_versioned_record(self) -> bool:
        """An edit of a record with the optimistic lock's `version`: a stale one is a 409."""
        from itsm.core.api.viewsets import is_versioned  # the viewsets import this module

        queryset = getattr(self.view, "queryset", None)
        return queryset is not None and is_versioned(queryset.model)

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = super().get_override_parameters()
        if self.method == "POST" and getattr(self.view, "idempotent_posts", False):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def get_request_serializer(self) -> Any:
        hook = getattr(self.view, "schema_request_serializer", None)
        found = hook(self.method) if hook is not None else None
        return found if found is not None else super().get_request_serializer()

    def get_response_serializers(self) -> Any:
        if self.method in ("POST", "PATCH", "PUT") and hasattr(self.view, "read_back"):
            return getattr(self.view, "serializer_class", None)
        return super().get_response_serializers()
