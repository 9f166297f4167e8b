"""Tamper evidence for the audit log: a hash chain, its verification, and archiving.

Every audit entry is sealed into one chain: it gets the next position (`seq`), the hash of
the entry before it (`prev_hash`) and its own `hash`, a SHA-256 over a canonical JSON of its
contents and `prev_hash`. Editing, deleting or inserting an entry behind the product's back
breaks the chain at that entry; `itsm audit verify` walks it and names the first break.

Entries are sealed after they commit, not when they are written. Chaining at insert would
need a global lock (the chain head) taken in the middle of every write's transaction; on
PostgreSQL a transaction holding row locks on a ticket and waiting for the head, and another
holding the head and waiting for that ticket's row, deadlock, and every write in the
hospital would queue behind the slowest one. The sealer instead runs in a transaction of
its own that takes only the head's lock: it is triggered once per committed transaction
that audited (`schedule_seal`, an on-commit hook), by the worker's periodic job as a safety
net, and before every verification. So positions follow commit order, and an entry is
unsealed only for the moment between its commit and the sealer's.

Entries older than the retention period (settings.ITSM_AUDIT_RETENTION_DAYS, never fewer
than 180 days, the Cybersecurity Law's six months) are moved, sealed and in chain order,
to gzip JSON-lines files under settings.ITSM_AUDIT_ARCHIVE_DIR; an AuditArchive row keeps
each file's range, last hash and SHA-256, and the chain in the database continues from the
newest archive's last hash. A file is written and flushed to disk before its entries are
deleted, and the delete and the archive row share one transaction: nothing is deleted
without an archive."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from itsm.core.models import AuditArchive, AuditEntry, AuditSeal

# Entries sealed or verified per query (and per sealing transaction): memory stays constant.
BATCH_SIZE = 5000
# The Cybersecurity Law asks for at least six months of logs.
MIN_RETENTION_DAYS = 180
# Entries per archive file.
ARCHIVE_FILE_ENTRIES = 500_000

# The columns read to hash an entry (`entry_hash`), and its id to name it in a report.
HASHED_FIELDS = (
    "id",
    "seq",
    "prev_hash",
    "content_type_id",
    "object_id",
    "actor_id",
    "action",
    "changes",
    "note",
    "created_at",
    "request_id",
    "ip_address",
)


def content_type_label(content_type_id: int) -> str:
    """The model as "app_label.model": stable across databases, unlike a content type's id."""
    content_type = ContentType.objects.get_for_id(content_type_id)
    return "%s.%s" % (content_type.app_label, content_type.model)


def entry_hash(values: dict[str, Any]) -> str:
    """The SHA-256 of an entry: a canonical JSON (sorted keys, no spaces, UTF-8) of its
    position, the previous hash and every recorded field. `values` has the entry's columns
    as the database returns them (`content_type` as its "app_label.model" label); the id is
    left out, so that an entry keeps its hash in an archive file or a restored database."""
    payload = [
        values["seq"],
        values["prev_hash"],
        values["content_type"],
        values["object_id"],
        values["actor_id"],
        values["action"],
        values["changes"],
        values["note"],
        values["created_at"].isoformat()
        if isinstance(values["created_at"], datetime.datetime)
        else values["created_at"],
        values["request_id"],
        values["ip_address"],
    ]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows(queryset: Any) -> list[dict[str, Any]]:
    """One batch of entries (a `values()` query) with their content type's label."""
    rows = list(queryset)
    for row in rows:
        row["content_type"] = content_type_label(row.pop("content_type_id"))
    return rows


# --------------------------------------------------------------------------------------
# Sealing


def _locked_head(wait: bool = True) -> AuditSeal:
    """The chain head under a row lock, created on first use. Two sealers creating it at
    once: one insert wins, the other's fails on the primary key and it reads the winner's.
    Without `wait`, a head another sealer holds raises DatabaseError at once (PostgreSQL;
    SQLite has no row locks: its transactions take the whole database)."""
    head = AuditSeal.objects.select_for_update(nowait=not wait).filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditSeal.objects.create(pk=1)
    except IntegrityError:
        pass
    return AuditSeal.objects.select_for_update().get(pk=1)


def _seal_batch(wait: bool = True) -> int:
    """Seal up to BATCH_SIZE unsealed entries, in id order, in one transaction. The write
    lock is taken only when there is something to seal: under a load of writes one
    sealer's batch often takes in the entries of the requests that committed alongside,
    and their own sealers then find nothing left (a read, not a write, on SQLite)."""
    unsealed = AuditEntry.objects.filter(seq__isnull=True).order_by("id")
    if not unsealed.values_list("id", flat=True)[:1]:  # ordered as the index is: no scan
        return 0
    with transaction.atomic():
        head = _locked_head(wait)
        rows = _rows(unsealed.values(*HASHED_FIELDS)[:BATCH_SIZE])
        if not rows:
            return 0
        seq, last_hash = head.last_seq, head.last_hash
        updates = []
        for row in rows:
            seq += 1
            row["seq"], row["prev_hash"] = seq, last_hash
            last_hash = entry_hash(row)
            updates.append((seq, row["prev_hash"], last_hash, row["id"]))
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE %s SET seq = %%s, prev_hash = %%s, hash = %%s WHERE id = %%s" % table,
                updates,
            )
        head.last_seq, head.last_hash = seq, last_hash
        head.save(update_fields=["last_seq", "last_hash"])
        return len(rows)


