"""The MIME text of an outgoing email written directly, as the standard library would write it.

Building a message with ``email.message.EmailMessage`` parses and folds every header
and costs milliseconds; a campaign queues 100,000 of them. For what most emails are
(header values of plain ASCII that fit on their line, bodies that are ASCII or that
quoted-printable or base64 carries) this writes the same text (the multipart boundary
aside, which is random) in a fraction of the time. A header that is not plain (a name in
the From, a subject with an umlaut) is folded by the library, header by header as it
would; an 8bit body leaves the whole message to it: :func:`written` answers None and the
caller builds the message the slow way.
"""

from __future__ import annotations

import binascii
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from email import quoprimime

from attrs import frozen

LINE = 78
"""The longest line the SMTP policy writes (``max_line_length``)."""
CRLF = "\r\n"
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
"""Printable ASCII words between single spaces: an unstructured value that folds to itself."""
_ADDRESS = re.compile(rf"{_DOT_ATOM}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
_URI_LIST = re.compile(r"<[!-;=?-~]+>(?:, <[!-;=?-~]+>)*")
"""RFC 2369's angle-bracketed URIs (``List-Unsubscribe``), printable ASCII."""
_WRITTEN_AS_IS: dict[str, re.Pattern[str]] = {
    "from": _ADDRESS,
    "to": _ADDRESS,
    "subject": _PLAIN,
    "message-id": _MESSAGE_ID,
    "in-reply-to": _MESSAGE_ID,
    "auto-submitted": _PLAIN,
    "list-unsubscribe-post": _PLAIN,
}
URI_LISTS = frozenset({"list-unsubscribe"})
"""Headers written as URI lists, folded between their URIs and never encoded (RFC 2369)."""
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def uri_list(name: str, value: str) -> str:
    """A URI list header, one URI a line: RFC 2047 encoded words would make it unreadable to
    mail clients (one-click unsubscribe), and a URI is never broken."""
    uris = [uri.strip() for uri in value.split(",")]
    return f"{name}: " + f",{CRLF} ".join(uris) + CRLF


def header_line(name: str, value: str) -> str | None:
    """``name: value`` as the standard library folds it, when that is the text itself; else None."""
    key = name.lower()
    if key in URI_LISTS:
        return uri_list(name, value) if _URI_LIST.fullmatch(value) else None
    pattern = _WRITTEN_AS_IS.get(key)
    if pattern is None or len(name) + 2 + len(value) > LINE or not pattern.fullmatch(value):
        return None
    if key == "subject" and "=?" in value:
        return None  # would be read as an encoded word
    return f"{name}: {value}{CRLF}"


@frozen
class Body:
    """A text part's Content-Transfer-Encoding and its encoded text, CRLF line ends."""

    encoding: str
    text: str


def encoded(text: str) -> Body | None:
    """``text`` as ``set_content(text)`` encodes it (UTF-8), or None for 8bit (left to the library).

    The standard library's choice, step by step: 7bit when it is ASCII in short lines, 8bit
    when only the ASCII fails (not written here), else quoted-printable or base64, whichever
    the first ten lines make shorter.
    """
    lines = text.encode("utf-8").splitlines()
    if max((len(line) for line in lines), default=0) <= LINE:
        try:
            return _crlf("7bit", (b"\n".join(lines) + b"\n").decode("ascii"))
        except UnicodeDecodeError:
            return None
    sniff = b"\r\n".join(lines[:10]) + b"\r\n"
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), LINE)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        embedded = b"\r\n".join(lines) + b"\r\n"
        step = LINE // 4 * 3
        chunks = (embedded[i : i + step] for i in range(0, len(embedded), step))
        return _crlf("base64", "".join(binascii.b2a_base64(c).decode("ascii") for c in chunks))
    if len(lines) <= 10:
        return _crlf("quoted-printable", sniff_qp)
    normal = (b"\n".join(lines) + b"\n").decode("latin-1")
    return _crlf("quoted-printable", quoprimime.body_encode(normal, LINE))


def _crlf(encoding: str, text: str) -> Body:
    # The generator writes every line break of a payload as CRLF.
    return Body(encoding, re.sub(r"\r\n|\r|\n", CRLF, text))


def written(
    headers: Mapping[str, str],
    fold: Callable[[str, str], str],
    text: str,
    html: str | None,
) -> str | None:
    """The whole message (``headers`` in order, the Date among them, then the MIME parts)
    as ``EmailMessage.as_string()`` writes it under the SMTP policy, ``fold`` writing the
    headers that are not plain; None for an 8bit body (the caller builds it with the library)."""
    plain = encoded(text)
    rich = None if html is None else encoded(html)
    if plain is None or (html is not None and rich is None):
        return None
    head = "".join(header_line(name, value) or fold(name, value) for name, value in headers.items())
    if rich is None:
        return (
            f'{head}Content-Type: text/plain; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: {plain.encoding}{CRLF}"
            f"MIME-Version: 1.0{CRLF}{CRLF}{plain.text}"
        )
    first = (
        f'Content-Type: text/plain; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: {plain.encoding}{CRLF}{CRLF}{plain.text}"
    )
    second = (
        f'Content-Type: text/html; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: {rich.encoding}{CRLF}"
        f"MIME-Version: 1.0{CRLF}{CRLF}{rich.text}"
    )
    boundary = _boundary(first + CRLF + second)
    return (
        f"{head}MIME-Version: 1.0{CRLF}Content-Type: multipart/alternative;{CRLF}"
        f' boundary="{boundary}"{CRLF}{CRLF}'
        f"--{boundary}{CRLF}{first}{CRLF}--{boundary}{CRLF}{second}{CRLF}--{boundary}--{CRLF}"
    )


def _boundary(text: str) -> str:
    """A boundary of the library's form that ``text`` does not hold."""
    while True:
        digits = str(secrets.randbelow(sys.maxsize)).zfill(_BOUNDARY_DIGITS)
        boundary = f"==============={digits}=="
        if f"--{boundary}" not in text:
            return boundary
