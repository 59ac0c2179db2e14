"""Files attached to a case: checked (count, size, type by name and by content), stored, listed, read.

A refused file refuses the whole form: nothing of it is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from attrs import frozen
from sqlalchemy import Connection, insert, select

from crmkit import NotFound, Transaction, ValidationError, check_storable_text
from crmkit_service.portal.settings import PortalSettings
from crmkit_service.portal.sniffing import checked_type
from crmkit_service.portal.tables import attachment

FIELD = "attachments"
MAX_NAME = 255


@frozen
class Upload:
    """A file as a form sent it: the name the sender gave, and its bytes."""

    filename: str
    content: bytes


@frozen
class CheckedFile:
    """An upload that may be stored: a plain file name, its type agreed by name and content."""

    filename: str
    content_type: str
    content: bytes


@frozen
class Attachment:
    """A stored file, without its bytes."""

    id: int
    case_id: int
    event_id: int | None
    filename: str
    content_type: str
    size_bytes: int
    source: str
    created_at: datetime


def _plain_name(filename: str) -> str:
    # Browsers once sent the whole path (C:\Users\...): only the last part names the file.
    name = filename.replace("\\", "/").rpartition("/")[2].strip()
    check_storable_text(FIELD, name)
    if not name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError(FIELD, "a file needs a name of printable characters")
    if len(name) > MAX_NAME:
        raise ValidationError(FIELD, f"a file name may be at most {MAX_NAME} characters long")
    return name


def check_uploads(settings: PortalSettings, uploads: Sequence[Upload]) -> list[CheckedFile]:
    """The uploads, each checked; a ValidationError naming ``attachments`` for the first that may not be stored."""
    if len(uploads) > settings.max_attachments:
        raise ValidationError(FIELD, f"at most {settings.max_attachments} files may be attached")
    checked = []
    for upload in uploads:
        name = _plain_name(upload.filename)
        if not upload.content:
            raise ValidationError(FIELD, f"{name}: the file is empty")
        if len(upload.content) > settings.max_attachment_bytes:
            raise ValidationError(
                FIELD,
                f"{name}: the file is larger than {settings.max_attachment_bytes:,} bytes",
            )
        kind = checked_type(FIELD, name, upload.content, settings.attachment_types)
        checked.append(CheckedFile(name, kind, upload.content))
    return checked


def store_attachments(
    tx: Transaction,
    case_id: int,
    event_id: int | None,
    files: Iterable[CheckedFile],
    source: str,
    now: datetime,
) -> None:
    """Keep ``files`` on the case, with the event (a reply, the case's creation) they came with."""
    rows = [
        {
            "case_id": case_id,
            "event_id": event_id,
            "filename": f.filename,
            "content_type": f.content_type,
            "size_bytes": len(f.content),
            "sha256": hashlib.sha256(f.content).hexdigest(),
            "content": f.content,
            "source": source,
            "created_at": now,
        }
        for f in files
    ]
    if rows:
        tx.conn.execute(insert(attachment), rows)


_LISTED = (
    attachment.c.id,
    attachment.c.case_id,
    attachment.c.event_id,
    attachment.c.filename,
    attachment.c.content_type,
    attachment.c.size_bytes,
    attachment.c.source,
    attachment.c.created_at,
)


def attachments_of(conn: Connection, case_id: int) -> list[Attachment]:
    """The files of a case, oldest first."""
    rows = conn.execute(
        select(*_LISTED).where(attachment.c.case_id == case_id).order_by(attachment.c.id)
    )
    return [Attachment(**row._mapping) for row in rows]


def attachment_content(
    conn: Connection, case_id: int, attachment_id: int
) -> tuple[Attachment, bytes]:
    """A file of the case and its bytes; NotFound when the case has no such file."""
    row = conn.execute(
        select(*_LISTED, attachment.c.content).where(
            attachment.c.id == attachment_id, attachment.c.case_id == case_id
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"case {case_id} has no attachment {attachment_id}")
    data = dict(row._mapping)
    content: bytes = data.pop("content")
    return Attachment(**data), content