def seal_audit() -> int:
    """Seal every committed, unsealed entry into the chain; the number sealed. Each batch
    is its own short transaction holding only the head's lock."""
    total = sealed = _seal_batch()
    while sealed == BATCH_SIZE:
        sealed = _seal_batch()
        total += sealed
    return total


def _seal_after_commit() -> None:
    """A committed write's seal. On PostgreSQL, if another sealer holds the chain this
    moment, it is left to that one's successors: every audited write schedules a seal that
    takes in all the entries committed before it (the worker's periodic job is the safety
    net), so waiting would only queue the hospital's writes behind one another twice. On
    SQLite the seal waits for the database's one writer, as every write does."""
    try:
        _seal_batch(wait=False)
    except DatabaseError:
        return


def schedule_seal() -> None:
    """Seal the entries of the current transaction once it commits: registered once per
    transaction (a savepoint rolled back takes its registration with it, so the hook is
    looked for again). Outside a transaction the entries are already committed: seal now.
    A failing seal never fails the committed write (`robust`); the periodic job retries."""
    if not connection.in_atomic_block:
        transaction.on_commit(_seal_after_commit, robust=True)
        return
    if any(item[1] is _seal_after_commit for item in connection.run_on_commit):
        return
    transaction.on_commit(_seal_after_commit, robust=True)


# --------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold."""

    seq: int | None
    entry_id: int | None
    problem: str
    where: str = "database"


@dataclass(frozen=True)
class Verification:
    """What a walk of the chain found: the entries checked and the first break, if any."""

    checked: int
    archived: int
    last_seq: int
    last_hash: str
    broken: Break | None = None


def _check(row: dict[str, Any], seq: int, prev_hash: str, where: str) -> Break | None:
    if row["seq"] != seq:
        return Break(
            row["seq"],
            row.get("id"),
            "entries missing: expected position %d, found %d" % (seq, row["seq"]),
            where,
        )
    if row["prev_hash"] != prev_hash:
        return Break(seq, row.get("id"), "previous hash does not match the entry before", where)
    if entry_hash(row) != row["hash"]:
        return Break(seq, row.get("id"), "contents altered: the hash does not match", where)
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def archive_path(archive: AuditArchive) -> Path:
    path = Path(archive.path)
    return path if path.is_absolute() else Path(settings.ITSM_AUDIT_ARCHIVE_DIR) / path


