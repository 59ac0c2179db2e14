"""Reading an inbound message with the standard library's ``email`` package, whatever its state.

Mail from outside is often broken: a boundary that never comes, a charset no one
knows, base64 with holes, an encoded-word hiding a line break. Nothing here
raises for such a message; what could not be read as meant is named in ``notes``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses
from functools import lru_cache

from attrs import frozen

from crmkit_channels.html_text import html_to_text
from crmkit_channels.settings import MailInSettings

MESSAGE_ID = re.compile(r"<[^<>\s]{1,246}>")
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
BULK = frozenset({"bulk", "junk", "list"})
KEPT_HEADERS = 4096
LONGEST_KEPT = 1000
"""Header values longer than this are parsed on every read rather than kept."""


class _ParsedOnce(HeaderRegistry):
    """The standard header classes, with each header value parsed once.

    The ``email`` package parses a header anew on every read, and reading a message
    reads each part's ``Content-Type`` many times over (finding the body, telling
    attachments); values recur from message to message too. Header objects are
    never changed once made, so one can serve every read of its value.
    """

    def __init__(self) -> None:
        super().__init__()
        self._kept = lru_cache(maxsize=KEPT_HEADERS)(super().__call__)

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > LONGEST_KEPT:  # a sender's giant headers are not kept in memory
            return super().__call__(name, value)
        return self._kept(name, value)


POLICY = policy.default.clone(header_factory=_ParsedOnce())
"""``policy.default``, reading each header value once (see :class:`_ParsedOnce`)."""


@frozen
class Attachment:
    """A part of the message that is not its text: a file, an image, a forwarded message."""

    filename: str | None
    content_type: str
    size: int
    content: bytes | None
    """None when dropped: ``dropped`` says why."""
    dropped: str | None = None


@frozen
class ParsedMail:
    """What the CRM keeps of a message besides its bytes."""

    dedup_key: str
    message_id: str | None
    sender: str | None
    sender_name: str | None
    subject: str
    text: str
    thread_ids: tuple[str, ...]
    """The Message-IDs it answers: ``In-Reply-To`` first, then ``References`` newest first."""
    auto_reply: str | None
    """Why it counts as sent by a machine (``Auto-Submitted: auto-replied``), else None."""
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]


def one_line(value: str, limit: int) -> str:
    """``value`` with line breaks and control characters as spaces: a header that stays one."""
    return CONTROL.sub(" ", value).strip()[:limit]


def _header(message: Message, name: str, notes: list[str]) -> str | None:
    try:
        value = message.get(name)
        return None if value is None else str(value)
    except Exception as exc:  # a header the parser chokes on must not lose the message
        notes.append(f"header {name} could not be read: {exc.__class__.__name__}")
        return None


def _sender(message: Message, notes: list[str]) -> tuple[str | None, str | None]:
    value = _header(message, "From", notes)
    if value is None:
        return None, None
    for name, address in getaddresses([value]):
        if "@" in address:
            return one_line(address, 320), one_line(name, 200) or None
    notes.append("the From header holds no address")
    return None, None


def _auto_reply(message: Message, envelope_from: str, notes: list[str]) -> str | None:
    submitted = (_header(message, "Auto-Submitted", notes) or "").strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {one_line(submitted, 100)}"
    precedence = (_header(message, "Precedence", notes) or "").strip().lower()
    if precedence in BULK:
        return f"Precedence: {precedence}"
    if not envelope_from:
        return "sent from the null address (a bounce or a notice)"
    return None


def _leaves(part: Message) -> Iterator[Message]:
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _decoded(part: Message, notes: list[str]) -> str:
    try:
        if isinstance(part, MIMEPart) and part.get_content_maintype() == "text":
            content = part.get_content()
            if isinstance(content, str):
                return content
    except LookupError:
        charset = one_line(str(part.get_param("charset", "")), 50)
        notes.append(f"unknown charset {charset!r} in a text part, read as UTF-8")
    except Exception as exc:
        notes.append(f"a text part could not be decoded ({exc.__class__.__name__}), read as UTF-8")
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _body(message: EmailMessage, notes: list[str]) -> tuple[str, Sequence[Message]]:
    """The text of the message, and the parts it was read from (which are not attachments)."""
    try:
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
    except Exception as exc:
        notes.append(f"the body could not be found ({exc.__class__.__name__})")
        plain = html = None
    used = [p for p in (plain, html) if p is not None]
    if plain is not None:
        return _decoded(plain, notes), used
    if html is not None:
        return html_to_text(_decoded(html, notes)), used
    # A multipart whose boundary never comes is one part of text to the parser: still the text.
    for part in _leaves(message):
        if part.get_content_maintype() in ("text", "multipart") and not part.get_filename():
            return _decoded(part, notes), [part]
    return "", used


def _filename(part: Message, notes: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        notes.append("an attachment's file name could not be read")
        return None
    if not name:
        return None
    # A name is shown and perhaps saved by someone: no directories, no line breaks.
    return one_line(re.split(r"[/\\]", name)[-1], 255) or None


def _content(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload(0) if part.is_multipart() else None
        return inner.as_bytes() if isinstance(inner, Message) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _attachments(
    message: Message, body: Sequence[Message], limits: MailInSettings, notes: list[str]
) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    kept = 0
    for part in _leaves(message):
        if any(part is used for used in body):
            continue
        name = _filename(part, notes)
        try:
            content = _content(part)
        except Exception as exc:
            notes.append(f"an attachment could not be read ({exc.__class__.__name__})")
            content = b""
        dropped = None
        if len(content) > limits.max_attachment_bytes:
            dropped = f"larger than {limits.max_attachment_bytes} bytes"
        elif kept + len(content) > limits.max_attachments_bytes:
            dropped = f"the attachments of the message pass {limits.max_attachments_bytes} bytes"
        if dropped is None:
            kept += len(content)
        else:
            notes.append(
                f"attachment {name or '(no name)'} ({len(content)} bytes) dropped: {dropped}"
            )
        found.append(
            Attachment(
                name,
                one_line(part.get_content_type(), 255),
                len(content),
                None if dropped else content,
                dropped,
            )
        )
    return tuple(found)


def _defects(message: Message) -> list[str]:
    names: list[str] = []
    for part in message.walk():
        for defect in part.defects:
            name = defect.__class__.__name__
            if name not in names:
                names.append(name)
    return [f"malformed MIME: {', '.join(names)}"] if names else []


def parse(raw: bytes, envelope_from: str, limits: MailInSettings) -> ParsedMail:
    """What ``raw``, received from ``envelope_from``, says, read as well as it can be."""
    message = BytesParser(policy=POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    notes: list[str] = []
    found_id = MESSAGE_ID.search(_header(message, "Message-ID", notes) or "")
    message_id = found_id.group(0) if found_id else None
    references = MESSAGE_ID.findall(_header(message, "References", notes) or "")
    replied = MESSAGE_ID.findall(_header(message, "In-Reply-To", notes) or "")
    thread_ids = tuple(dict.fromkeys([*replied, *reversed(references)]))
    sender, sender_name = _sender(message, notes)
    text, body = _body(message, notes)
    attachments = _attachments(message, body, limits, notes)
    return ParsedMail(
        dedup_key=message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}",
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        subject=one_line(_header(message, "Subject", notes) or "", 2000),
        text=text.replace("\r\n", "\n").replace("\x00", ""),
        thread_ids=thread_ids,
        auto_reply=_auto_reply(message, envelope_from, notes),
        attachments=attachments,
        notes=tuple(_defects(message) + notes),
    )
