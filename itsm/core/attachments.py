"""Attachments: one mechanism for every record (architecture.md, item 4).

A file is accepted by what it *is* (its first bytes), never by the name or the type the
browser claims: images, PDF, Office documents and plain text only; HTML, SVG, scripts and
programs are refused whatever they are called. It is stored under MEDIA_ROOT (the data
directory, which no URL serves) with a random name, and read back only through the
attachment view, which checks that the user may see the record it belongs to. Attachments
are evidence and are not deleted.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from itsm.core.models import Attachment
from itsm.core.services import write_audit

# Records that take attachments ("app_label.model"); a record's page shows them with
# {% attachments_card record %} (core/templatetags/attachments.py).
ATTACHABLE = frozenset({"incidents.incident"})

# Types recognised by their magic bytes: media type → the extension stored.
IMAGES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
BINARY = {
    **IMAGES,
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
# Old Office files share one container (OLE2), which the magic bytes cannot tell apart:
# the name's extension says which of them it is.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
LEGACY_OFFICE = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
# Text has no magic bytes: accepted under these extensions when it decodes as text.
TEXT = {"txt": "text/plain", "log": "text/plain", "csv": "text/csv"}
TEXT_ENCODINGS = ("utf-8", "gb18030")
# Text that starts like markup (the WHATWG sniffing table's HTML tags, SVG, XML) is
# refused even as text: it is sent as text/plain with nosniff, but not every client obeys.
MARKUP = re.compile(
    rb"^\s*<(?:!--|\?xml|(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style"
    rb"|title|b|body|br|p|svg)[\s>/])",
    re.I,
)
# Shown inline (images, PDF); everything else is downloaded.
INLINE = frozenset({*IMAGES, "application/pdf"})
HEAD_BYTES = 8192
# The file picker's hint (the server decides by content, whatever the picker let through).
ACCEPT = ",".join(
    [".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".docx", ".xlsx", ".pptx"]
    + ["." + extension for extension in (*LEGACY_OFFICE, *TEXT)]
)


def _read_head(uploaded: UploadedFile[bytes]) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    return bytes(head)


def _text_media_type(uploaded: UploadedFile[bytes], extension: str) -> str | None:
    """The text's media type with its charset, or None when it is not text."""
    uploaded.seek(0)
    data = bytes(uploaded.read())
    uploaded.seek(0)
    if b"\x00" in data or MARKUP.match(data.lstrip(b"\xef\xbb\xbf")):
        return None
    for encoding in TEXT_ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "%s; charset=%s" % (TEXT[extension], encoding)
    return None


def detect_type(uploaded: UploadedFile[bytes]) -> tuple[str, str]:
    """(media type, extension to store) of an accepted file, judged by its content;
    ValidationError on the "file" field for any other."""
    extension = PurePath(uploaded.name or "").suffix.lower().lstrip(".")
    head = _read_head(uploaded)
    guess = filetype.guess(head)
    if head.startswith(OLE2) and extension in LEGACY_OFFICE:
        return LEGACY_OFFICE[extension], extension
    if guess is not None:
        if guess.mime in BINARY:
            return guess.mime, BINARY[guess.mime]
    elif extension in TEXT:
        media_type = _text_media_type(uploaded, extension)
        if media_type is not None:
            return media_type, extension
    raise ValidationError(
        {
            "file": _(
                "This type of file is not accepted. Attach pictures (PNG, JPEG, GIF, WebP),"
                " PDF, Word, Excel or PowerPoint documents, or plain text (.txt, .log, .csv)."
            )
        },
        code="file_type",
    )


def _digest(uploaded: UploadedFile[bytes]) -> str:
    sha = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        sha.update(chunk)
    uploaded.seek(0)
    return sha.hexdigest()


def is_attachable(target: models.Model | type[models.Model]) -> bool:
    """Whether records of this kind take attachments (a record or its model)."""
    return target._meta.label_lower in ATTACHABLE


@transaction.atomic
def add_attachment(
    target: models.Model, uploaded: UploadedFile[bytes], *, actor: Any
) -> Attachment:
    """Attach a file to a record the actor can see (the caller fetched it through
    visible_to), audited on the record. A closed record takes no more files."""
    if not is_attachable(target):
        raise PermissionDenied(_("This record takes no attachments."))
    if not getattr(target, "is_open", True):
        raise ValidationError({"file": _("A closed record takes no more attachments.")})
    limit = settings.ITSM_UPLOAD_MAX_BYTES
    if not uploaded.size:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    if uploaded.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; at most %(limit)s may be attached.")
                % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)}
            },
            code="file_size",
        )
    media_type, extension = detect_type(uploaded)
    name = PurePath((uploaded.name or "").replace("\\", "/")).name.strip()[:255]
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        name=name or "%s.%s" % (_("attachment"), extension),
        media_type=media_type,
        size=uploaded.size,
        sha256=_digest(uploaded),
        uploaded_by=actor,
    )
    # A random name: the user's name goes into no path (nor any shell or URL).
    attachment.file.save("%s.%s" % (uuid.uuid4().hex, extension), uploaded, save=False)
    # The file is written before its row: should the transaction fail, an unreferenced
    # file is left behind, never a row without its file.
    attachment.save(force_insert=True)
    write_audit(target, actor=actor, action="attach", note=attachment.name)
    return attachment


def attachments_of(target: models.Model) -> models.QuerySet[Attachment]:
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("uploaded_by")


def visible_target(attachment: Attachment, user: Any) -> models.Model | None:
    """The record the attachment belongs to if the user may see it, else None."""
    model: Any = attachment.content_type.model_class()
    if model is None or model._meta.label_lower not in ATTACHABLE:
        return None
    target: models.Model | None = (
        model._default_manager.visible_to(user).filter(pk=attachment.object_id).first()
    )
    return target