def read_archive(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of an archive file, one dict per line, in chain order."""
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for line in file:
            yield json.loads(line)


def _verify_archives(walk_files: bool) -> tuple[int, int, str, Break | None]:
    """Check every archive: contiguous ranges from position 1, the file's checksum, and
    (walk_files) the chain inside each file. The position and hash the database continues
    from, the entries archived, and the first break."""
    seq, last_hash, archived = 0, "", 0
    for archive in AuditArchive.objects.order_by("first_seq"):
        where = archive.path
        if archive.first_seq != seq + 1:
            problem = "archives not contiguous: expected position %d, archive starts at %d"
            return (
                seq,
                archived,
                last_hash,
                Break(archive.first_seq, None, problem % (seq + 1, archive.first_seq), where),
            )
        path = archive_path(archive)
        if not path.is_file():
            return (
                seq,
                archived,
                last_hash,
                Break(archive.first_seq, None, "archive file missing", where),
            )
        if file_sha256(path) != archive.sha256:
            return (
                seq,
                archived,
                last_hash,
                Break(
                    archive.first_seq, None, "archive file altered: checksum does not match", where
                ),
            )
        if walk_files:
            for row in read_archive(path):
                broken = _check(row, seq + 1, last_hash, where)
                if broken is not None:
                    return seq, archived, last_hash, broken
                seq, last_hash = row["seq"], row["hash"]
            if (seq, last_hash) != (archive.last_seq, archive.last_hash):
                return (
                    seq,
                    archived,
                    last_hash,
                    Break(seq, None, "archive file ends before its recorded last position", where),
                )
        seq, last_hash = archive.last_seq, archive.last_hash
        archived += archive.entries
    return seq, archived, last_hash, None


def verify_audit(*, walk_archives: bool = False) -> Verification:
    """Seal, then walk the whole chain in position order, BATCH_SIZE entries per query:
    every position present once, each entry's previous hash the hash before it, each hash
    recomputed from the entry; the walk ends where the head says the chain ends. Archives
    are checked first (their checksums, and with `walk_archives` the chains inside them);
    the database continues from the newest one."""
    seal_audit()
    seq, archived, last_hash, broken = _verify_archives(walk_archives)
    if broken is not None:
        return Verification(0, archived, seq, last_hash, broken)
    checked = 0
    sealed = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
    while True:
        rows = _rows(sealed.filter(seq__gt=seq).values(*HASHED_FIELDS, "hash")[:BATCH_SIZE])
        for row in rows:
            broken = _check(row, seq + 1, last_hash, "database")
            if broken is not None:
                return Verification(checked, archived, seq, last_hash, broken)
            seq, last_hash = row["seq"], row["hash"]
            checked += 1
        if len(rows) < BATCH_SIZE:
            break
    head = AuditSeal.objects.filter(pk=1).first()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, "")
    if (head_seq, head_hash) != (seq, last_hash):
        problem = "entries missing at the end: the chain head is at position %d" % head_seq
        return Verification(checked, archived, seq, last_hash, Break(seq + 1, None, problem))
    return Verification(checked, archived, seq, last_hash)


# --------------------------------------------------------------------------------------
# Archiving


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, int(settings.ITSM_AUDIT_RETENTION_DAYS))


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime.datetime) else value
        for key, value in row.items()
    }


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _old_entries(start: int, cutoff: datetime.datetime) -> Iterator[dict[str, Any]]:
    """Sealed entries in chain order from position `start`, up to (not including) the
    first one within the retention period: the database keeps an unbroken tail of the
    chain. At most ARCHIVE_FILE_ENTRIES, read BATCH_SIZE at a time."""
    sealed = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
    seq, count = start - 1, 0
    while count < ARCHIVE_FILE_ENTRIES:
        limit = min(BATCH_SIZE, ARCHIVE_FILE_ENTRIES - count)
        rows = _rows(sealed.filter(seq__gt=seq).values(*HASHED_FIELDS, "hash")[:limit])
        for row in rows:
            if row["created_at"] >= cutoff:
                return
            yield row
        if len(rows) < limit:
            return
        seq, count = rows[-1]["seq"], count + len(rows)


def _write_archive_file(start: int, cutoff: datetime.datetime) -> tuple[Path, dict[str, Any]]:
    """Write the entries `_old_entries` gives to a new file, synced to disk: the file's
    final name and what the archive row records (entries 0 and no file when none is old
    enough)."""
    directory = Path(settings.ITSM_AUDIT_ARCHIVE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / (".audit-%d-%d.tmp" % (start, os.getpid()))
    info: dict[str, Any] = {"entries": 0}
    with temporary.open("wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as file:
            for row in _old_entries(start, cutoff):
                line = json.dumps(_jsonable(row), ensure_ascii=False, sort_keys=True)
                file.write(line.encode("utf-8") + b"\n")
                created = row["created_at"]
                if not info["entries"]:
                    info.update(first_seq=row["seq"], oldest=created, newest=created)
                info["oldest"] = min(info["oldest"], created)
                info["newest"] = max(info["newest"], created)
                info.update(last_seq=row["seq"], last_hash=row["hash"])
                info["entries"] += 1
        raw.flush()
        os.fsync(raw.fileno())
    if not info["entries"]:
        temporary.unlink()
        return temporary, info
    name = "audit-%012d-%012d-%s.jsonl.gz" % (
        info["first_seq"],
        info["last_seq"],
        timezone.localdate().strftime("%Y%m%d"),
    )
    path = directory / name
    os.replace(temporary, path)
    _fsync_directory(directory)
    return path, info


def archive_audit(*, now: datetime.datetime | None = None) -> list[AuditArchive]:
    """Move the entries older than the retention period to archive files; the archives
    made. Only sealed entries, in chain order from the chain's start: the run stops at
    the first entry still to be kept. Each file is on disk before its entries are deleted;
    the delete and the archive row are one transaction, which checks under the head's lock
    that no other run archived the same range meanwhile (its file is then removed)."""
    seal_audit()
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days())
    made: list[AuditArchive] = []
    while True:
        newest = AuditArchive.objects.order_by("-last_seq").first()
        start = newest.last_seq + 1 if newest else 1
        path, info = _write_archive_file(start, cutoff)
        if not info["entries"]:
            return made
        sha256 = file_sha256(path)
        with transaction.atomic():
            _locked_head()
            taken = AuditArchive.objects.filter(last_seq__gte=info["first_seq"]).exists()
            deleted = 0
            if not taken:
                deleted, _ = AuditEntry.objects.filter(
                    seq__gte=info["first_seq"], seq__lte=info["last_seq"]
                ).delete()
            if taken or deleted != info["entries"]:
                transaction.set_rollback(True)
            else:
                made.append(
                    AuditArchive.objects.create(
                        path=path.name,
                        first_seq=info["first_seq"],
                        last_seq=info["last_seq"],
                        last_hash=info["last_hash"],
                        entries=info["entries"],
                        oldest=info["oldest"],
                        newest=info["newest"],
                        sha256=sha256,
                    )
                )
        if taken or deleted != info["entries"]:
            path.unlink(missing_ok=True)
            return made
