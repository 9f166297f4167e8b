"""Releases and deployments in the admin, read-only: every write goes through the service
verbs (plan, the workflow's stages, record a deployment, roll back), which audit it and keep
the CMDB's versions in step; release managers work releases on /releases/."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from itsm.core.admin import ReadOnlyAdmin
from itsm.releases.models import Deployment, DeploymentQuerySet, Release, ReleaseQuerySet


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "release_version",
        "title",
        "release_type",
        "status",
        "assignment_group",
        "planned_start",
        "created_at",
    )
    list_select_related = ("assignment_group",)
    list_filter = ("status", "release_type", "assignment_group")
    search_fields = ("=number", "release_version", "title")
    ordering = ("-created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Release]:
        queryset: ReleaseQuerySet = super().get_queryset(request)  # type: ignore[assignment]
        return queryset.visible_to(request.user)

    def view_on_site(self, obj: Release) -> str:
        return obj.get_absolute_url()


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = (
        "deployed_at",
        "configuration_item",
        "environment",
        "previous_version",
        "version_deployed",
        "outcome",
        "release",
        "deployed_by",
    )
    list_select_related = ("configuration_item", "release", "deployed_by")
    list_filter = ("environment", "outcome")
    search_fields = ("configuration_item__code", "version_deployed", "release__number")
    ordering = ("-deployed_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deployment]:
        queryset: DeploymentQuerySet = super().get_queryset(request)  # type: ignore[assignment]
        return queryset.visible_to(request.user)
