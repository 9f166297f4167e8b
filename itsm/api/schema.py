"""Corrections drf-spectacular's schema needs to describe what the API really answers, so
that a client generated from it (and the fuzzer that checks every answer against it) is
never surprised. Run as a SPECTACULAR_SETTINGS postprocessing hook."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# Django's TimeField reads and writes "08:00" or "08:00:00[.ffffff]" (local time, no offset);
# OpenAPI's "time" format is RFC 3339's full-time, which requires an offset.
LOCAL_TIME = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"}
BLANK = {"type": "string", "enum": [""]}
QUERY_ERROR = {
    "description": str(_("Invalid input: a message per field.")),
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}},
}


def _blank_read_only_fields(serializer: Any) -> set[str]:
    """The read-only fields of a model serializer whose model field may be blank (a choice
    not made yet, an e-mail address nobody gave): DRF does not carry `blank` over to a
    field the API does not write, so the generator would document them as never empty."""
    meta = getattr(serializer, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or not hasattr(serializer, "fields"):
        return set()
    names: set[str] = set()
    for name, field in serializer.fields.items():
        if not field.read_only or not isinstance(
            field, serializers.CharField | serializers.ChoiceField
        ):
            continue
        try:
            model_field = model._meta.get_field(field.source)
        except FieldDoesNotExist:
            continue
        if getattr(model_field, "blank", False) and not getattr(field, "allow_blank", False):
            names.add(name)
    return names


def _allow_blank(prop: dict[str, Any]) -> dict[str, Any]:
    """A property that may also be "" (a plain string already may)."""
    restricted = "enum" in prop or "format" in prop or "allOf" in prop or "$ref" in prop
    if not restricted or "" in prop.get("enum", ()):
        return prop
    keep: dict[str, Any] = {
        k: prop.pop(k) for k in ("readOnly", "title", "description", "nullable") if k in prop
    }
    return {"anyOf": [prop, BLANK], **keep}


def _local_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "time":
            del node["format"]
            node.update(LOCAL_TIME)
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def postprocess(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Three corrections: (1) read-only fields that may be blank say so; (2) times are local
    times; (3) a GET reading query parameters documents the 400 it answers when one is
    invalid (list filters already do)."""
    schemas = result.get("components", {}).get("schemas", {})
    for (name, kind), component in generator.registry._components.items():
        if kind != "schemas" or name not in schemas:
            continue
        properties = schemas[name].get("properties", {})
        for field in _blank_read_only_fields(component.object):
            if field in properties:
                properties[field] = _allow_blank(properties[field])
    _local_times(result)
    for item in result.get("paths", {}).values():
        operation = item.get("get")
        if operation is None or "400" in operation["responses"]:
            continue
        if any(p.get("in") == "query" for p in operation.get("parameters", ())):
            operation["responses"]["400"] = QUERY_ERROR
    return result
