"""The field mapping of each Lead Ads form, as an integrator edits it (API and page).

A form's mapping holds only what differs from the defaults (the built-in mapping of Meta's
standard questions, then the settings' ``fields``); the targets a lead is mapped by are the
three laid over each other. A change is versioned: it names the version last read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import ConflictError, NotFound, Transaction, ValidationError, record_audit, utcnow
from crmkit_social.leads.mapping import DEFAULT_FIELDS, MAX_FIELDS, MAX_NAME, check_target
from crmkit_social.leads.settings import LeadsSettings
from crmkit_social.leads.tables import form_mapping

ENTITY = "social.lead_form"
FORM_ID_LIMIT = 100


@frozen
class LeadForm:
    """A form's own mapping (``fields``) and the targets its leads are mapped by
    (``targets``: the defaults with ``fields`` over them)."""

    form_id: str
    name: str | None
    fields: dict[str, str]
    targets: dict[str, str]
    version: int
    updated_at: datetime | None


def check_form_id(form_id: Any) -> str:
    if not isinstance(form_id, str) or not 0 < len(form_id) <= FORM_ID_LIMIT or "\x00" in form_id:
        raise ValidationError("form_id", f"expected a form id of 1 to {FORM_ID_LIMIT} characters")
    return form_id


def defaults(settings: LeadsSettings) -> dict[str, str]:
    return {**DEFAULT_FIELDS, **settings.fields}


def _row(conn: Connection, form_id: str) -> Any:
    return conn.execute(select(form_mapping).where(form_mapping.c.form_id == form_id)).first()


def get_form(conn: Connection, settings: LeadsSettings, form_id: str) -> LeadForm:
    """The form's mapping; a form never edited has none of its own (version 0)."""
    row = _row(conn, form_id)
    own: dict[str, str] = dict(row.fields) if row is not None else {}
    return LeadForm(
        form_id=form_id,
        name=row.name if row is not None else None,
        fields=own,
        targets={**defaults(settings), **own},
        version=row.version if row is not None else 0,
        updated_at=row.updated_at if row is not None else None,
    )


def list_forms(conn: Connection, settings: LeadsSettings) -> list[LeadForm]:
    rows = conn.execute(select(form_mapping).order_by(form_mapping.c.form_id)).all()
    return [
        LeadForm(
            r.form_id,
            r.name,
            dict(r.fields),
            {**defaults(settings), **r.fields},
            r.version,
            r.updated_at,
        )
        for r in rows
    ]


def change_form(
    tx: Transaction,
    settings: LeadsSettings,
    form_id: str,
    data: Mapping[str, Any],
    version: int | None,
) -> LeadForm:
    """Change the form's mapping: ``fields`` (name -> target, or null to drop the form's own
    target for that name) merged into what it has, ``name`` replaced when given. A form with
    a mapping of its own changes only at ``version``; a new one needs no version (or 0)."""
    check_form_id(form_id)
    unknown = set(data) - {"fields", "name"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    given = data.get("fields", {})
    if not isinstance(given, Mapping):
        raise ValidationError("fields", "expected an object of field name -> target or null")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 300):
        raise ValidationError("name", "expected text of at most 300 characters")
    tx.hold(f"social.lead_form.{form_id}")
    row = _row(tx.conn, form_id)
    fields: dict[str, str] = dict(row.fields) if row is not None else {}
    for field_name, target in given.items():
        if not isinstance(field_name, str) or not 0 < len(field_name) <= MAX_NAME:
            raise ValidationError("fields", f"field names are 1 to {MAX_NAME} characters")
        if target is None:
            fields.pop(field_name, None)
        else:
            fields[field_name] = check_target(f"fields.{field_name}", target)
            custom = fields[field_name].removeprefix("custom.")
            # Refused now rather than lead by lead: intake takes only registered fields.
            if (
                custom != fields[field_name]
                and tx.app is not None
                and custom not in tx.app.custom_fields.of("prospect")
            ):
                raise ValidationError(
                    f"fields.{field_name}", f"no custom field {custom!r} on prospects"
                )
    if len(fields) > MAX_FIELDS:
        raise ValidationError("fields", f"at most {MAX_FIELDS} fields")
    now = utcnow()
    by = tx.actor.user_id
    if row is None:
        if version not in (None, 0):
            raise ConflictError(f"form {form_id} has no mapping of its own yet (version 0)")
        new_name = name
        tx.conn.execute(
            insert(form_mapping).values(
                form_id=form_id,
                name=name,
                fields=fields,
                version=1,
                created_at=now,
                updated_at=now,
                updated_by=by,
            )
        )
        before: dict[str, Any] = {}
    else:
        if version is None:
            raise ValidationError("version", "is required: the version last read")
        new_name = row.name if name is None else name
        changed = tx.conn.execute(
            update(form_mapping)
            .where(form_mapping.c.id == row.id, form_mapping.c.version == version)
            .values(
                fields=fields,
                name=new_name,
                version=form_mapping.c.version + 1,
                updated_at=now,
                updated_by=by,
            )
        )
        if changed.rowcount != 1:
            raise ConflictError(
                f"the mapping of form {form_id} was changed meanwhile (version {row.version})"
            )
        before = {"fields": dict(row.fields), "name": row.name}
    found = _row(tx.conn, form_id)
    record_audit(
        tx,
        ENTITY,
        found.id,
        "created" if row is None else "updated",
        {"fields": [before.get("fields"), fields], "name": [before.get("name"), new_name]},
    )
    return get_form(tx.conn, settings, form_id)


def require_form(conn: Connection, form_id: str) -> None:
    if _row(conn, form_id) is None:
        raise NotFound(f"form {form_id} has no mapping of its own")
