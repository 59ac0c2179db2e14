"""What a file is, by its name and by its first bytes: both must agree before it is stored.

A file's name and the type its browser declared are the sender's word; its
content is what a colleague's program will open. Binary formats are recognised
by their signatures (the ``filetype`` library); plain text is UTF-8 without
control characters other than tab and line breaks.
"""

from __future__ import annotations

import filetype

from crmkit import ValidationError

TYPES_BY_EXTENSION: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "txt": "text/plain",
    "log": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
}
SNIFFABLE = frozenset(TYPES_BY_EXTENSION.values())
"""The media types whose content can be told apart; only these may be allowed."""
TEXT = "text/plain"
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


def type_by_name(filename: str) -> str | None:
    """The media type a file's extension names, if it is one the portal knows."""
    _, dot, extension = filename.rpartition(".")
    return TYPES_BY_EXTENSION.get(extension.lower()) if dot else None


def type_by_content(content: bytes) -> str | None:
    """The media type the bytes are, if recognisable: a known signature, else plain text."""
    kind = filetype.guess(content)
    if kind is not None:
        return str(kind.mime)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if any(ord(c) in _TEXT_CONTROLS for c in text) else TEXT


def checked_type(field: str, filename: str, content: bytes, allowed: tuple[str, ...]) -> str:
    """The media type of an upload that its name and content agree on and ``allowed`` has; else refused."""
    named = type_by_name(filename)
    if named is None or named not in allowed:
        names = ", ".join(sorted(e for e, t in TYPES_BY_EXTENSION.items() if t in allowed))
        raise ValidationError(
            field, f"{filename}: files of this type cannot be attached (allowed: {names})"
        )
    if type_by_content(content) != named:
        raise ValidationError(
            field, f"{filename}: the file's content is not what its name says ({named})"
        )
    return named
