"""Attachments in the API: the files of a record, and uploading one (multipart, field
"file") through the same service as the web pages (core/attachments.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.core.api.viewsets import StrictInputMixin
from itsm.core.attachments import add_attachment, attachments_of
from itsm.core.models import Attachment


class AttachmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    uploaded_by_name = serializers.CharField(source="uploaded_by", read_only=True)
    url = serializers.SerializerMethodField(help_text=_("Where the file is downloaded."))

    class Meta:
        model = Attachment
        fields = (
            "id",
            "name",
            "media_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_by_name",
            "created_at",
            "url",
        )
        read_only_fields = fields

    def get_url(self, instance: Attachment) -> str:
        request = self.context.get("request")
        url = instance.get_absolute_url()
        return request.build_absolute_uri(url) if request is not None else url


class AttachmentUploadSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    """The file; its size and type are judged by the service (400 on "file")."""

    file = serializers.FileField(
        allow_empty_file=True,
        help_text=_("Pictures, PDF, Office documents or plain text, judged by their content."),
    )


def attachments_endpoint(
    target: models.Model, request: Request, context: Mapping[str, Any]
) -> Response:
    """GET: the record's files, oldest first. POST: attach one (201)."""
    context = dict(context)
    if request.method == "GET":
        return Response(
            AttachmentSerializer(attachments_of(target), many=True, context=context).data
        )
    serializer = AttachmentUploadSerializer(data=request.data, context=context)
    serializer.is_valid(raise_exception=True)
    attachment = add_attachment(target, serializer.validated_data["file"], actor=request.user)
    return Response(
        AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
    )
