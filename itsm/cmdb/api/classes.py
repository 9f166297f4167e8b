"""Configuration item classes with their attribute schemas, attribute definitions and
contracts over the API: IT staff read them, administrators keep them."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.permissions import IsAuthenticated

from itsm.cmdb.api.permissions import cmdb_permissions
from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.choices import AttributeType
from itsm.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem, Contract
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet
from itsm.core.exceptions import ConflictError
from itsm.core.services import write_audit


class AttributeDefinitionSerializer(ObjectSerializer):
    """One typed attribute of a class. `choice` needs `choices`; `reference` needs
    `reference_class`; a code is unique along the class's lineage (its ancestors' and
    subclasses' attributes included). The class and, once items hold values, the type are
    fixed."""

    ci_class = serializers.SlugRelatedField(slug_field="code", queryset=CIClass.objects.all())
    reference_class = serializers.SlugRelatedField(
        slug_field="code", queryset=CIClass.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = AttributeDefinition
        fields = (
            "id",
            "ci_class",
            "code",
            "name",
            "name_en",
            "label",
            "type",
            "required",
            "choices",
            "reference_class",
            "order",
            "help_text",
        )
        # Uniqueness is checked along the lineage in `validate`, under `code`.
        validators: list[Any] = []

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        instance: AttributeDefinition | None = self.instance
        merged = AttributeDefinition(
            **{
                **(
                    {f: getattr(instance, f) for f in self.Meta.fields if f not in ("id", "label")}
                    if instance is not None
                    else {}
                ),
                **data,
            }
        )
        errors: dict[str, Any] = {}
        if instance is not None:
            if "ci_class" in data and data["ci_class"].pk != instance.ci_class_id:
                errors["ci_class"] = [_("An attribute cannot move to another class.")]
            if "type" in data and data["type"] != instance.type and _in_use(instance):
                errors["type"] = [_("Items hold values of this attribute: its type is fixed.")]
        if merged.type == AttributeType.REFERENCE and merged.reference_class is None:
            errors["reference_class"] = [_("Name the class a reference refers to.")]
        if merged.code and merged.ci_class_id is not None:
            tree = ClassTree.load()
            code = merged.ci_class.code
            related = set(tree.lineage(code)) | tree.descendants(code)
            clash = AttributeDefinition.objects.filter(
                ci_class__code__in=related, code=merged.code
            ).select_related("ci_class")
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            other = clash.first()
            if other is not None:
                errors["code"] = [
                    _("The class “%(class)s” already has an attribute “%(code)s”.")
                    % {"class": other.ci_class.label, "code": merged.code}
                ]
        try:
            merged.clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, messages)
        if errors:
            raise serializers.ValidationError(errors)
        return data


def _in_use(definition: AttributeDefinition) -> bool:
    classes = ClassTree.load().descendants(definition.ci_class.code)
    return ConfigurationItem.objects.filter(
        ci_class__code__in=classes, attributes__has_key=definition.code
    ).exists()


def schema_data(definitions: list[AttributeDefinition]) -> list[dict[str, Any]]:
    return [
        {
            "code": d.code,
            "label": d.label,
            "name": d.name,
            "name_en": d.name_en,
            "type": d.type,
            "required": d.required,
            "choices": d.choices,
            "reference_class": d.reference_class.code if d.reference_class else None,
            "help_text": d.help_text,
            "defined_on": d.ci_class.code,
        }
        for d in definitions
    ]


class SchemaEntrySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One attribute an item of the class carries, its own or inherited (`defined_on`)."""

    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    name = serializers.CharField()
    name_en = serializers.CharField()
    type = serializers.ChoiceField(choices=AttributeType.choices)
    required = serializers.BooleanField()  # type: ignore[assignment]
    choices = serializers.ListField(child=serializers.CharField())
    reference_class = serializers.CharField(allow_null=True)
    help_text = serializers.CharField()  # type: ignore[assignment]
    defined_on = serializers.CharField(help_text=_("The class that defines it."))


class ClassSchemas:
    """The schema of every class (`itsm.cmdb.attributes.schema`: ancestors' attributes
    first, then the class's own, each by order and code) from one query of attributes."""

    def __init__(self) -> None:
        self.tree = ClassTree.load()
        self.own: dict[str, list[AttributeDefinition]] = {}
        for definition in AttributeDefinition.objects.select_related(
            "ci_class", "reference_class"
        ).order_by("order", "code"):
            self.own.setdefault(definition.ci_class.code, []).append(definition)

    def of(self, code: str) -> list[AttributeDefinition]:
        return [d for c in reversed(self.tree.lineage(code)) for d in self.own.get(c, [])]


