"""OData V2 ``$batch`` bodies: change sets of JSON creates out, the multipart answer back in.

A request holds one change set per create, so that SAP commits or refuses each on its
own: a bad order does not hold back the others. The answer has one top-level part per
change set, in the order sent: a nested ``multipart/mixed`` when the change set was
committed, a single ``application/http`` error when it was refused. Parsing uses the
standard library's MIME parser; each ``application/http`` part is an HTTP message read
here (status line, headers, body).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from email import message_from_bytes
from email.message import Message
from typing import Any

from attrs import frozen

CRLF = b"\r\n"


class BadBatch(Exception):
    """A ``$batch`` answer that is not the multipart the OData protocol describes."""


@frozen
class Create:
    """One POST of a JSON entity (with deep-inserted navigation properties) to an entity set."""

    entity_set: str
    body: Mapping[str, Any]


@frozen
class Answer:
    """One HTTP response inside a ``$batch`` answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None

    def error_message(self) -> str:
        """SAP's ``error.message.value``, or the body's start when it is not an OData error."""
        try:
            found = self.json()["error"]["message"]
            return str(found["value"] if isinstance(found, dict) else found)
        except (ValueError, TypeError, KeyError):
            return f"HTTP {self.status}: {self.body[:200].decode('utf-8', 'replace')}"


def new_boundary(kind: str) -> str:
    return f"{kind}_{uuid.uuid4().hex}"


def build_creates(creates: Sequence[Create]) -> tuple[bytes, str]:
    """The body of a ``$batch`` request with one change set per create, and its boundary."""
    batch = new_boundary("batch")
    out: list[bytes] = []
    for number, create in enumerate(creates, start=1):
        changeset = new_boundary("changeset")
        payload = json.dumps(create.body, separators=(",", ":")).encode()
        request = CRLF.join(
            [
                f"POST {create.entity_set} HTTP/1.1".encode(),
                b"Content-Type: application/json",
                b"Accept: application/json",
                f"Content-Length: {len(payload)}".encode(),
                b"",
                payload,
            ]
        )
        part = CRLF.join(
            [
                f"--{changeset}".encode(),
                b"Content-Type: application/http",
                b"Content-Transfer-Encoding: binary",
                f"Content-ID: {number}".encode(),
                b"",
                request,
                f"--{changeset}--".encode(),
            ]
        )
        out.append(
            CRLF.join(
                [
                    f"--{batch}".encode(),
                    f"Content-Type: multipart/mixed; boundary={changeset}".encode(),
                    b"",
                    part,
                ]
            )
        )
    out.append(f"--{batch}--".encode() + CRLF)
    return CRLF.join(out), batch


def http_messages(body: bytes, content_type: str) -> list[list[bytes]]:
    """The HTTP messages of a ``$batch`` body, per top-level part (a change set or a single
    request), in order. ``content_type`` is the body's header, with its boundary."""
    message = message_from_bytes(b"Content-Type: " + content_type.encode() + CRLF + CRLF + body)
    if not message.is_multipart():
        raise BadBatch(f"a $batch body must be multipart/mixed, not {content_type!r}")
    parts = _parts(message)
    if not parts:
        raise BadBatch("the $batch body holds no parts")
    return [
        [_http_message(inner) for inner in _parts(part)]
        if part.is_multipart()
        else [_http_message(part)]
        for part in parts
    ]


def _parts(message: Message) -> list[Message]:
    found = message.get_payload()
    return [part for part in found if isinstance(part, Message)] if isinstance(found, list) else []


def parse_batch(body: bytes, content_type: str) -> list[list[Answer]]:
    """The answers of a ``$batch`` response: per top-level part, its HTTP responses in order."""
    return [[_answer(raw) for raw in group] for group in http_messages(body, content_type)]


def build_answers(groups: Sequence[Sequence[Answer]]) -> tuple[bytes, str]:
    """The body of a ``$batch`` response and its boundary: a group of several answers (or of
    one 2xx answer) is a committed change set, a single error answer a refused one."""
    batch = new_boundary("batchresponse")
    out: list[bytes] = []
    for group in groups:
        if len(group) == 1 and group[0].status >= 400:
            out.append(CRLF.join([f"--{batch}".encode(), _http_part(group[0])]))
            continue
        changeset = new_boundary("changesetresponse")
        inner = [CRLF.join([f"--{changeset}".encode(), _http_part(answer)]) for answer in group]
        out.append(
            CRLF.join(
                [
                    f"--{batch}".encode(),
                    f"Content-Type: multipart/mixed; boundary={changeset}".encode(),
                    b"",
                    *inner,
                    f"--{changeset}--".encode(),
                ]
            )
        )
    out.append(f"--{batch}--".encode() + CRLF)
    return CRLF.join(out), batch


def _http_part(answer: Answer) -> bytes:
    head = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Status')}".encode()]
    head += [f"{name}: {value}".encode() for name, value in answer.headers.items()]
    head.append(f"Content-Length: {len(answer.body)}".encode())
    return CRLF.join(
        [
            b"Content-Type: application/http",
            b"Content-Transfer-Encoding: binary",
            b"",
            *head,
            b"",
            answer.body,
        ]
    )


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 500: "Internal Server Error"}


def split_head(raw: bytes) -> tuple[list[str], bytes]:
    """An HTTP message's head lines (start line first) and its body: the first blank line
    (CRLF or bare LF) parts them."""
    ends = [(at, len(mark)) for mark in (b"\r\n\r\n", b"\n\n") if (at := raw.find(mark)) >= 0]
    if not ends:
        return raw.decode("iso-8859-1").splitlines(), b""
    at, length = min(ends)
    return raw[:at].decode("iso-8859-1").splitlines(), raw[at + length :].rstrip(b"\r\n")


def header_map(lines: Sequence[str]) -> dict[str, str]:
    """``name: value`` lines as a dict keyed by the lower-case name."""
    found = {}
    for line in lines:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return found


def _http_message(part: Message) -> bytes:
    if part.get_content_type() != "application/http":
        raise BadBatch(f"a $batch part must be application/http, not {part.get_content_type()}")
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes) or not raw.strip():
        raise BadBatch("a $batch part holds no HTTP message")
    return raw


def _answer(raw: bytes) -> Answer:
    lines, body = split_head(raw)
    status_line = lines[0].split(" ", 2) if lines else []
    if (
        len(status_line) < 2
        or not status_line[0].startswith("HTTP/")
        or not status_line[1].isdigit()
    ):
        raise BadBatch(f"a $batch part does not start with an HTTP status line: {raw[:80]!r}")
    return Answer(int(status_line[1]), header_map(lines[1:]), body)
