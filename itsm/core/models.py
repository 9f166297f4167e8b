"""Shared records every process uses: the ticket base, audit entries, comments, numbering
and the priority matrix."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import (
    CommentVisibility,
    DeliveryChannel,
    DeliveryStatus,
    SearchKind,
    SearchVisibility,
    TicketImpact,
    TicketPriority,
    TicketUrgency,
)


class NumberSequence(models.Model):
    """The last number handed out for one ticket prefix (INC, PRB, CHG, …). Rows are
    locked while a number is taken, so two processes never hand out the same number."""

    prefix = models.CharField(_("prefix"), max_length=8, primary_key=True)
    last = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        ordering = ("prefix",)
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return "%s%d" % (self.prefix, self.last)

    def get_absolute_url(self) -> str:
        return reverse("admin:core_numbersequence_change", args=[self.pk])


class PriorityRule(models.Model):
    """One cell of the impact × urgency matrix. Missing cells fall back to ITIL's
    priority = impact + urgency − 1."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=TicketImpact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=TicketUrgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=TicketPriority.choices)

    class Meta:
        ordering = ("impact", "urgency")
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = (
            models.UniqueConstraint(fields=("impact", "urgency"), name="unique_priority_cell"),
        )

    def __str__(self) -> str:
        return "%s × %s → P%s" % (self.impact, self.urgency, self.priority)

    def get_absolute_url(self) -> str:
        return reverse("admin:core_priorityrule_change", args=[self.pk])


class AuditEntry(models.Model):
    """One write to one record: who, when, from where, what changed (old → new). Written by
    the service verb in the same transaction as the write, never edited afterwards."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    request_id = models.CharField(_("request id"), max_length=36, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # Tamper evidence (core/audit_chain.py): entries are sealed in commit order into one
    # chain; `seq` is the place in the chain, `hash` covers the entry and the previous hash.
    seq = models.PositiveBigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        # The timeline of one record; the auditors' page, newest first, whole or by actor,
        # action or source address; one request's entries.
        indexes = (
            models.Index(fields=("content_type", "object_id", "created_at")),
            models.Index(fields=("created_at", "id"), name="core_audit_created"),
            models.Index(fields=("actor", "created_at", "id"), name="core_audit_actor"),
            models.Index(fields=("action", "created_at", "id"), name="core_audit_action"),
            models.Index(fields=("ip_address", "created_at", "id"), name="core_audit_ip"),
            models.Index(fields=("request_id",), name="core_audit_request"),
            # The sealer's queue (core/audit_chain.py): the few entries not yet in the
            # chain, in id order, without walking the sealed ones.
            models.Index(
                fields=("id",), condition=models.Q(seq__isnull=True), name="core_audit_unsealed"
            ),
        )

    def __str__(self) -> str:
        return "%s %s %s" % (self.created_at, self.actor, self.action)

    def get_absolute_url(self) -> str:
        return reverse("admin:core_auditentry_change", args=[self.pk])


class Comment(models.Model):
    """A public reply (seen by the requester) or an internal work note on any record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="comments",
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=CommentVisibility.choices,
        default=CommentVisibility.PUBLIC,
    )
    body = models.TextField(_("text"), max_length=20000)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = (models.Index(fields=("content_type", "object_id", "created_at")),)

    def __str__(self) -> str:
        return "%s: %s" % (self.author, self.body[:40])

    def get_absolute_url(self) -> str:
        target = self.target
        return str(target.get_absolute_url()) if target is not None else ""

    @property
    def is_public(self) -> bool:
        return self.visibility == CommentVisibility.PUBLIC


