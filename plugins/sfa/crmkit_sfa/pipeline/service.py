"""Opportunities: creating and editing them, moving them through their pipeline's stages, closing them.

Every write checks the version the caller read (a stale one is a ConflictError),
records stage changes in ``sfa_stage_change`` and plans the entered stage's playbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_custom,
    clean_territory,
    contact_point_table,
    convert_prospect,
    get_party,
    user_table,
    utcnow,
)
from crmkit_sfa.pipeline import fields
from crmkit_sfa.pipeline.activities import create_activity
from crmkit_sfa.pipeline.pipelines import configured, pipeline_of
from crmkit_sfa.pipeline.settings import Pipeline, Stage
from crmkit_sfa.pipeline.tables import activity, opportunity, stage_change

__all__ = [
    "Opportunity",
    "change_stage",
    "create_activity",
    "create_opportunity",
    "get_opportunity",
    "mark_lost",
    "mark_won",
    "pipeline_of",
    "update_opportunity",
]

STATUSES = ("open", "won", "lost")
CONTACT_FIELDS = {"name": 200, "role": 100}
MILESTONE_FIELDS = {"on": 10, "label": 200}
EDITABLE = frozenset(
    {
        "title",
        "amount",
        "currency",
        "probability",
        "expected_close",
        "owner_id",
        "territory",
        "source",
        "products",
        "contacts",
        "milestones",
        "custom",
    }
)
CREATE_FIELDS = EDITABLE | {"party_id", "pipeline", "stage"}


@frozen
class Opportunity:
    """A possible sale to a party, on its way through a pipeline's stages until won or lost."""

    id: int
    party_id: int
    pipeline: str
    stage: str
    status: str
    title: str
    amount: Decimal | None
    currency: str
    probability: int
    expected_close: date | None
    owner_id: int | None
    territory: str | None
    team: str | None
    source: str | None
    lost_reason: str | None
    products: list[str]
    contacts: list[dict[str, str]]
    """Key people in the deal: ``{"name": …, "role": …}``."""
    milestones: list[dict[str, str]]
    """Important dates: ``{"on": "YYYY-MM-DD", "label": …}``."""
    stage_entered_at: datetime
    closed_at: datetime | None
    custom: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


def opportunity_of(row: Any) -> Opportunity:
    return Opportunity(**{c.name: getattr(row, c.name) for c in opportunity.c})


def get_opportunity(conn: Connection, opportunity_id: int) -> Opportunity:
    row = conn.execute(select(opportunity).where(opportunity.c.id == opportunity_id)).first()
    if row is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return opportunity_of(row)


def opportunities_of_party(conn: Connection, party_id: int) -> list[Opportunity]:
    """The party's opportunities, open ones first, then the newest."""
    rows = conn.execute(
        select(opportunity)
        .where(opportunity.c.party_id == party_id)
        .order_by(opportunity.c.status != "open", opportunity.c.id.desc())
    )
    return [opportunity_of(row) for row in rows]


def _team_of(conn: Connection, owner_id: int | None) -> str | None:
    if owner_id is None:
        return None
    row = conn.execute(select(user_table.c.team).where(user_table.c.id == owner_id)).first()
    if row is None:
        raise ValidationError("owner_id", f"user {owner_id} does not exist")
    team: str | None = row.team
    return team


def _territory_of(conn: Connection, party_id: int) -> str | None:
    """The territory key of the party's first address, as the kernel's territories match it."""
    return conn.execute(
        select(contact_point_table.c.key).where(
            contact_point_table.c.party_id == party_id,
            contact_point_table.c.kind == "address",
            contact_point_table.c.position == 0,
        )
    ).scalar()


def _values(
    conn: Connection, data: Mapping[str, Any], current: Opportunity | None
) -> dict[str, Any]:
    """The columns ``data`` sets, validated; ``current`` is the opportunity being edited, if any."""
    values: dict[str, Any] = {}
    if "title" in data or current is None:
        values["title"] = fields.text("title", data.get("title"), limit=300, required=True)
    if current is None or "amount" in data or "currency" in data:
        default = current.currency if current else None
        values["currency"] = fields.currency(data.get("currency", default))
        money = fields.amount(
            data.get("amount", current.amount if current else None), values["currency"]
        )
        values["amount"] = money.amount if money else None
    if "probability" in data:
        values["probability"] = fields.percent("probability", data["probability"])
    if "expected_close" in data:
        values["expected_close"] = fields.day("expected_close", data["expected_close"])
    if "owner_id" in data:
        values["owner_id"] = fields.identifier("owner_id", data["owner_id"])
        values["team"] = _team_of(conn, values["owner_id"])
    if "territory" in data:
        territory = fields.text("territory", data["territory"], limit=50)
        values["territory"] = territory and clean_territory(territory)
    if "source" in data:
        values["source"] = fields.text("source", data["source"], limit=200)
    if "products" in data:
        values["products"] = fields.strings("products", data["products"])
    if "contacts" in data:
        values["contacts"] = fields.records("contacts", data["contacts"], CONTACT_FIELDS)
    if "milestones" in data:
        milestones = fields.records("milestones", data["milestones"], MILESTONE_FIELDS)
        for i, milestone in enumerate(milestones):
            fields.day(f"milestones[{i}].on", milestone["on"])
        values["milestones"] = milestones
    if "custom" in data:
        values["custom"] = check_custom(data["custom"])
    return values


