"""Templates kept in the database: written, changed (versioned), archived, listed, and found by ``send``.

The templates of the settings stay, and they win: a stored template may not take
the name of one (so a name always means one template), and the settings' own are
shown read-only. Every text is parsed in Jinja2's sandbox on save; a syntax error
is refused naming the field, while variables unknown today are allowed (the
sender gives them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import evolve, frozen
from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Permission,
    Transaction,
    ValidationError,
    require,
    utcnow,
)
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.template_tables import template

TEMPLATE_READ = Permission(
    "channels:template.read",
    "See the email and SMS templates",
    ("admin", "manager", "sales", "service", "marketing", "read-only"),
)
TEMPLATE_WRITE = Permission(
    "channels:template.write",
    "Write, change and archive email and SMS templates",
    ("admin", "manager", "marketing"),
)
PERMISSIONS = [TEMPLATE_READ, TEMPLATE_WRITE]
FIELDS = {"email": ("subject", "text", "html"), "sms": ("body",)}
REQUIRED = {"email": ("subject", "text"), "sms": ("body",)}
MAX_TEXT = 200_000
_PARSER = ImmutableSandboxedEnvironment()


@frozen
class StoredTemplate:
    """A template of the database (``source`` ``database``) or of the settings (``settings``, read-only)."""

    id: int | None
    name: str
    channel: str
    subject: str | None
    text: str | None
    html: str | None
    body: str | None
    version: int
    archived: bool
    source: str
    updated_by: str | None = None
    updated_at: datetime | None = None


def _made(row: Any) -> StoredTemplate:
    return StoredTemplate(
        row.id,
        row.name,
        row.channel,
        row.subject,
        row.text,
        row.html,
        row.body,
        row.version,
        row.archived,
        "database",
        row.updated_by,
        row.updated_at,
    )


def from_settings(settings: ChannelsSettings) -> list[StoredTemplate]:
    """The settings' templates, as the list shows them."""
    emails = [
        StoredTemplate(None, t.name, "email", t.subject, t.text, t.html, None, 1, False, "settings")
        for t in settings.templates
    ]
    texts = [
        StoredTemplate(None, t.name, "sms", None, None, None, t.body, 1, False, "settings")
        for t in settings.sms.templates
    ]
    return emails + texts


def _text(data: Mapping[str, Any], name: str, required: bool) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError(name, "required")
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValidationError(name, f"expected a text of at most {MAX_TEXT} characters")
    try:
        _PARSER.parse(value)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            name, f"not a valid template (line {exc.lineno}): {exc.message}"
        ) from None
    except TemplateError as exc:
        raise ValidationError(name, f"not a valid template: {exc.message}") from None
    return value


def _checked(settings: ChannelsSettings, data: Mapping[str, Any], channel: str) -> dict[str, Any]:
    unknown = sorted(set(data) - {"name", "channel", *FIELDS[channel]})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise ValidationError("name", "expected a name of 1 to 100 characters")
    taken = settings.template(name) if channel == "email" else settings.sms.template(name)
    if taken is not None:
        raise ValidationError("name", f"{name!r} is a template of the settings, which wins")
    values: dict[str, Any] = {"name": name.strip()}
    for field in FIELDS[channel]:
        values[field] = _text(data, field, field in REQUIRED[channel])
    return values


def _channel(data: Mapping[str, Any]) -> str:
    channel = data.get("channel")
    if channel not in FIELDS:
        raise ValidationError("channel", "expected email or sms")
    return str(channel)


def _name_free(tx: Transaction, name: str, but: int | None = None) -> None:
    query = select(template.c.id).where(template.c.name == name)
    if but is not None:
        query = query.where(template.c.id != but)
    if tx.conn.execute(query).first() is not None:
        raise ConflictError(f"a template named {name!r} exists already")


def create_template(
    tx: Transaction, settings: ChannelsSettings, data: Mapping[str, Any]
) -> StoredTemplate:
    """A new template at version 1; needs ``channels:template.write``."""
    require(tx.hooks, tx.actor, TEMPLATE_WRITE.name, conn=tx.conn)
    channel = _channel(data)
    values = _checked(settings, data, channel)
    _name_free(tx, values["name"])
    now = utcnow()
    row = tx.conn.execute(
        insert(template)
        .values(
            **values,
            channel=channel,
            version=1,
            archived=False,
            created_by=tx.actor.username,
            created_at=now,
            updated_by=tx.actor.username,
            updated_at=now,
        )
        .returning(*template.c)
    ).one()
    return _made(row)