class Ticket(models.Model):
    """The abstract base of every ITIL record worked by a queue: incidents, problems,
    changes, releases. Subclasses set NUMBER_PREFIX and their status choices."""

    NUMBER_PREFIX: ClassVar[str] = ""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    status = models.CharField(_("status"), max_length=20, editable=False)
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=TicketImpact.choices, default=TicketImpact.LOW
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=TicketUrgency.choices, default=TicketUrgency.LOW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TicketPriority.choices, default=TicketPriority.PLANNING
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="%(class)s_requested",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    service = models.ForeignKey(
        "cmdb.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        verbose_name=_("configuration items"),
        blank=True,
        related_name="%(class)ss",
    )
    assignment_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)s_assigned",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # The SLA's clocks, mirrored from the sla app's clock rows by its services in the same
    # transaction, so that queues sort and filter by due time without a join.
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True, editable=False)
    response_due_at = models.DateTimeField(
        _("response due at"), null=True, blank=True, editable=False
    )
    resolution_due_at = models.DateTimeField(
        _("resolution due at"), null=True, blank=True, editable=False
    )
    sla_paused = models.BooleanField(_("SLA paused"), default=False, editable=False)
    sla_breached = models.BooleanField(_("SLA breached"), default=False, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return "%s %s" % (self.number, self.title)

    def field_snapshot(self) -> dict[str, Any]:
        """Concrete, non-relation-set field values, keyed by attribute name, for audit diffs."""
        return {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}


class Notification(models.Model):
    """An in-app message to one user about one record: shown under the bell in the menu."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = (models.Index(fields=("recipient", "read_at", "created_at")),)

    def __str__(self) -> str:
        return self.message

    def get_absolute_url(self) -> str:
        target = self.target
        return str(target.get_absolute_url()) if target is not None else ""


class Delivery(models.Model):
    """One notification on its way out of the product: an e-mail to one person, or a post
    to one support group's chat robot. Written by `notify` in the caller's transaction
    together with the background task that sends it; the task records each attempt here,
    so an administrator sees which channel failed and why. The text is rendered when the
    row is written, in the language of its reader, and sent as recorded."""

    channel = models.CharField(_("channel"), max_length=16, choices=DeliveryChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # The e-mail address at the time of writing; robots' addresses are read from the
    # group when sending, so a corrected webhook applies to the retries.
    address = models.CharField(_("address"), max_length=254, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = (
            models.Index(fields=("status", "created_at")),
            models.Index(fields=("content_type", "object_id")),
        )

    def __str__(self) -> str:
        to = self.address or str(self.group or self.recipient or "")
        return "%s → %s: %s" % (self.get_channel_display(), to, self.subject)

    def get_absolute_url(self) -> str:
        return reverse("admin:core_delivery_change", args=[self.pk])


class SearchDocument(models.Model):
    """The searchable text of one record (an article, incident or problem): its words
    segmented once when the record is written, so that SQLite FTS5 and PostgreSQL full
    text index the same tokens. Written only through `itsm.core.search.index_document`."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("type"), max_length=16, choices=SearchKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    # Lower-case words of title and text, one space between them: what the full-text
    # index (a virtual table on SQLite, a GIN index on PostgreSQL) reads.
    tokens = models.TextField(_("tokens"), blank=True)
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=SearchVisibility.choices,
        default=SearchVisibility.INTERNAL,
    )
    # The ids of the record's services as ",3,7,": an article can be about several.
    service_ids = models.CharField(_("services"), max_length=500, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    helpful = models.IntegerField(_("helpful votes"), default=0)
    # A ticket still being worked on (an incident not yet resolved): the suggestions while
    # logging a call look among these alone.
    open = models.BooleanField(_("open"), default=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ("-updated_at", "-id")
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = (
            models.UniqueConstraint(
                fields=("content_type", "object_id"), name="unique_search_document"
            ),
        )
        indexes = (
            models.Index(fields=("kind", "updated_at"), name="search_kind_idx"),
            # The newest documents of one type first: the search's candidates.
            models.Index(fields=("kind", "id"), name="search_kind_newest_idx"),
            models.Index(fields=("kind", "open", "id"), name="search_kind_open_idx"),
        )

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        target = self.target
        return str(target.get_absolute_url()) if target is not None else ""


class AuditSeal(models.Model):
    """The head of the audit chain: the last sealed position and its hash. One row, locked
    while entries are sealed, so that sealers take turns."""

    last_seq = models.PositiveBigIntegerField(_("last chain position"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return "%s %s" % (self.last_seq, self.last_hash[:12])

    def get_absolute_url(self) -> str:
        return reverse("audit_log")


class AuditArchive(models.Model):
    """Audit entries older than the retention period, moved to a file: the chain continues
    from the archive's last hash, and the file's checksum shows it was not altered."""

    path = models.CharField(_("file"), max_length=500)
    first_seq = models.PositiveBigIntegerField(_("first chain position"))
    last_seq = models.PositiveBigIntegerField(_("last chain position"))
    last_hash = models.CharField(_("last hash"), max_length=64)
    entries = models.PositiveIntegerField(_("entries"))
    oldest = models.DateTimeField(_("oldest entry"))
    newest = models.DateTimeField(_("newest entry"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("archived at"), default=timezone.now)

    class Meta:
        ordering = ("-last_seq",)
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")

    def __str__(self) -> str:
        return self.path

    def get_absolute_url(self) -> str:
        return reverse("audit_log")


class Attachment(models.Model):
    """A file attached to any record: stored under the data directory (never the web root),
    served only through a view that checks the record's visibility, with a safe type."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = (models.Index(fields=("content_type", "object_id", "created_at")),)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("attachment", args=[self.pk])


class IdempotencyKey(models.Model):
    """A create request an integration may retry: the first response is stored under the
    client's key and given again to a retry, so a retried request creates one record."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), default=dict)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = (
            models.UniqueConstraint(fields=("user", "key"), name="unique_idempotency_key"),
        )
        indexes = (models.Index(fields=("created_at",)),)

    def __str__(self) -> str:
        return self.key

    def get_absolute_url(self) -> str:
        return self.path


class BackupRecord(models.Model):
    """One backup made or one restore test done, for the security self-check page."""

    class Kind(models.TextChoices):
        BACKUP = "backup", _("Backup")
        RESTORE = "restore", _("Restore")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    path = models.CharField(_("file"), max_length=500)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    ok = models.BooleanField(_("succeeded"), default=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("backup record")
        verbose_name_plural = _("backup records")

    def __str__(self) -> str:
        return "%s %s" % (
            self.get_kind_display(),
            timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M"),
        )

    def get_absolute_url(self) -> str:
        return reverse("accounts:self_check")
