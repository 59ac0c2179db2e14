"""The portal's settings: the ``[plugins.service.portal]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import Attribute, field, frozen, validators

from crmkit_service.portal.sniffing import SNIFFABLE

DEFAULT_ATTACHMENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
)


def _known_types(
    instance: object, attribute: Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    unknown = sorted(set(value) - SNIFFABLE)
    if unknown:
        known = ", ".join(sorted(SNIFFABLE))
        raise ValueError(
            f"{attribute.name}: cannot recognise {', '.join(unknown)} by content (known: {known})"
        )


@frozen
class PortalSettings:
    """How customers sign in to the self-service portal, and what they may upload."""

    link_minutes: int = field(default=15, validator=[validators.ge(1), validators.le(1440)])
    """How long an emailed sign-in link stays valid."""
    session_hours: int = field(default=8, validator=[validators.ge(1), validators.le(720)])
    """How long a portal session lasts after the link was followed (sign-out ends it sooner)."""
    link_requests_per_address: int = field(default=5, validator=validators.ge(1))
    """Sign-in links one email address may ask for within ``link_request_window_minutes``."""
    link_requests_per_client: int = field(default=20, validator=validators.ge(1))
    """Sign-in links one client address may ask for within ``link_request_window_minutes``."""
    link_request_window_minutes: int = field(default=60, validator=validators.ge(1))
    max_attachment_bytes: int = field(default=750_000, validator=validators.ge(1))
    """The largest file a customer may attach (the kernel's ``max_body_bytes`` caps the whole form)."""
    max_attachments: int = field(default=5, validator=[validators.ge(0), validators.le(20)])
    """How many files one form may carry."""
    attachment_types: tuple[str, ...] = field(
        default=DEFAULT_ATTACHMENT_TYPES, converter=tuple, validator=_known_types
    )
    """The media types a customer may attach; each file's content must be of the type its name says."""
    link_template: str | None = None
    """A channels email template (from its settings or stored) to send the link with instead of the
    built-in text; it is given ``link``, ``minutes`` and ``account`` (the party's name when the
    address belongs to several)."""