def _stage(pipeline: Pipeline, key: Any) -> Stage:
    stage = pipeline.stage(key) if isinstance(key, str) else None
    if stage is None:
        choices = ", ".join(s.key for s in pipeline.stages)
        raise ValidationError("stage", f"expected a stage of pipeline {pipeline.key!r}: {choices}")
    return stage


def _enter(tx: Transaction, opp: Opportunity, stage: Stage, previous: str | None) -> None:
    """Record the move into ``stage`` and plan its playbook's activities, due from now."""
    tx.conn.execute(
        insert(stage_change).values(
            opportunity_id=opp.id,
            from_stage=previous,
            to_stage=stage.key,
            changed_by=tx.actor.user_id,
            changed_at=opp.stage_entered_at,
        )
    )
    for step in stage.playbook:
        create_activity(
            tx,
            {
                "party_id": opp.party_id,
                "opportunity_id": opp.id,
                "kind": step.kind,
                "subject": step.subject,
                "owner_id": opp.owner_id,
                "due_at": opp.stage_entered_at + timedelta(days=step.due_days),
            },
            playbook_step=f"{stage.key}.{step.key}",
        )


def create_opportunity(tx: Transaction, data: Mapping[str, Any]) -> Opportunity:
    """A new open opportunity from ``data`` (untrusted); it enters its first (or given) stage."""
    fields.only(data, CREATE_FIELDS)
    party_id = fields.identifier("party_id", data.get("party_id"), required=True)
    assert party_id is not None
    try:
        party = get_party(tx.conn, party_id)
    except NotFound:
        raise ValidationError("party_id", f"party {party_id} does not exist") from None
    pipeline_key = fields.text("pipeline", data.get("pipeline"), limit=100)
    pipeline = pipeline_of(tx.app, pipeline_key, tx.conn) if pipeline_key else configured(tx.app)[0]
    stage = _stage(pipeline, data.get("stage", pipeline.stages[0].key))
    now = utcnow()
    # configured()/pipeline_of() above have refused a transaction without its CRM.
    assert tx.app is not None
    default_currency = tx.app.settings_of["sfa"].pipeline.default_currency
    values = _values(tx.conn, {"currency": default_currency, **data}, None)
    owner_id = values.get("owner_id", tx.actor.user_id or party.owner_id)
    row = {
        "party_id": party_id,
        "pipeline": pipeline.key,
        "stage": stage.key,
        "status": "open",
        "amount": None,
        "probability": stage.probability,
        "expected_close": None,
        "territory": _territory_of(tx.conn, party_id),
        "source": None,
        "lost_reason": None,
        "products": [],
        "contacts": [],
        "milestones": [],
        "custom": {},
        **values,
        "owner_id": owner_id,
        "team": values["team"] if "owner_id" in values else _team_of(tx.conn, owner_id),
        "stage_entered_at": now,
        "closed_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    new_id = tx.conn.execute(
        insert(opportunity).values(row).returning(opportunity.c.id)
    ).scalar_one()
    created = Opportunity(id=new_id, **row)
    _enter(tx, created, stage, None)
    return created


def _write(
    tx: Transaction, current: Opportunity, expected_version: int | None, values: dict[str, Any]
) -> Opportunity:
    """Store ``values`` if nobody changed the opportunity since ``expected_version`` was read."""
    version = current.version if expected_version is None else expected_version
    values = {**values, "version": version + 1, "updated_at": utcnow()}
    done = tx.conn.execute(
        update(opportunity)
        .where(opportunity.c.id == current.id, opportunity.c.version == version)
        .values(values)
    )
    if done.rowcount != 1:
        raise _stale(current.id, version)
    return evolve(current, **values)


def _unchanged(current: Opportunity, expected_version: int | None) -> Opportunity:
    """``current`` as it is, for a change that changes nothing, unless ``expected_version`` is stale."""
    if expected_version is not None and expected_version != current.version:
        raise _stale(current.id, expected_version)
    return current


def _stale(opportunity_id: int, version: int) -> ConflictError:
    return ConflictError(
        f"opportunity {opportunity_id} was changed by someone else (version {version} is stale);"
        " reload it and try again"
    )


