"""The plugin's settings: the ``[plugins.channels]`` table of crmkit.toml."""

from __future__ import annotations

import ssl
from typing import Any, Literal

from attrs import field, frozen, validators

from crmkit_channels.auto_answer_settings import AutoAnswerSettings, check_rule_templates
from crmkit_channels.rendering import check_template


def _distinct_names(instance: Any, attribute: Any, value: tuple[Any, ...]) -> None:
    names = [t.name for t in value]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{attribute.name}: the name {name!r} is used twice")


def _port(instance: Any, attribute: Any, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValueError(f"{attribute.name}: expected a port number from 1 to 65535, got {value!r}")


def _folder(instance: Any, attribute: Any, value: str | None) -> None:
    if value is not None and not value.strip():
        raise ValueError(
            f"{attribute.name}: expected a folder's name (INBOX, Archive/CRM), got {value!r}"
        )


def _ca_file(instance: Any, attribute: Any, value: str | None) -> None:
    """The file is read when the settings load: a wrong path shows then, not at the first poll."""
    if value is None:
        return
    try:
        ssl.create_default_context(cafile=value)
    except ssl.SSLError:
        raise ValueError(f"{attribute.name}: {value!r} holds no PEM certificate") from None
    except OSError as exc:
        raise ValueError(f"{attribute.name}: cannot read {value!r}: {exc.strerror}") from None


@frozen
class EmailTemplate:
    """One named email: its subject, plain text and (optional) HTML, each a Jinja2 template.

    They are rendered in Jinja2's sandbox with ``party`` (``id``, ``name``,
    ``first_name``, ``last_name``, ``organisation_name``, ``email``),
    ``unsubscribe_url`` (not in transactional mail) and the message's own variables.
    """

    name: str = field(validator=validators.and_(validators.min_len(1), validators.max_len(100)))
    """What ``EmailMessage(template=...)`` calls it."""
    subject: str = field(validator=check_template)
    text: str = field(validator=check_template)
    html: str | None = field(default=None, validator=validators.optional(check_template))


@frozen
class SmtpSettings:
    """The relay every email is handed to: ``[plugins.channels.smtp]``."""

    host: str = "localhost"
    port: int = field(default=587, validator=_port)
    security: Literal["starttls", "tls", "none"] = "starttls"
    """``starttls`` upgrades a plain connection (port 587), ``tls`` is implicit TLS (port 465)."""
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    """Seconds to wait for the relay's answer."""
    ca_file: str | None = None
    """A PEM file of the CA that signed the relay's certificate, when not a public one."""
    connections: int = field(default=1, validator=[validators.ge(1), validators.le(64)])
    """Connections a delivery job keeps to the relay and hands emails over on at once: more
    than one when ``rate_per_second`` asks for more than one connection carries (each waits
    for every answer of the relay), and no more than the relay allows one client."""


@frozen
class DkimSettings:
    """DKIM signing of every email: ``[plugins.channels.dkim]``.

    Publish the public key as TXT record ``<selector>._domainkey.<domain>``.
    """

    domain: str
    """The signing domain (``d=``), normally the one of ``from_address``."""
    selector: str
    """The selector (``s=``) under which the public key is published."""
    private_key_file: str
    """A PEM file with the RSA private key (PKCS#1 or PKCS#8), readable by the worker."""


@frozen
class MailInSettings:
    """Inbound mail, ``crmkit channels mail-in``: ``[plugins.channels.mail_in]``."""

    domains: tuple[str, ...] = field(default=(), converter=lambda v: tuple(d.lower() for d in v))
    """The domains whose mail the server accepts (``acme.example``); mail to others gets 550."""
    max_message_bytes: int = field(default=25_000_000, validator=validators.ge(10_000))
    """The largest message taken (SMTP ``SIZE``); a larger one is refused with 552."""
    max_attachment_bytes: int = field(default=10_000_000, validator=validators.ge(1))
    """A larger attachment is dropped, with a note on the message."""
    max_attachments_bytes: int = field(default=20_000_000, validator=validators.ge(1))
    """Attachments of one message past this total are dropped, with a note."""
    vouched: bool = False
    """Whether a sender's address is trusted enough to take in a new prospect without a name."""


@frozen
class ImapMailbox:
    """A mailbox that ``imap-poll`` takes mail from: ``[[plugins.channels.imap.mailboxes]]``."""

    name: str = field(validator=validators.matches_re(r"[a-z0-9][a-z0-9_.-]{0,99}"))
    """What the logs call it, and the key of its progress in the database: keep it when the
    server changes, or its mail is read again from the first message (and stored once)."""
    host: str
    username: str
    password: str
    port: int = field(default=993, validator=_port)
    """Use 993 with ``tls`` and 143 with ``starttls``."""
    security: Literal["tls", "starttls", "none"] = "tls"
    """``tls`` is implicit TLS (port 993), ``starttls`` upgrades a plain connection (port 143)."""
    folder: str = field(default="INBOX", validator=_folder)
    """The folder whose messages are taken."""
    move_to: str | None = field(default=None, validator=_folder)
    """A folder to move each stored message to; without one, it is marked read and stays."""
    timeout: float = field(default=30.0, validator=validators.gt(0))
    """Seconds to wait for the server's answer."""
    ca_file: str | None = field(default=None, validator=_ca_file)
    """A PEM file of the CA that signed the server's certificate, when not a public one."""


@frozen
class ImapSettings:
    """Mailboxes elsewhere, polled by ``crmkit channels imap-poll``: ``[plugins.channels.imap]``."""

    mailboxes: tuple[ImapMailbox, ...] = field(default=(), validator=_distinct_names)
    poll_seconds: float = field(default=60.0, validator=validators.gt(0))
    """How often a mailbox whose server does not offer IDLE is asked for new mail."""
    idle_seconds: float = field(
        default=600.0, validator=validators.and_(validators.gt(0), validators.le(1740))
    )
    """How long one IDLE lasts before it is renewed; RFC 2177 asks for less than 29 minutes."""
    max_backoff_seconds: float = field(default=300.0, validator=validators.gt(0))
    """The longest wait before connecting again after a failure; the wait doubles from 1 s."""


@frozen
class SmsTemplate:
    """One named text message, a Jinja2 template rendered in the sandbox.

    It is given ``party`` (``id``, ``name``, ``first_name``, ``last_name``,
    ``organisation_name``, ``phone``) and the message's own variables.
    """

    name: str = field(validator=validators.and_(validators.min_len(1), validators.max_len(100)))
    """What ``SmsMessage(template=...)`` calls it."""
    body: str = field(validator=check_template)


@frozen
class SmsSettings:
    """The SMS gateway, shaped like Twilio's Messages API: ``[plugins.channels.sms]``."""

    account_sid: str = ""
    """The account (``AC…``): the path of the API and the basic-auth user; required to send."""
    auth_token: str = ""
    """The basic-auth password, and the key that signs the gateway's webhooks."""
    from_number: str | None = None
    """The sender, an E.164 number (or an alphanumeric sender id where allowed)."""
    messaging_service_sid: str | None = None
    """A messaging service (``MG…``) that picks the sender instead of ``from_number``."""
    base_url: str = "https://api.twilio.com"
    """Where the API is; another gateway speaking the same API, or a test server."""
    timeout: float = field(default=30.0, validator=validators.gt(0))
    """Seconds to wait for the gateway's answer."""
    max_segments: int = field(default=10, validator=validators.ge(1))
    """A message longer than this many segments is refused by ``send``."""
    templates: tuple[SmsTemplate, ...] = field(default=(), validator=_distinct_names)
    """Named templates: ``[[plugins.channels.sms.templates]]``."""

    def template(self, name: str) -> SmsTemplate | None:
        """The template called ``name``, if there is one."""
        return next((t for t in self.templates if t.name == name), None)


@frozen
class ChannelsSettings:
    """How the channels plugin sends."""

    smtp: SmtpSettings = field(factory=SmtpSettings)
    sms: SmsSettings = field(factory=SmsSettings)
    from_address: str = ""
    """The ``From`` of every email, e.g. ``Acme <news@acme.example>``; required to send."""
    public_url: str = ""
    """The CRM's address as recipients reach it (``https://crm.acme.example``), for unsubscribe
    links and the SMS gateway's status callbacks."""
    unsubscribe_mailto: str | None = None
    """An address whose mail an operator reads, offered as the mailto unsubscribe."""
    link_secret: str = ""
    """The key that signs unsubscribe links: at least 32 characters, kept secret."""
    rate_per_second: float = field(default=10.0, validator=validators.gt(0))
    """At most this many emails a second are handed to the relay by one worker."""
    batch: int = field(default=100, validator=validators.ge(1))
    """Emails leased by one worker at a time."""
    sending_batch: int = field(default=20, validator=validators.ge(1))
    """Leased emails moved to ``sending`` together, and whose outcomes are recorded together: a
    worker that dies leaves at most this many ``unknown``; 1 costs two transactions per email."""
    max_attempts: int = field(default=8, validator=validators.ge(1))
    """Attempts before an email that the relay keeps deferring (4xx) is given up as failed."""
    first_retry_seconds: float = field(default=60.0, validator=validators.gt(0))
    max_retry_seconds: float = field(default=3600.0, validator=validators.gt(0))
    lease_seconds: float = field(default=300.0, validator=validators.gt(0))
    """How long a leased batch waits for its worker before another worker may take it: longer
    than a batch takes (``batch`` / ``rate_per_second``, plus the relay's slowness)."""
    sending_timeout_seconds: float = field(default=300.0, validator=validators.gt(0))
    """After this long in ``sending`` (its worker died mid-send) an email becomes ``unknown``."""
    dkim: DkimSettings | None = None
    """Sign with DKIM when set; RFC 8058 wants the unsubscribe headers signed."""
    templates: tuple[EmailTemplate, ...] = field(default=(), validator=_distinct_names)
    """Named templates: ``[[plugins.channels.templates]]``."""
    mail_in: MailInSettings = field(factory=MailInSettings)
    """Inbound mail: ``[plugins.channels.mail_in]``."""
    imap: ImapSettings = field(factory=ImapSettings)
    """Mailboxes to poll over IMAP: ``[plugins.channels.imap]``."""
    auto_answer: AutoAnswerSettings = field(
        factory=AutoAnswerSettings, validator=check_rule_templates
    )
    """Auto-answers to inbound mail: ``[plugins.channels.auto_answer]``."""
    subject_token: bool = False
    """End each email's subject with a short token (``[#ab12cd]``) that threads a reply whose
    mail client dropped In-Reply-To and References."""

    def template(self, name: str) -> EmailTemplate | None:
        """The template called ``name``, if there is one."""
        return next((t for t in self.templates if t.name == name), None)
