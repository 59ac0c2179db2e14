"""Where pipelines come from: the configuration (``[plugins.sfa.pipeline]``) and the API (``sfa_pipeline``)."""

from __future__ import annotations

import re
from typing import Any

import cattrs
from attrs import frozen
from cattrs.errors import (
    AttributeValidationNote,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)
from sqlalchemy import Connection, insert, select, update

from crmkit import ConflictError, Crm, NotFound, Transaction, ValidationError, utcnow
from crmkit_sfa.pipeline.settings import Pipeline
from crmkit_sfa.pipeline.tables import opportunity, pipeline

_converter = cattrs.Converter(forbid_extra_keys=True)


def configured(app: Crm | None) -> tuple[Pipeline, ...]:
    """The pipelines of the configuration, the default one first."""
    if app is None:
        raise RuntimeError("pipelines need the CRM the transaction belongs to")
    return tuple(app.settings_of["sfa"].pipeline.pipelines)


def defined(conn: Connection) -> list[Pipeline]:
    """The pipelines defined through the API, by key."""
    rows = conn.execute(select(pipeline.c.definition).order_by(pipeline.c.key))
    return [_converter.structure(row.definition, Pipeline) for row in rows]


def all_pipelines(app: Crm, conn: Connection) -> list[Pipeline]:
    return [*configured(app), *defined(conn)]


def pipeline_of(app: Crm | None, key: str, conn: Connection | None = None) -> Pipeline:
    """The pipeline ``key``: configured, or (given ``conn``) defined through the API."""
    found = next((p for p in configured(app) if p.key == key), None)
    if found is None and conn is not None:
        row = conn.execute(select(pipeline.c.definition).where(pipeline.c.key == key)).first()
        found = None if row is None else _converter.structure(row.definition, Pipeline)
    if found is None:
        raise ValidationError("pipeline", f"no pipeline {key!r}")
    return found


def parse_pipeline(data: Any) -> Pipeline:
    """A pipeline from JSON; an error names the first wrong field (``stages[2].probability``)."""
    if not isinstance(data, dict):
        raise ValidationError("body", "expected a JSON object")
    try:
        return _converter.structure(data, Pipeline)
    except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
        where, reason = _first_problem(exc, "")
        raise ValidationError(where.lstrip(".") or "body", reason) from None


def _first_problem(exc: BaseException, path: str) -> tuple[str, str]:
    """The dotted path (``.stages[2].probability``) and message of the first error cattrs found."""
    if isinstance(exc, cattrs.BaseValidationError):
        inner = exc.exceptions[0]
        for note in getattr(inner, "__notes__", []):
            if isinstance(note, AttributeValidationNote):
                path += f".{note.name}"
            elif isinstance(note, IterableValidationNote):
                path += f"[{note.index}]"
        return _first_problem(inner, path)
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"{path}.{sorted(exc.extra_fields)[0]}", "unknown field"
    if isinstance(exc, KeyError):
        return path, "required"
    message = str(exc.args[0]) if exc.args else str(exc)
    # An attrs validator names the attribute it checks first: "'probability' must be <= 100: 120".
    named = re.match(r"^(?:Length of )?'(\w+)' (.*)$", message)
    if named:
        return f"{path}.{named[1]}", named[2]
    return path, message


@frozen
class Definition:
    """A pipeline as stored, and whether storing it created it."""

    pipeline: Pipeline
    created: bool


def define_pipeline(tx: Transaction, data: Any) -> Definition:
    """Create or replace an API-defined pipeline.

    Configured pipelines cannot be replaced; a pipeline in use must keep every stage
    an open opportunity is in.
    """
    new = parse_pipeline(data)
    if any(p.key == new.key for p in configured(tx.app)):
        raise ConflictError(f"pipeline {new.key!r} is configured; change it in the configuration")
    in_use = set(
        tx.conn.execute(
            select(opportunity.c.stage)
            .where(opportunity.c.pipeline == new.key, opportunity.c.status == "open")
            .distinct()
        ).scalars()
    )
    dropped = sorted(in_use - {s.key for s in new.stages})
    if dropped:
        raise ValidationError("stages", f"stage {dropped[0]!r} still holds open opportunities")
    now, definition = utcnow(), _converter.unstructure(new)
    exists = tx.conn.execute(select(pipeline.c.key).where(pipeline.c.key == new.key)).first()
    if exists:
        tx.conn.execute(
            update(pipeline)
            .where(pipeline.c.key == new.key)
            .values(definition=definition, updated_at=now)
        )
    else:
        tx.conn.execute(
            insert(pipeline).values(
                key=new.key, definition=definition, created_at=now, updated_at=now
            )
        )
    return Definition(new, created=exists is None)


def require_pipeline(app: Crm, conn: Connection, key: str) -> Pipeline:
    """:func:`pipeline_of` for a key from a URL: an unknown one is not found (404), not invalid."""
    try:
        return pipeline_of(app, key, conn)
    except ValidationError:
        raise NotFound(f"no pipeline {key!r}") from None
