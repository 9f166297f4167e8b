"""Serializer fields shared by every app's API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):  # type: ignore[type-arg]
    """The label of a coded value in the request's language. The labels are looked up in a
    dict built once; `get_FOO_display` per row and field costs most of a list's CPU."""

    def __init__(self, choices: Iterable[tuple[Any, Any]], **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.labels = dict(choices)

    def to_representation(self, value: Any) -> str:
        return str(self.labels.get(value, value))


# The attribute a `Prefetch(..., to_attr=prefetch_attr(name))` fills with a plain list.
PREFETCH_ATTR = "prefetched_%s"


def prefetch_attr(name: str) -> str:
    """Where a list prefetches relation `name` as a plain list: Django then builds no
    related manager and no filtered queryset per row (as it does for its own cache), which
    cost more than the rows themselves."""
    return PREFETCH_ATTR % name


def prefetched(instance: Any, name: str) -> Any:
    """The records of a many-to-many relation: from the prefetch when the list prefetched
    it (as a list in `prefetch_attr(name)`, or in Django's cache), else from the database."""
    listed = getattr(instance, PREFETCH_ATTR % name, None)
    if listed is not None:
        return listed
    cache = getattr(instance, "_prefetched_objects_cache", {})
    if name in cache:
        return cache[name]
    return getattr(instance, name).all()


class PrefetchedManyRelatedField(serializers.ManyRelatedField):
    """ManyRelatedField reading a prefetched relation without a related manager per row
    (building one and cloning its queryset costs more than the ids themselves)."""

    def get_attribute(self, instance: Any) -> Any:
        if len(self.source_attrs) == 1 and getattr(instance, "pk", None) is not None:
            return prefetched(instance, self.source_attrs[0])
        return super().get_attribute(instance)


class PrefetchingPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """PrimaryKeyRelatedField whose `many=True` form reads the prefetch's cache."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> PrefetchedManyRelatedField:
        # As RelatedField.many_init, with the field class above.
        list_kwargs: dict[str, Any] = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return PrefetchedManyRelatedField(**list_kwargs)


@extend_schema_field(OpenApiTypes.URI)
class PatternIdentityField(serializers.HyperlinkedIdentityField):
    """HyperlinkedIdentityField with one `reverse` per list, not per row: the URL of a
    marker id is reversed once (with the request's host, versioning and format, as DRF
    does) and each row's id put in its place."""

    MARKER = 987654321

    def get_url(self, obj: Any, view_name: str, request: Any, format: Any) -> Any:
        pk = getattr(obj, "pk", None)
        if self.lookup_field != "pk" or type(pk) is not int:
            return super().get_url(obj, view_name, request, format)
        cached = getattr(self, "_pattern", None)
        if cached is None or cached[0] is not request or cached[1] != format:
            marker: Any = _Marker(self.MARKER)
            url = super().get_url(marker, view_name, request, format)
            cached = (request, format, str(url).rpartition(str(self.MARKER)))
            self._pattern = cached
        head, found, tail = cached[2]
        if not found:  # the id is not in the URL as such: nothing to reuse
            return super().get_url(obj, view_name, request, format)
        return "%s%d%s" % (head, pk, tail)


class _Marker:
    def __init__(self, pk: int) -> None:
        self.pk = pk
