"""Rendering an email: Jinja2's sandbox for the texts, the standard library for the MIME message.

A template is untrusted input (it may come from a campaign editor), so it is
rendered in the immutable sandbox: it can read the variables it is given and
change nothing. Headers go through ``email.policy.SMTP``, which refuses a CR or
LF in a header value: a variable cannot inject a header.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.generator import Generator
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage as MimeMessage
from email.policy import EmailPolicy, Policy
from email.utils import formatdate, make_msgid
from functools import lru_cache
from io import StringIO
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crmkit import ValidationError
from crmkit_channels.mime_writer import URI_LISTS, uri_list, written

_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


class _KeptClassesRegistry(HeaderRegistry):
    """The standard header registry, keeping the class it makes for each header name."""

    # The standard one makes a new class for every header it parses, a third of a header's cost.
    @lru_cache(maxsize=64)  # noqa: B019 - one registry for the process, never collected anyway
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


class _UriListHeader(UnstructuredHeader, BaseHeader):
    """``List-Unsubscribe``: folded between its URIs, never into encoded words (which the
    library makes of a word longer than a line, and which mail clients do not read there)."""

    def fold(self, *, policy: Policy) -> str:
        return uri_list(self.name, str(self))


class _KeptPolicy(EmailPolicy):
    """``email.policy.SMTP``, keeping each header it parsed and each header it folded.

    Most headers of a batch of emails are the same text (the From, the parts' Content-Type
    and Content-Transfer-Encoding, the Date of one second), and parsing and folding them is
    most of a message's cost. A parsed header is immutable and folds the same every time,
    so the same name and value (and type: a text and a parsed header fold apart) give the
    same answer. The generator copies the policy for each part (same settings), so a policy
    is its settings: copies alike share the caches.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.linesep, self.max_line_length))

    @lru_cache(maxsize=4096, typed=True)  # noqa: B019 - one policy for the process
    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        return super().header_store_parse(name, value)

    @lru_cache(maxsize=4096, typed=True)  # noqa: B019 - one policy for the process
    def fold(self, name: str, value: Any) -> str:
        return super().fold(name, value)


_REGISTRY = _KeptClassesRegistry()
for _name in URI_LISTS:
    _REGISTRY.map_to_type(_name, _UriListHeader)
_POLICY = _KeptPolicy(linesep="\r\n", header_factory=_REGISTRY)
"""``email.policy.SMTP`` (CRLF line ends), with the caches above."""


@lru_cache(maxsize=1024)
def _header(name: str, value: str) -> BaseHeader:
    """``value`` parsed as header ``name``; ValueError for a line break in it.

    A parsed header is immutable, and the From of every email, its Auto-Submitted and a
    recipient written to again are the same text, so each is parsed once.
    """
    parsed: BaseHeader = _POLICY.header_store_parse(name, value)[1]
    return parsed


def check_template(instance: Any, attribute: Any, value: str) -> None:
    """An attrs validator: ``value`` parses as a Jinja2 template."""
    try:
        _TEXT.parse(value)
    except TemplateError as exc:
        raise ValueError(f"{attribute.name}: not a valid template: {exc}") from None


def render(
    field_name: str, source: str, variables: Mapping[str, Any], *, html: bool = False
) -> str:
    """``source`` rendered in the sandbox; a ValidationError naming ``field_name`` when it fails."""
    try:
        return _compiled(source, html=html).render(variables)
    # What an expression of the template raises on a recipient's values ({{ 100 // n }}
    # with n = 0) is the template's failure too, not the sender's.
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise ValidationError(field_name, f"the template does not render: {exc}") from None


@lru_cache(maxsize=512)
def _compiled(source: str, *, html: bool) -> Template:
    # Compiling is most of rendering's cost, and a campaign renders one template for every recipient.
    return (_HTML if html else _TEXT).from_string(source)


def build_mime(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    extra_headers: Mapping[str, str],
) -> str:
    """The whole message as sent: multipart/alternative when there is HTML, CRLF line ends.

    Written directly when :func:`~crmkit_channels.mime_writer.written` can, built with the
    standard library otherwise: the same text either way.
    """
    headers = {
        "From": sender,
        "To": recipient,
        "Subject": subject,
        "Message-ID": message_id,
        **extra_headers,
    }
    date = formatdate(usegmt=True)
    fast = written({**headers, "Date": date}, _folded, text, html)
    if fast is not None:
        return fast
    mime = MimeMessage(policy=_POLICY)
    for name, value in headers.items():
        mime[name] = _checked_header(name, value)
    mime["Date"] = date
    mime.set_content(text)
    if html is not None:
        mime.add_alternative(html, subtype="html")
    out = StringIO()
    # As ``mime.as_string()`` writes it, without the copy of the policy it makes.
    Generator(out, mangle_from_=False, policy=_POLICY).flatten(mime)
    return out.getvalue()


def _checked_header(name: str, value: str) -> BaseHeader:
    """``value`` parsed as header ``name``; ValidationError naming it for a line break in it."""
    try:
        return _header(name, value)
    except ValueError as exc:
        raise ValidationError(name.lower(), f"not a valid header value: {exc}") from None


def _folded(name: str, value: str) -> str:
    """The header as the library writes it (the same text is folded once)."""
    return _POLICY.fold(name, _checked_header(name, value))


def new_message_id(sender_domain: str) -> str:
    """A globally unique ``<...@domain>`` Message-ID."""
    return make_msgid(domain=sender_domain or None)
