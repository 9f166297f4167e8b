"""The transitions action for any record with a workflow: `GET …/{id}/transitions/` lists
what this user may do now with each transition's fields (read from the same table and forms
as the UI's buttons); `POST …/{id}/transitions/` takes one through the app's service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.core.workflow import Transition, Workflow

# How GET …/transitions/ types a transition's fields: "id" names a record by its id,
# "text" is multi-line, "choice" lists its values.
FIELD_TYPES = ("string", "text", "choice", "id", "boolean")


class TransitionFieldSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    required = serializers.BooleanField()  # type: ignore[assignment]
    type = serializers.ChoiceField(choices=FIELD_TYPES)
    choices = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text=_("The allowed values, for fields of type `choice`."),
    )


class TransitionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    target = serializers.CharField(help_text=_("The status after the transition."))
    fields = TransitionFieldSerializer(many=True)  # type: ignore[assignment]


class TransitionMenuSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.CharField()
    version = serializers.IntegerField()
    transitions = TransitionSerializer(many=True)


class TransitionRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The envelope of POST …/transitions/; the transition's own fields come alongside."""

    name = serializers.CharField(max_length=64)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The version read; the transition is refused with 409 if it changed."),
    )


def field_type(field: forms.Field) -> str:
    if isinstance(field, forms.ModelChoiceField):
        return "id"
    if isinstance(field, forms.ChoiceField):
        return "choice"
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field.widget, forms.Textarea):
        return "text"
    return "string"


def describe_transition(transition: Transition) -> dict[str, Any]:
    """A transition as the API lists it: its name, label, target and its fields, with the
    allowed values of choice fields (read from the transition's form, as the UI does)."""
    fields = transition.describe_fields()
    base_fields = transition.form.base_fields if transition.form is not None else {}
    for described in fields:
        form_field = base_fields[described["name"]]
        described["type"] = field_type(form_field)
        if described["type"] == "choice":
            described["choices"] = [
                {"value": str(value), "label": str(label)}
                for value, label in form_field.choices  # type: ignore[attr-defined]
                if value != ""
            ]
    return {
        "name": transition.name,
        "label": str(transition.label),
        "target": str(transition.target),
        "fields": fields,
    }


def transition_request_serializer(
    workflow: Workflow[Any], name: str
) -> type[serializers.Serializer]:  # type: ignore[type-arg]
    """The documented body of POST …/transitions/: name, version and every field any
    transition of the workflow takes (each transition's own required fields are listed by
    GET …/transitions/)."""
    attrs: dict[str, Any] = {}
    for transition in workflow:
        if transition.form is None:
            continue
        for field_name, form_field in transition.form.base_fields.items():
            kind = field_type(form_field)
            help_text = str(form_field.label or field_name)
            if kind == "choice":
                attrs[field_name] = serializers.ChoiceField(
                    choices=[c for c in form_field.choices if c[0] != ""],  # type: ignore[attr-defined]
                    required=False,
                    help_text=help_text,
                )
            elif kind == "id":
                attrs[field_name] = serializers.IntegerField(
                    required=False, allow_null=True, help_text=help_text
                )
            elif kind == "boolean":
                attrs[field_name] = serializers.BooleanField(required=False, help_text=help_text)
            else:
                attrs[field_name] = serializers.CharField(
                    required=False, allow_blank=True, help_text=help_text
                )
    attrs["name"] = serializers.ChoiceField(
        choices=[t.name for t in workflow], help_text=str(_("The transition to take."))
    )
    return type(name, (TransitionRequestSerializer,), attrs)


class TransitionsMixin:
    """`GET …/{id}/transitions/` lists what this user may do to the record now, with each
    transition's fields; `POST …/{id}/transitions/` with {"name", "version"?, …fields}
    takes one through the app's service and returns the record. Set `workflow` and
    `transition_service` (called as service(obj, name, actor=, data=, version=))."""

    workflow: ClassVar[Workflow[Any]]
    transition_service: ClassVar[Callable[..., Any]]

    get_object: Callable[[], Any]
    read_back: Callable[[Any], dict[str, Any]]

    @classmethod
    def transition_request_serializer(cls) -> type[serializers.Serializer]:  # type: ignore[type-arg]
        cached: type[serializers.Serializer] | None = cls.__dict__.get(  # type: ignore[type-arg]
            "_transition_request"
        )
        if cached is None:
            model: type[models.Model] = cls.queryset.model  # type: ignore[attr-defined]
            cached = transition_request_serializer(
                cls.workflow, "%sTransitionRequest" % model.__name__
            )
            cls._transition_request = cached  # type: ignore[attr-defined]
        return cached

    def schema_request_serializer(self, method: str) -> Any:
        if getattr(self, "action", None) == "transitions" and method == "POST":
            return self.transition_request_serializer()
        return None

    @extend_schema(
        methods=["GET"],
        responses={200: TransitionMenuSerializer},
        description=str(_("What this user may do to the record now, with each one's fields.")),
    )
    @extend_schema(
        methods=["POST"],
        description=str(
            _(
                "Take one transition. Unknown or not allowed now: 409 with the reason, the "
                "record unchanged; missing permission: 403; invalid fields: 400 per field."
            )
        ),
    )
    @action(detail=True, methods=["get", "post"])
    def transitions(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        if request.method == "GET":
            available = self.workflow.available(obj, request.user)
            return Response(
                {
                    "status": obj.status,
                    "version": obj.version,
                    "transitions": [describe_transition(t) for t in available],
                }
            )
        envelope = TransitionRequestSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        fields = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
        data = {k: v for k, v in fields.items() if k not in ("name", "version")}
        obj = type(self).transition_service(
            obj,
            envelope.validated_data["name"],
            actor=request.user,
            data=data,
            version=envelope.validated_data.get("version"),
        )
        return Response(self.read_back(obj))