class CIClassSerializer(ObjectSerializer):
    """A class with its parent and its full attribute schema (inherited attributes
    included). The code and parent of a built-in class are fixed."""

    parent = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", queryset=CIClass.objects.all(), required=False, allow_null=True
    )
    schema = serializers.SerializerMethodField()

    class Meta:
        model = CIClass
        fields = (
            "id",
            "code",
            "name",
            "name_en",
            "label",
            "parent",
            "description",
            "builtin",
            "schema",
        )
        read_only_fields = ("builtin",)

    @extend_schema_field(SchemaEntrySerializer(many=True))
    def get_schema(self, instance: CIClass) -> list[dict[str, Any]]:
        return schema_data(self.schemas.of(instance.code))

    @cached_property
    def schemas(self) -> ClassSchemas:
        """Read once per list: a list's rows share one child serializer."""
        return ClassSchemas()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        instance: CIClass | None = self.instance
        errors: dict[str, Any] = {}
        if instance is not None:
            changed_code = "code" in data and data["code"] != instance.code
            changed_parent = "parent" in data and (
                (data["parent"].pk if data["parent"] else None) != instance.parent_id
            )
            if instance.builtin:
                if changed_code:
                    errors["code"] = [_("The code of a built-in class is fixed.")]
                if changed_parent:
                    errors["parent"] = [_("The parent of a built-in class is fixed.")]
            elif changed_code and ConfigurationItem.objects.filter(ci_class=instance).exists():
                errors["code"] = [_("Items are of this class: its code is fixed.")]
            parent = data.get("parent")
            if changed_parent and parent is not None:
                if parent.code in ClassTree.load().descendants(instance.code):
                    errors["parent"] = [_("A class cannot be inside itself.")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class ContractSerializer(ObjectSerializer):
    class Meta:
        model = Contract
        fields = ("id", "number", "name", "vendor", "starts_on", "ends_on", "note")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        starts = data.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = data.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError(
                {"ends_on": [_("The contract ends before it starts.")]}
            )
        return data


class DeletableViewSet(mixins.DestroyModelMixin, ObjectViewSet):
    """Reference data an administrator may delete: audited; a record still in use answers
    409 and stays."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    conflict_actions = ("destroy",)

    def in_use(self, instance: Any) -> bool:
        return False

    def perform_destroy(self, instance: Any) -> None:
        if self.in_use(instance):
            raise ConflictError(_("It is in use and cannot be deleted."))
        try:
            with transaction.atomic():
                write_audit(instance, actor=self.request.user, action="delete")
                instance.delete()
        except ProtectedError:
            raise ConflictError(_("It is in use and cannot be deleted.")) from None


class CIClassViewSet(ObjectViewSet):
    """Configuration item classes in their hierarchy, each with its attribute schema.
    IT staff read them; administrators add and edit classes."""

    permission_classes = [
        IsAuthenticated,
        cmdb_permissions(post=["cmdb.add_ciclass"], patch=["cmdb.change_ciclass"]),
    ]
    queryset = CIClass.objects.select_related("parent")
    serializer_class = CIClassSerializer
    filterset_fields = ("builtin",)


class AttributeDefinitionFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    ci_class = django_filters.CharFilter(label=_("Class"), field_name="ci_class__code")

    class Meta:
        model = AttributeDefinition
        fields = ("ci_class", "type")


class AttributeDefinitionViewSet(DeletableViewSet):
    """The typed attributes of the classes. IT staff read them; administrators add, edit
    and delete them (an attribute items hold values of cannot be deleted: 409)."""

    permission_classes = [
        IsAuthenticated,
        cmdb_permissions(
            post=["cmdb.add_attributedefinition"],
            patch=["cmdb.change_attributedefinition"],
            delete=["cmdb.delete_attributedefinition"],
        ),
    ]
    queryset = AttributeDefinition.objects.select_related("ci_class", "reference_class")
    serializer_class = AttributeDefinitionSerializer
    filterset_class = AttributeDefinitionFilterSet

    def in_use(self, instance: AttributeDefinition) -> bool:
        return _in_use(instance)


class ContractViewSet(DeletableViewSet):
    """Purchase and maintenance contracts (维保合同). The hospital's IT staff read them
    (cmdb.view_contract); administrators write them. A contract items name cannot be
    deleted (409)."""

    queryset = Contract.objects.all()
    serializer_class = ContractSerializer
    filterset_fields = ("vendor",)
