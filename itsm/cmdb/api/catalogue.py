"""The business service catalogue over the API."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import serializers

from itsm.accounts.models import Department
from itsm.cmdb.models import Service
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet


class ServiceSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-detail")

    class Meta:
        model = Service
        fields = (
            "id",
            "url",
            "code",
            "name",
            "description",
            "criticality",
            "status",
            "owner_group",
            "service_hours",
            "departments",
            "availability_target",
        )
        extra_kwargs = {"departments": {"required": False}}


class ServiceViewSet(ObjectViewSet):
    """The business services clinical departments rely on (HIS, EMR, PACS, …)."""

    queryset = Service.objects.prefetch_related(
        Prefetch("departments", queryset=Department.objects.only("id"))
    )
    serializer_class = ServiceSerializer
    filterset_fields = ("status", "criticality", "owner_group", "departments")