def _current(conn: Connection, template_id: int) -> Any:
    row = conn.execute(select(template).where(template.c.id == template_id)).first()
    if row is None:
        raise NotFound(f"template {template_id} does not exist")
    return row


def _write(
    tx: Transaction, template_id: int, version: int, values: dict[str, Any]
) -> StoredTemplate:
    """Apply ``values`` if the template is still at ``version`` (else 409 naming the last change)."""
    changed = tx.conn.execute(
        update(template)
        .where(template.c.id == template_id, template.c.version == version)
        .values(
            **values,
            version=template.c.version + 1,
            updated_by=tx.actor.username,
            updated_at=utcnow(),
        )
        .returning(*template.c)
    ).first()
    if changed is None:
        current = _current(tx.conn, template_id)
        raise ConflictError(
            f"template {template_id} is at version {current.version}, not {version}: "
            f"{current.updated_by} changed it last, at {current.updated_at:%Y-%m-%d %H:%M} UTC; "
            "reload it and change it again"
        )
    return _made(changed)


def update_template(
    tx: Transaction,
    settings: ChannelsSettings,
    template_id: int,
    version: int,
    data: Mapping[str, Any],
) -> StoredTemplate:
    """Replace the template's name and texts (its channel stays); needs ``channels:template.write``."""
    require(tx.hooks, tx.actor, TEMPLATE_WRITE.name, conn=tx.conn)
    current = _current(tx.conn, template_id)
    values = _checked(settings, {**data, "channel": current.channel}, current.channel)
    _name_free(tx, values["name"], but=template_id)
    return _write(tx, template_id, version, values)


def archive_template(tx: Transaction, template_id: int, version: int) -> StoredTemplate:
    """Archive the template: kept, no longer sent or listed by default."""
    require(tx.hooks, tx.actor, TEMPLATE_WRITE.name, conn=tx.conn)
    _current(tx.conn, template_id)
    return _write(tx, template_id, version, {"archived": True})


def get_template(conn: Connection, template_id: int) -> StoredTemplate:
    """One stored template; NotFound if there is none."""
    return _made(_current(conn, template_id))


def list_templates(
    conn: Connection, settings: ChannelsSettings, *, include_archived: bool = False
) -> list[StoredTemplate]:
    """The settings' templates, then the stored ones by name."""
    query = select(template).order_by(template.c.name)
    if not include_archived:
        query = query.where(template.c.archived.is_(False))
    return from_settings(settings) + [_made(r) for r in conn.execute(query)]


def draft(
    settings: ChannelsSettings, stored: StoredTemplate, data: Mapping[str, Any]
) -> StoredTemplate:
    """``stored`` with the name and texts of ``data``, checked as on save but not saved: to preview."""
    given = {name: data.get(name) for name in ("name", *FIELDS[stored.channel])}
    return evolve(stored, **_checked(settings, given, stored.channel))


def named_template(conn: Connection, settings: ChannelsSettings, name: Any) -> StoredTemplate:
    """The live template called ``name``, the settings' or a stored one; ValidationError naming ``name``."""
    if not isinstance(name, str):
        raise ValidationError("name", "expected a template name")
    for found in list_templates(conn, settings):
        if found.name == name:
            return found
    raise ValidationError("name", f"no template named {name!r}")


def _live(conn: Connection, channel: str, name: str) -> Any:
    return conn.execute(
        select(template).where(
            template.c.name == name, template.c.channel == channel, template.c.archived.is_(False)
        )
    ).first()


def stored_email(conn: Connection, name: str) -> tuple[str, str, str | None] | None:
    """The subject, text and HTML of the live stored email template ``name``, for ``send``."""
    row = _live(conn, "email", name)
    return None if row is None else (row.subject, row.text, row.html)


def stored_sms(conn: Connection, name: str) -> str | None:
    """The body of the live stored SMS template ``name``, for ``send``."""
    row = _live(conn, "sms", name)
    return None if row is None else str(row.body)
