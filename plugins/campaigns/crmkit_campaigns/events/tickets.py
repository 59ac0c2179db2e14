"""What a registrant downloads: the QR code of their ticket (PNG) and the event's calendar entry (.ics)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import segno

from crmkit_campaigns.events.links import public_base, register_path


def qr_png(text: str) -> bytes:
    """A QR code of ``text``, as PNG, large enough for a phone's camera at the door."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def _ics_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _ics_text(text: str) -> str:
    # RFC 5545 section 3.3.11: backslash, semicolon, comma and line breaks are escaped;
    # browsers send CRLF, and a bare CR must not reach the file: every break becomes \n.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _folded(line: str) -> str:
    # RFC 5545 section 3.1: lines longer than 75 octets continue on the next, after a space.
    data = line.encode()
    parts = []
    while len(data) > 75:
        cut = 75
        while cut and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(data[:cut].decode())
        data = data[cut:]
    parts.append(data.decode())
    return "\r\n ".join(parts)


def event_ics(app: Any, row: Any, now: datetime) -> str:
    """The event (a row) as an iCalendar file with one VEVENT."""
    host = public_base(app).split("://", 1)[-1].split("/", 1)[0]
    location = row.venue or row.online_url or ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//crmkit//campaigns events//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:event-{row.id}@{host}",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(row.starts_at)}",
        f"DTEND:{_ics_time(row.ends_at)}",
        f"SUMMARY:{_ics_text(row.name)}",
        f"DESCRIPTION:{_ics_text(row.description)}",
        f"LOCATION:{_ics_text(location)}",
        f"URL:{public_base(app)}{register_path(row.slug)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_folded(line) for line in lines) + "\r\n"