def _current(tx: Transaction, opportunity_id: int) -> Opportunity:
    # Locks the row on PostgreSQL, so concurrent writers queue and the later one sees the new version.
    row = tx.conn.execute(
        select(opportunity).where(opportunity.c.id == opportunity_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return opportunity_of(row)


def _open(opp: Opportunity) -> None:
    if opp.status != "open":
        raise ConflictError(
            f"opportunity {opp.id} is {opp.status}: a closed opportunity stays as it is"
        )


def update_opportunity(
    tx: Transaction,
    opportunity_id: int,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Opportunity:
    """Change the fields ``data`` (untrusted) names; a ``stage`` in it moves the opportunity too.

    Values the opportunity has already change nothing: it keeps its version.
    """
    fields.only(data, EDITABLE | {"stage"})
    current = _current(tx, opportunity_id)
    _open(current)
    values = fields.changes(current, _values(tx.conn, data, current))
    moving = "stage" in data and data["stage"] != current.stage
    if not values and not moving:
        return _unchanged(current, expected_version)
    if values:
        current = _write(tx, current, expected_version, values)
        expected_version = None  # checked by the write
    if moving:
        # After the other fields: the exit criteria see the values given with the move,
        # and a probability given with it is kept rather than the new stage's default.
        given = current.probability if "probability" in data else None
        return change_stage(tx, opportunity_id, data["stage"], expected_version, given)
    return current


def unmet_exit_criteria(
    conn: Connection, opp: Opportunity, *stages: Stage
) -> list[tuple[str, str]]:
    """``(field, why)`` for each exit criterion of ``stages``, in order, that ``opp`` does not meet yet."""
    done = select(activity.c.kind, activity.c.playbook_step).where(
        activity.c.opportunity_id == opp.id, activity.c.status == "done"
    )
    rows = conn.execute(done).all()
    kinds, steps = {r.kind for r in rows}, {r.playbook_step for r in rows}
    unmet: list[tuple[str, str]] = []
    for stage in stages:
        leaving = f"before leaving stage {stage.label!r}"
        unmet += [
            (name, f"{name.replace('_', ' ')} must be filled in {leaving}")
            for name in stage.exit_fields
            if getattr(opp, name) in (None, [], "")
        ]
        unmet += [
            ("activities", f"a {kind} must be done {leaving}")
            for kind in stage.exit_activities
            if kind not in kinds
        ]
        unmet += [
            ("activities", f"{step.subject!r} must be done {leaving}")
            for step in stage.playbook
            if step.required and f"{stage.key}.{step.key}" not in steps
        ]
    return unmet


def change_stage(
    tx: Transaction,
    opportunity_id: int,
    stage_key: Any,
    expected_version: int | None = None,
    probability: int | None = None,
) -> Opportunity:
    """Move the opportunity to ``stage_key``; moving forward needs the exit criteria of each stage left.

    The probability becomes ``probability``, else the new stage's default; the
    stage's playbook is planned.
    """
    current = _current(tx, opportunity_id)
    _open(current)
    pipeline = pipeline_of(tx.app, current.pipeline, tx.conn)
    target = _stage(pipeline, stage_key)
    if target.key == current.stage:
        return _unchanged(current, expected_version)
    here = pipeline.stage(current.stage)
    if here is not None and pipeline.position(target.key) > pipeline.position(here.key):
        left = pipeline.stages[pipeline.position(here.key) : pipeline.position(target.key)]
        unmet = unmet_exit_criteria(tx.conn, current, *left)
        if unmet:
            name, why = unmet[0]
            raise ValidationError(name, why)
    moved = _write(
        tx,
        current,
        expected_version,
        {
            "stage": target.key,
            "probability": target.probability if probability is None else probability,
            "stage_entered_at": utcnow(),
        },
    )
    _enter(tx, moved, target, current.stage)
    tx.emit(
        "sfa.stage_changed",
        "sfa.opportunity",
        moved.id,
        {"from_stage": current.stage, "to_stage": target.key, "owner_id": moved.owner_id},
    )
    return moved


def mark_won(
    tx: Transaction, opportunity_id: int, expected_version: int | None = None
) -> Opportunity:
    """Close the opportunity as won; a prospect becomes a customer with its first won opportunity."""
    current = _current(tx, opportunity_id)
    _open(current)
    won = _write(
        tx, current, expected_version, {"status": "won", "probability": 100, "closed_at": utcnow()}
    )
    if get_party(tx.conn, won.party_id).role == "prospect":
        convert_prospect(tx, won.party_id)
    tx.emit(
        "sfa.opportunity_won",
        "sfa.opportunity",
        won.id,
        {
            "party_id": won.party_id,
            "owner_id": won.owner_id,
            "amount": _text(won.amount),
            "currency": won.currency,
        },
    )
    return won


def mark_lost(
    tx: Transaction, opportunity_id: int, reason: Any, expected_version: int | None = None
) -> Opportunity:
    """Close the opportunity as lost, saying why."""
    lost_reason = fields.text("lost_reason", reason, limit=500, required=True)
    current = _current(tx, opportunity_id)
    _open(current)
    lost = _write(
        tx,
        current,
        expected_version,
        {"status": "lost", "probability": 0, "closed_at": utcnow(), "lost_reason": lost_reason},
    )
    tx.emit(
        "sfa.opportunity_lost",
        "sfa.opportunity",
        lost.id,
        {"party_id": lost.party_id, "owner_id": lost.owner_id, "lost_reason": lost_reason},
    )
    return lost


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)
