"""The organisation over the API: departments, vendors and support groups (administrators
edit them), and users (IT staff only: the list carries phone numbers)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet, record_snapshot
from itsm.core.services import diff, write_audit

READ_ONLY = ["get", "head", "options"]
ROBOT_FIELDS = ("robot_kind", "robot_webhook_url", "robot_secret")
# Written to the audit log as "changed", never as their values.
SECRET_FIELDS = ("robot_webhook_url", "robot_secret")


class DepartmentSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:department-detail")

    class Meta:
        model = Department
        fields = ("id", "url", "name", "code", "kind", "cost_centre", "parent", "location", "phone")


class VendorSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:vendor-detail")

    class Meta:
        model = Vendor
        fields = ("id", "url", "name", "contact_name", "phone", "email")


class SupportGroupSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:supportgroup-detail")

    class Meta:
        model = SupportGroup
        fields = (
            "id",
            "url",
            "name",
            "tier",
            "vendor",
            "lead",
            "members",
            "email",
            "active",
            "robot_kind",
            "robot_webhook_url",
            "robot_secret",
        )
        # The webhook address (its query string carries the robot's key) and the signing
        # secret are written, never read back: whoever may read groups (vendors' engineers
        # too) could otherwise post to the hospital's chat groups. `robot_kind` tells
        # whether a robot is set up.
        extra_kwargs = {
            "members": {"required": False},
            "robot_webhook_url": {"write_only": True},
            "robot_secret": {"write_only": True},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's robot rules (a robot needs its webhook address), checked on the
        merged values, so a partial update is judged with what it leaves unchanged."""
        attrs = super().validate(attrs)
        if any(name in attrs for name in ROBOT_FIELDS):
            current = (
                {name: getattr(self.instance, name) for name in ROBOT_FIELDS}
                if self.instance is not None
                else {}
            )
            group = SupportGroup(**{**current, **{n: attrs[n] for n in ROBOT_FIELDS if n in attrs}})
            try:
                group.clean()
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict) from error
        return attrs


class UserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.HyperlinkedIdentityField(view_name="api:user-detail")
    name = serializers.CharField(source="__str__", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "url",
            "username",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "department",
            "language",
            "is_active",
            "roles",
            "support_groups",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, user: User) -> list[str]:
        return sorted(group.name for group in user.groups.all())


class DepartmentViewSet(ObjectViewSet):
    """Departments (科室); administrators add and edit them."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_fields = ("kind", "parent")


class VendorViewSet(ObjectViewSet):
    """Vendors whose engineers work in back-line groups; administrators edit them."""

    queryset = Vendor.objects.all()
    serializer_class = VendorSerializer


class SupportGroupViewSet(ObjectViewSet):
    """Support groups by tier with their members; administrators edit them."""

    queryset = SupportGroup.objects.prefetch_related(
        Prefetch("members", queryset=User.objects.only("id"))
    )
    serializer_class = SupportGroupSerializer
    filterset_fields = ("tier", "vendor", "active")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        with transaction.atomic():
            instance = serializer.save()
            after = record_snapshot(instance, self._many_to_many(serializer))
            changes = hide_secrets(diff({}, after))
            write_audit(instance, actor=self.request.user, action="create", changes=changes)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        many_to_many = self._many_to_many(serializer)
        with transaction.atomic():
            assert serializer.instance is not None
            before = record_snapshot(serializer.instance, many_to_many)
            instance = serializer.save()
            changes = hide_secrets(diff(before, record_snapshot(instance, many_to_many)))
            if changes:
                write_audit(instance, actor=self.request.user, action="update", changes=changes)


def hide_secrets(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The audit log is read by more people than may read a robot's signing secret: it
    records that the secret changed, not what it was or became."""
    for name in SECRET_FIELDS:
        if name in changes:
            changes[name] = ["***" if value else "" for value in changes[name]]
    return changes


class UserViewSet(ObjectViewSet):
    """People, for IT staff (the view_user permission): requesters get 403. Read-only here;
    accounts are managed in the administration pages."""

    http_method_names = READ_ONLY
    queryset = User.objects.select_related("department").prefetch_related(
        "groups", Prefetch("support_groups", queryset=SupportGroup.objects.only("id"))
    )
    serializer_class = UserSerializer
    filterset_fields = ("department", "is_active", "support_groups")

    @extend_schema(
        responses={200: UserSerializer},
        description=str(_("The signed-in user, whatever his role.")),
    )
    @action(
        detail=False,
        methods=["get"],
        permission_classes=[IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def me(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_queryset().get(pk=request.user.pk)
        return Response(self.get_serializer(user).data)
