"""The organisation over the API: departments, vendors and support groups (administrators
edit them), and users (IT staff only: the list carries phone numbers)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet

READ_ONLY = ["get", "head", "options"]


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
        fields = ("id", "url", "name", "tier", "vendor", "lead", "members", "email", "active")
        extra_kwargs = {"members": {"required": False}}


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
