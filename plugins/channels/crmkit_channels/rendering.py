"""Rendering an email: Jinja2's sandbox for the texts, the standard library for the MIME message.

A template is untrusted input (it may come from a campaign editor), so it is
rendered in the immutable sandbox: it can read the variables it is given and
change nothing. Headers go through ``email.policy.SMTP``, which refuses a CR or
LF in a header value: a variable cannot inject a header.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crmkit import ValidationError

_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


class _KeptClassesRegistry(HeaderRegistry):
    """The standard header registry, keeping the class it makes for each header name."""

    # The standard one makes a new class for every header it parses, a third of a header's cost.
    @lru_cache(maxsize=64)  # noqa: B019 - one registry for the process, never collected anyway
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


_POLICY = SMTP.clone(header_factory=_KeptClassesRegistry())


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
    except TemplateError as exc:
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
    """The whole message as sent: multipart/alternative when there is HTML, CRLF line ends."""
    mime = MimeMessage(policy=_POLICY)
    headers = {
        "From": sender,
        "To": recipient,
        "Subject": subject,
        "Message-ID": message_id,
        **extra_headers,
    }
    for name, value in headers.items():
        try:
            mime[name] = _header(name, value)
        except ValueError as exc:
            raise ValidationError(name.lower(), f"not a valid header value: {exc}") from None
    mime["Date"] = formatdate(usegmt=True)
    mime.set_content(text)
    if html is not None:
        mime.add_alternative(html, subtype="html")
    return mime.as_string()


def new_message_id(sender_domain: str) -> str:
    """A globally unique ``<...@domain>`` Message-ID."""
    return make_msgid(domain=sender_domain or None)
