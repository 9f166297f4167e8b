"""The base of every API viewset: visibility through `visible_to`, Django model
permissions (reading included), input that refuses unknown fields, audited generic writes
and the user's language."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import BasePermission, DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.core.api.schema import ApiSchema
from itsm.core.idempotency import IdempotentPostsMixin
from itsm.core.moments import MomentSerializerField
from itsm.core.services import diff, lock_version, write_audit

VIEW_PERMISSION = "%(app_label)s.view_%(model_name)s"

# Keys a browser form sends along with the data; never "unknown fields".
IGNORED_INPUT_KEYS = frozenset({"csrfmiddlewaretoken"})


# Permissions --------------------------------------------------------------------------


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions, reading included: GET needs view_<model>."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW_PERMISSION],
        "HEAD": [VIEW_PERMISSION],
    }


class RecordActionPermissions(DjangoModelPermissions):
    """For actions on one record whose rules the service checks itself (transitions,
    comments): seeing the model is enough to ask; the service answers 403 or 409. An
    action the view names in `action_permissions` also needs that permission, asked once
    the record is found (an invisible one stays 404) and before the input is read."""

    perms_map = {
        method: ([] if method == "OPTIONS" else [VIEW_PERMISSION])
        for method in DjangoModelPermissions.perms_map
    }

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        needed = getattr(view, "action_permissions", {}).get(view.action)
        if needed is None:
            return True
        permission, self.message = needed
        return bool(request.user.has_perm(permission))


# Serializers --------------------------------------------------------------------------


class FieldsBuiltOnce:
    """A model serializer's fields built once per class. ModelSerializer.get_fields reads
    the model's options and builds every field anew for each serializer (about 1 ms for an
    incident, on every read and write); here each serializer gets a deep copy of the
    class's fields instead, as DRF copies its declared fields. What depends on the request
    stays in the subclasses' get_fields, which change the copy (ObjectSerializer's
    `version`). Built once per language: DRF writes some messages into the fields as
    text (a unique field's "already exists")."""

    _built: ClassVar[dict[tuple[type, str], dict[str, serializers.Field]]] = {}  # type: ignore[type-arg]

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        key = (type(self), translation.get_language())
        built = FieldsBuiltOnce._built.get(key)
        if built is None:
            built = FieldsBuiltOnce._built[key] = super().get_fields()  # type: ignore[misc]
        return copy.deepcopy(built)


class StrictInputMixin(FieldsBuiltOnce):
    """Refuses input keys the serializer does not write (unknown or read-only fields) with
    a 400 naming them, instead of dropping them silently: a client that sends `status` in a
    PATCH learns that status changes go through the transitions endpoint. Model date-times
    are read as moments a database can store (itsm.core.moments)."""

    fields: Any
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: MomentSerializerField,
    }

    def read_only_message(self, name: str) -> str:
        if name == "status":
            return str(_("The status changes only through the transitions endpoint."))
        return str(_("This field cannot be written here."))

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = {
                str(key): [self.read_only_message(str(key))]
                for key in data
                if key not in writable and key not in IGNORED_INPUT_KEYS
            }
            # Text fields refuse NUL themselves; a slug or a code looked up must too, and
            # before any field looks it up (PostgreSQL cannot hold it even in a query).
            nul = {
                str(key): [str(ProhibitNullCharactersValidator.message)]
                for key, value in data.items()
                if str(key) not in errors and _holds_nul(value)
            }
            if nul:
                raise serializers.ValidationError({**errors, **nul})
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if errors and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**errors, **exc.detail}) from exc
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def is_versioned(model: type[models.Model]) -> bool:
    """Whether the model carries the optimistic lock's `version` counter."""
    return any(field.name == "version" for field in model._meta.concrete_fields)


class ObjectSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """The base of the generic model serializers. A versioned model's `version` is always
    read; in an edit (context `versioned_edit`) it is the version the client read, required
    (ObjectViewSet.partial_update refuses a stale one with 409). A serializer that names
    `version` itself keeps its own field."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        named = "version" in self._declared_fields or "version" in getattr(self.Meta, "fields", ())
        if is_versioned(self.Meta.model) and not named:
            if self.context.get("versioned_edit"):
                fields["version"] = serializers.IntegerField(
                    min_value=1,
                    help_text=_(
                        "Required: the version read; the edit is refused with 409 if it "
                        "changed since."
                    ),
                )
            else:
                fields["version"] = serializers.IntegerField(read_only=True)
        return fields


# Viewsets -----------------------------------------------------------------------------


def activate_user_language(request: Request) -> None:
    """A signed-in user's chosen language wins over Accept-Language, as on the web pages
    (UserLanguageMiddleware does it there for sessions; token clients are known only
    here)."""
    language = getattr(request.user, "language", "") or ""
    if language and translation.check_for_language(language):
        translation.activate(language)
        request._request.LANGUAGE_CODE = translation.get_language()


def record_snapshot(instance: models.Model, many_to_many: list[str]) -> dict[str, Any]:
    values = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    for name in many_to_many:
        values[name] = sorted(getattr(instance, name).values_list("pk", flat=True))
    return values


class ObjectViewSet(
    IdempotentPostsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The base of every API viewset.

    Rows come through `Model.objects.visible_to(user)` where the model has it, so invisible
    records answer 404; Django model permissions (view included) decide 403. There is no
    PUT and no DELETE: records are edited with PATCH and retired through their own status.
    Generic creates and edits (reference data edited by administrators) are audited in the
    same transaction; ticket viewsets override create and update to call their services.
    Every POST honours the Idempotency-Key header (itsm.core.idempotency)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, ModelPermissions]
    schema = ApiSchema()
    # Actions on one record whose permission rules the service checks itself.
    record_actions: ClassVar[tuple[str, ...]] = ()
    # A record action's own permission, with the refusal's message: checked before its input.
    action_permissions: ClassVar[dict[str, tuple[str, Any]]] = {}
    # Actions that can answer 409 (documented in the schema).
    conflict_actions: ClassVar[tuple[str, ...]] = ()
    # Serializer per action; `serializer_class` reads the records back.
    action_serializers: ClassVar[dict[str, type[serializers.BaseSerializer]]] = {}  # type: ignore[type-arg]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """A method the endpoint does not have (PUT, DELETE) answers 405 for everyone, before
        authentication and permissions would answer 401 or 403 for a request that could
        never succeed."""
        method = request.method.lower() if request.method else ""
        if method not in self.http_method_names or (
            getattr(self, "action", None) is None and method != "options"
        ):
            raise exceptions.MethodNotAllowed(request.method or "")
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset()
        visible_to: Callable[[Any], QuerySet[Any]] | None = getattr(queryset, "visible_to", None)
        if visible_to is not None:
            queryset = visible_to(self.request.user)
        return queryset

    def get_permissions(self) -> list[BasePermission]:
        if self.action in self.record_actions:
            return [IsAuthenticated(), RecordActionPermissions()]
        return super().get_permissions()  # type: ignore[return-value]

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:  # type: ignore[type-arg]
        return self.action_serializers.get(self.action or "", super().get_serializer_class())

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        activate_user_language(request)

    def base_queryset(self) -> QuerySet[Any] | None:
        """The viewset's rows before visibility: writes read back what they wrote."""
        queryset: QuerySet[Any] | None = getattr(self, "queryset", None)
        return queryset.all() if queryset is not None else None

    def read_back(self, instance: models.Model) -> dict[str, Any]:
        """The record as the list and detail endpoints show it."""
        serializer_class = self.serializer_class
        assert serializer_class is not None
        base = self.base_queryset()
        fresh = base.get(pk=instance.pk) if base is not None else instance
        data: dict[str, Any] = serializer_class(fresh, context=self.get_serializer_context()).data
        return data

    def _many_to_many(self, serializer: serializers.BaseSerializer) -> list[str]:  # type: ignore[type-arg]
        base = self.base_queryset()
        if base is None:
            return []
        names = {f.name for f in base.model._meta.many_to_many}
        return sorted(names & set(getattr(serializer, "validated_data", {}) or {}))

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        with transaction.atomic():
            instance = serializer.save()
            after = record_snapshot(instance, self._many_to_many(serializer))
            write_audit(instance, actor=self.request.user, action="create", changes=diff({}, after))

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        many_to_many = self._many_to_many(serializer)
        with transaction.atomic():
            assert serializer.instance is not None
            before = record_snapshot(serializer.instance, many_to_many)
            instance = serializer.save()
            changes = diff(before, record_snapshot(instance, many_to_many))
            if changes:
                write_audit(instance, actor=self.request.user, action="update", changes=changes)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        assert serializer.instance is not None
        return Response(self.read_back(serializer.instance), status=status.HTTP_201_CREATED)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["versioned_edit"] = self.action == "partial_update"
        return context

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A generic edit. A versioned record (optimistic locking) is edited only with the
        `version` the client read: the row is locked, a stale version answers 409 with
        nothing written, and the edit saves the next version."""
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if not is_versioned(type(instance)):
            self.perform_update(serializer)
            return Response(self.read_back(instance))
        version = serializer.validated_data.pop("version", None)
        if version is None:
            raise serializers.ValidationError({"version": [_("This field is required.")]})
        with transaction.atomic():
            locked = lock_version(instance, version)
            locked.version += 1
            serializer.instance = locked
            self.perform_update(serializer)
        return Response(self.read_back(locked))
