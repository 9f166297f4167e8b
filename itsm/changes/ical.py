"""iCalendar (RFC 5545) text for the change calendar feed, written by hand: about fifty
lines instead of a dependency (the `icalendar` package is not installed; see the house
style on dependencies).

What matters for calendar applications: CRLF line ends, lines folded at 75 octets of UTF-8
(never inside a character), TEXT values with backslash, semicolon, comma and newline
escaped, times in UTC ("Z"), a stable UID per change so that updates replace the event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.choices import ChangeStatus
from itsm.changes.models import Change

PRODUCT_ID = "-//Hospital ITSM//Change calendar//ZH"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), continuation lines starting with
    one space, without splitting a multi-byte character."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space takes one octet
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def change_event(change: Change, *, base_url: str, host: str) -> list[str]:
    """The VEVENT of one booked change: approved changes are tentative, scheduled and
    implementing ones confirmed."""
    assert change.planned_start is not None and change.planned_end is not None
    details = [
        "%s: %s" % (_("Status"), change.get_status_display()),
        "%s: %s" % (_("Implementer"), change.implementer or "—"),
        "%s: %s" % (_("Assignment group"), change.assignment_group or "—"),
        "%s: %s" % (_("Service"), change.service or "—"),
    ]
    if change.downtime_expected:
        details.append(
            _("Downtime expected: %(minutes)s minutes") % {"minutes": change.downtime_minutes}
        )
    url = base_url + change.get_absolute_url()
    confirmed = change.status in (ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING)
    return [
        "BEGIN:VEVENT",
        "UID:change-%d@%s" % (change.pk, host.split(":")[0] or "itsm"),
        "DTSTAMP:%s" % utc_stamp(change.updated_at),
        "LAST-MODIFIED:%s" % utc_stamp(change.updated_at),
        "DTSTART:%s" % utc_stamp(change.planned_start),
        "DTEND:%s" % utc_stamp(change.planned_end),
        "SUMMARY:%s" % escape_text("%s %s" % (change.number, change.title)),
        "DESCRIPTION:%s" % escape_text("\n".join(str(d) for d in [*details, url])),
        "URL:%s" % url,
        "STATUS:%s" % ("CONFIRMED" if confirmed else "TENTATIVE"),
        "SEQUENCE:%d" % change.version,
        "END:VEVENT",
    ]


def ical_calendar(name: str, events: Iterable[list[str]]) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:%s" % PRODUCT_ID,
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:%s" % escape_text(name),
        "X-WR-TIMEZONE:%s" % timezone.get_default_timezone_name(),
    ]
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
