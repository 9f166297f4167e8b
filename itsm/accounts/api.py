"""The organisation over the API: departments, vendors and support groups (administrators
edit them), and users (IT staff only: the list carries phone numbers); the signed-in
user's own API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts import mfa
from itsm.accounts.choices import Role
from itsm.accounts.models import ApiToken, Department, SupportGroup, User, Vendor
from itsm.accounts.privacy import display_phone
from itsm.accounts.roles import can_assign_roles
from itsm.accounts.services import set_user_roles
from itsm.accounts.tokens import revoke_token
from itsm.core.api.schema import ApiSchema
from itsm.core.api.viewsets import (
    ObjectSerializer,
    ObjectViewSet,
    StrictInputMixin,
    record_snapshot,
)
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
    phone = serializers.SerializerMethodField()

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

    def get_phone(self, user: User) -> str:
        """Masked for vendors' engineers (accounts.privacy)."""
        request = self.context.get("request")
        return display_phone(user.phone, getattr(request, "user", None))


class UserRolesSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    """A person's roles, all of them: what is not listed is taken away."""

    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=True, max_length=20
    )


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

    http_method_names = [*READ_ONLY, "put"]  # PUT only for the roles
    record_actions = ("roles",)
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

    @extend_schema(exclude=True)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """People are not edited here (the administration pages); PUT is for the roles."""
        raise MethodNotAllowed(request.method or "PUT")

    @extend_schema(
        request=UserRolesSerializer,
        responses={200: UserRolesSerializer},
        description=str(
            _(
                "Set a person's roles (all of them). Only a security administrator, never "
                "for himself; the system administrator, security administrator and auditor "
                "roles are never held together. Audited."
            )
        ),
    )
    @action(detail=True, methods=["put"], filter_backends=[], pagination_class=None)
    def roles(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        if not can_assign_roles(request.user):
            # Forbidden before the body is looked at: 403, not a 400 for a bad list.
            raise PermissionDenied(_("Only a security administrator may assign roles."))
        serializer = UserRolesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        roles = set_user_roles(user, serializer.validated_data["roles"], actor=request.user)
        return Response({"roles": roles})


# API tokens -------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A sign-in for a token: the password is checked through `authenticate` (so failed
    attempts count toward the lockout), then the second factor where the user has one."""

    username = serializers.CharField(label=_("Username"))
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False
    )
    otp = serializers.CharField(
        label=_("Second-factor code"),
        required=False,
        allow_blank=True,
        help_text=_("The code of the authenticator app, for users who have one."),
    )
    name = serializers.CharField(
        label=_("Token name"),
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("What the token is for; shown in the list of tokens."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                # DRF's own message (and translation), as the endpoint always answered.
                _("Unable to log in with provided credentials."),
                code="authorization",
            )
        device = mfa.confirmed_device(user)
        if device is None and mfa.mfa_required_for(user):
            raise serializers.ValidationError(
                {"otp": _("Set up a second factor first: administrators must have one.")}
            )
        if device is not None:
            code = attrs.get("otp", "")
            if not code:
                raise serializers.ValidationError(
                    {"otp": _("This account signs in with a second factor: give its code.")}
                )
            if mfa.throttled(device):
                raise serializers.ValidationError(
                    {"otp": _("Too many wrong codes: wait a few seconds and retry.")}
                )
            if not mfa.check_code(device, code):
                mfa.record_failure(user, where="api")
                raise serializers.ValidationError({"otp": _("The code is wrong or has expired.")})
        attrs["user"] = user
        return attrs


class ApiTokenSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ApiToken
        fields = ("id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
        read_only_fields = fields


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The signed-in user's own API tokens (never their keys); DELETE revokes one. Other
    users' tokens do not exist here (404)."""

    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list[Any] = []
    schema = ApiSchema()

    def get_queryset(self) -> QuerySet[ApiToken]:
        # By id: the schema generator asks with an anonymous user (no tokens).
        user: Any = self.request.user
        return ApiToken.objects.filter(user_id=user.pk)

    @extend_schema(
        operation_id="auth_tokens_list",
        tags=["auth"],
        description=str(_("The signed-in user's API tokens, newest first.")),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="auth_tokens_destroy",
        tags=["auth"],
        description=str(_("Revoke one of the signed-in user's API tokens.")),
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: ApiToken) -> None:
        revoke_token(instance, actor=self.request.user)
