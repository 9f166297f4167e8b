"""Attachments: uploading one to a record, and serving it back to whoever may see the
record (core/attachments.py holds the rules)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from itsm.core.attachments import (
    ACCEPT,
    INLINE,
    add_attachment,
    attachments_of,
    is_attachable,
    visible_target,
)
from itsm.core.models import Attachment
from itsm.core.views.generic import (
    ItsmView,
    get_object_for_user,
    is_htmx,
    redirect_after_post,
    safe_next_url,
)


def attachment_card_context(
    target: Any, request: HttpRequest, *, errors: list[str] | None = None, next_url: str = ""
) -> dict[str, Any]:
    """What core/_attachments.html shows: the record's files and, while the record is
    open, the upload form."""
    content_type = ContentType.objects.get_for_model(target)
    return {
        "target": target,
        "attachments": list(attachments_of(target)),
        "can_attach": bool(getattr(target, "is_open", True)),
        "upload_url": reverse("attachment_upload", args=[content_type.pk, target.pk]),
        "next_url": next_url or request.get_full_path(),
        "max_bytes": settings.ITSM_UPLOAD_MAX_BYTES,
        "accept": ACCEPT,
        "errors": errors or [],
    }


class AttachmentUploadView(ItsmView):
    """POST a file (field "file") to a record the user can see: 404 for a record he cannot
    see (or one that takes no attachments), 400 with the reason for a refused file. HTMX
    gets the attachments card again; a plain form goes back to the record's page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, content_type: int, object_id: int) -> HttpResponse:
        model = get_object_or_404(ContentType, pk=content_type).model_class()
        if model is None or not is_attachable(model):
            raise Http404
        target = get_object_for_user(request, model, object_id)
        back = safe_next_url(request, target.get_absolute_url())
        errors: list[str] = []
        uploaded = request.FILES.get("file")
        try:
            if uploaded is None:
                raise ValidationError({"file": gettext("Choose a file to attach.")})
            add_attachment(target, uploaded, actor=request.user)
        except ValidationError as exc:
            errors = [str(m) for ms in exc.message_dict.values() for m in ms]
        if is_htmx(request):
            context = attachment_card_context(target, request, errors=errors, next_url=back)
            return TemplateResponse(
                request, "core/_attachments.html", context, status=400 if errors else 200
            )
        for error in errors:
            messages.error(request, error)
        if not errors:
            messages.success(request, gettext("The file is attached."))
        return redirect_after_post(request, back)


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266 with RFC 5987's filename* for names beyond ASCII (Chinese names), and a
    plain ASCII fallback for old clients."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return "%s; filename=\"%s\"; filename*=UTF-8''%s" % (
        "inline" if inline else "attachment",
        fallback,
        quote(name, safe=""),
    )


class AttachmentView(ItsmView):
    """The file, to whoever may see its record (404 otherwise): images and PDF inline, the
    rest as a download; always the stored type, never sniffed, and sandboxed so that even
    a file a browser renders cannot run script in the site's origin."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
        if visible_target(attachment, request.user) is None:
            raise Http404
        try:
            handle: Any = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        inline = attachment.media_type in INLINE
        response = FileResponse(handle, content_type=attachment.media_type)
        response["Content-Length"] = str(attachment.size)
        response["Content-Disposition"] = content_disposition(attachment.name, inline=inline)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
        response["Cache-Control"] = "private, no-store"
        return response
