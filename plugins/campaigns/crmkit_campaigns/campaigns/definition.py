"""Defining campaigns: create, change (with ``version``), read, list and delete a draft.

A campaign's messages are its variants, one per channel, several on one channel for an
A/B test. Everything is validated before anything is stored, each refusal naming the
field (``variants[1].split``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import fields
from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    read_choice,
    read_currency,
    read_decimal,
    read_id,
    read_text,
    read_time_zone,
    read_timestamp,
    read_whole_number,
    user_table,
    utcnow,
)
from crmkit_campaigns.campaigns import inputs
from crmkit_campaigns.campaigns.dry_render import check_renders, sample_variables
from crmkit_campaigns.campaigns.model import (
    EDITABLE_STATUSES,
    ENTITY,
    WINNER_METRICS,
    Campaign,
    Variant,
)
from crmkit_campaigns.campaigns.tables import CHANNELS, KINDS, STATUSES, campaign, member, variant
from crmkit_campaigns.segments.targets import target_query

DEFINITION_FIELDS: tuple[str, ...] = (
    *("name", "kind", "purpose", "segment_id", "list_id", "trigger", "variants"),
    *("test_share", "winner_metric", "decide_after_hours"),
)
"""What only a draft may change: who gets which message."""
MEMBER_RULES = tuple(name for name in DEFINITION_FIELDS if name != "name")
"""What decides a draft's members: a change drops them, to be targeted again."""
RUNNING_FIELDS: tuple[str, ...] = (
    *("starts_at", "ends_at", "throttle_per_hour", "quiet_start", "quiet_end", "time_zone"),
    *("budget", "currency", "product_group", "region", "owner_id"),
)
"""What may change until the campaign is finished: when, how fast, what it may cost."""
FIELDS = DEFINITION_FIELDS + RUNNING_FIELDS
VARIANT_FIELDS = ("channel", "label", "split", "template", "subject", "text", "html", "body")
COLUMNS = tuple(column.name for column in campaign.columns)
MAX_VARIANTS = 10
MAX_TEXT = 100_000
MAX_BUDGET = Decimal("999999999999.99")


def create_campaign(tx: Transaction, data: Mapping[str, Any]) -> Campaign:
    """A new draft campaign from ``data``, validated; its owner is the actor unless given."""
    check_fields(data, FIELDS)
    values = _read_all(tx, data, defaults=_defaults(tx))
    variants = values.pop("variants")
    now = utcnow()
    actor_id = tx.actor.user_id
    values["owner_id"] = values["owner_id"] or actor_id
    campaign_id = tx.conn.execute(
        insert(campaign)
        .values(
            **values,
            status="draft",
            created_by=actor_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        .returning(campaign.c.id)
    ).scalar_one()
    _store_variants(tx, campaign_id, variants)
    created = get_campaign(tx.conn, campaign_id)
    tx.emit("campaigns.campaign.created", ENTITY, campaign_id, {"id": campaign_id})
    return created


def update_campaign(
    tx: Transaction, campaign_id: int, data: Mapping[str, Any], *, version: int | None
) -> Campaign:
    """Change the fields given; who gets which message only in a draft, the rest until finished.

    ConflictError when ``version`` is not the stored one, or the campaign is finished.
    """
    check_fields(data, FIELDS)
    current = get_campaign(tx.conn, campaign_id)
    if version is not None and version != current.version:
        raise ConflictError(
            f"campaign {campaign_id} was changed meanwhile (version {current.version}, "
            f"not {version}): reload it"
        )
    if current.status not in EDITABLE_STATUSES and current.status != "sending":
        raise ConflictError(f"campaign {campaign_id} is {current.status}: it can no longer change")
    if current.status != "draft":
        frozen = [name for name in data if name in DEFINITION_FIELDS]
        if frozen:
            raise ValidationError(frozen[0], f"can only change in a draft (it is {current.status})")
    stored_input = _as_input(current)
    values = _read_all(tx, {**stored_input, **data}, defaults=_defaults(tx))
    if current.status == "draft":
        before = _read_all(tx, stored_input, defaults=_defaults(tx))
        changed = {name for name in MEMBER_RULES if values[name] != before[name]}
    else:
        changed = set()
    variants = values.pop("variants")
    if current.status != "draft":
        values = {name: values[name] for name in data}
    stored = tx.conn.execute(
        update(campaign)
        .where(campaign.c.id == campaign_id, campaign.c.version == current.version)
        .values(**values, updated_at=utcnow(), version=current.version + 1)
    )
    if stored.rowcount != 1:
        raise ConflictError(f"campaign {campaign_id} was changed meanwhile: reload it")
    if "variants" in changed:
        tx.conn.execute(delete(variant).where(variant.c.campaign_id == campaign_id))
        _store_variants(tx, campaign_id, variants)
    if changed:
        # A draft's members were chosen by its target, purpose and messages: they are
        # targeted again after these change, never sent by a rule that no longer holds.
        tx.conn.execute(delete(member).where(member.c.campaign_id == campaign_id))
        tx.conn.execute(
            update(campaign).where(campaign.c.id == campaign_id).values(targeted_at=None)
        )
    tx.emit("campaigns.campaign.changed", ENTITY, campaign_id, {"id": campaign_id})
    return get_campaign(tx.conn, campaign_id)


def delete_campaign(tx: Transaction, campaign_id: int) -> None:
    """Delete a draft campaign (its variants and members with it); ConflictError otherwise."""
    current = get_campaign(tx.conn, campaign_id)
    if current.status != "draft":
        raise ConflictError(
            f"campaign {campaign_id} is {current.status}: only a draft can be deleted "
            "(cancel it instead)"
        )
    tx.conn.execute(delete(campaign).where(campaign.c.id == campaign_id))
    tx.emit("campaigns.campaign.deleted", ENTITY, campaign_id, {"id": campaign_id})


def get_campaign(conn: Connection, campaign_id: int) -> Campaign:
    """The campaign with its variants; NotFound when there is none."""
    row = conn.execute(select(campaign).where(campaign.c.id == campaign_id)).mappings().first()
    if row is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    rows = conn.execute(
        select(variant).where(variant.c.campaign_id == campaign_id).order_by(variant.c.id)
    ).mappings()
    return campaign_of(row, [variant_of(v) for v in rows])


def list_campaigns(
    conn: Connection, *, status: str | None = None, kind: str | None = None, limit: int = 200
) -> list[Campaign]:
    """Campaigns newest first, of one status or kind when given."""
    query = select(campaign).order_by(campaign.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(campaign.c.status == read_choice("status", status, STATUSES))
    if kind is not None:
        query = query.where(campaign.c.kind == read_choice("kind", kind, KINDS))
    rows = conn.execute(query).mappings().all()
    by_campaign: dict[int, list[Variant]] = {}
    if rows:
        found = conn.execute(
            select(variant)
            .where(variant.c.campaign_id.in_([r["id"] for r in rows]))
            .order_by(variant.c.id)
        ).mappings()
        for v in found:
            by_campaign.setdefault(v["campaign_id"], []).append(variant_of(v))
    return [campaign_of(r, by_campaign.get(r["id"], [])) for r in rows]


def campaign_of(row: RowMapping, variants: Sequence[Variant]) -> Campaign:
    """A stored campaign row (and its variants) as a value."""
    values = {name: row[name] for name in COLUMNS}
    return Campaign(**values, variants=tuple(variants))


def variant_of(row: RowMapping) -> Variant:
    """A stored variant row as a value."""
    return Variant(**{a.name: row[a.name] for a in fields(Variant)})


# --- Reading the input


def _defaults(tx: Transaction) -> dict[str, Any]:
    """What a campaign given without a currency or time zone takes: the settings'."""
    settings = tx.app.settings_of["campaigns"].campaigns
    return {"currency": settings.default_currency, "time_zone": settings.default_time_zone}


def _as_input(current: Campaign) -> dict[str, Any]:
    """The stored campaign as the input that would define it, to validate a change as a whole."""
    data: dict[str, Any] = {name: getattr(current, name) for name in FIELDS if name != "variants"}
    data["variants"] = [
        {
            "channel": v.channel,
            "label": v.label,
            "split": v.split,
            **{
                name: getattr(v, name)
                for name in ("template", "subject", "text", "html")
                if getattr(v, name) is not None
            },
        }
        for v in current.variants
    ]
    if data["budget"] is not None:
        data["budget"] = str(data["budget"])
    return data


def _read_all(
    tx: Transaction, data: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Every column of the campaign from ``data``, checked as a whole; ``variants`` as read."""
    get = {**defaults, **{k: v for k, v in data.items() if v is not None}}.get
    name = inputs.required_text("name", get("name"), limit=200)
    kind = read_choice("kind", get("kind", "one_off"), KINDS)
    values: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "purpose": inputs.purpose("purpose", get("purpose")),
        "product_group": read_text("product_group", get("product_group"), limit=100),
        "region": read_text("region", get("region"), limit=100),
        "time_zone": read_time_zone("time_zone", get("time_zone", "UTC")),
        "currency": read_currency("currency", get("currency", "EUR")),
    }
    values.update(_targets(tx, kind, get))
    values.update(_schedule(get))
    values["budget"] = (
        None
        if get("budget") is None
        else read_decimal("budget", get("budget"), places=2, minimum=Decimal(0), maximum=MAX_BUDGET)
    )
    values["owner_id"] = _owner(tx.conn, get("owner_id"))
    variants = _variants(get("variants"), name)
    values.update(_ab(get, variants))
    values["variants"] = variants
    return values


def _targets(tx: Transaction, kind: str, get: Any) -> dict[str, Any]:
    segment_id, list_id, trigger = get("segment_id"), get("list_id"), get("trigger")
    if segment_id is not None and list_id is not None:
        raise ValidationError("list_id", "give a segment_id or a list_id, not both")
    if kind == "triggered":
        if segment_id is not None or list_id is not None:
            field = "segment_id" if segment_id is not None else "list_id"
            raise ValidationError(field, "a triggered campaign's members come from its trigger")
        if not isinstance(trigger, Mapping):
            raise ValidationError("trigger", 'expected {"name": ..., "parameters": {...}}')
        check_fields(trigger, ("name", "parameters"), prefix="trigger.")
        if not isinstance(trigger.get("parameters", {}), Mapping):
            raise ValidationError("trigger.parameters", "expected an object")
        from crmkit_campaigns.triggers.registry import check_trigger

        return {"segment_id": None, "list_id": None, "trigger": check_trigger(tx.app, trigger)}
    if trigger is not None:
        raise ValidationError("trigger", "only a triggered campaign has a trigger")
    found: dict[str, Any] = {"trigger": None, "segment_id": None, "list_id": None}
    if segment_id is not None:
        found["segment_id"] = read_id("segment_id", segment_id)
    if list_id is not None:
        found["list_id"] = read_id("list_id", list_id)
    if segment_id is not None or list_id is not None:
        _check_target(tx, found["segment_id"], found["list_id"])
    return found


def _check_target(tx: Transaction, segment_id: int | None, list_id: int | None) -> None:
    """Refuse a segment or list the actor does not see (or that does not exist)."""
    try:
        target_query(tx, segment_id=segment_id, list_id=list_id)
    except NotFound:
        field = "segment_id" if segment_id is not None else "list_id"
        raise ValidationError(field, "no such segment or list") from None


def _schedule(get: Any) -> dict[str, Any]:
    starts_at = None if get("starts_at") is None else read_timestamp("starts_at", get("starts_at"))
    ends_at = None if get("ends_at") is None else read_timestamp("ends_at", get("ends_at"))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationError("ends_at", "must be after starts_at")
    throttle = get("throttle_per_hour")
    quiet_start, quiet_end = get("quiet_start"), get("quiet_end")
    if (quiet_start is None) != (quiet_end is None):
        missing = "quiet_end" if quiet_end is None else "quiet_start"
        raise ValidationError(missing, "quiet hours need both quiet_start and quiet_end")
    if quiet_start is not None:
        inputs.clock("quiet_start", quiet_start)
        inputs.clock("quiet_end", quiet_end)
        if quiet_start == quiet_end:
            raise ValidationError("quiet_end", "must differ from quiet_start")
    return {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "throttle_per_hour": (
            None
            if throttle is None
            else read_whole_number("throttle_per_hour", throttle, minimum=1, maximum=10_000_000)
        ),
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
    }


def _owner(conn: Connection, owner_id: Any) -> int | None:
    if owner_id is None:
        return None
    owner_id = read_id("owner_id", owner_id)
    active = conn.execute(
        select(user_table.c.active).where(user_table.c.id == owner_id)
    ).scalar_one_or_none()
    if not active:
        raise ValidationError("owner_id", "no such active user")
    return int(owner_id)


def _variants(raw: Any, campaign_name: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationError("variants", "expected a list of at least one message")
    if len(raw) > MAX_VARIANTS:
        raise ValidationError("variants", f"at most {MAX_VARIANTS} messages")
    variants = [_variant(f"variants[{i}]", item, campaign_name) for i, item in enumerate(raw)]
    by_channel: dict[str, list[int]] = {}
    for i, v in enumerate(variants):
        by_channel.setdefault(v["channel"], []).append(i)
    tested = [channel for channel, indexes in by_channel.items() if len(indexes) > 1]
    if len(tested) > 1:
        raise ValidationError("variants", "only one channel can be A/B tested")
    for channel, indexes in by_channel.items():
        letters = iter("ABCDEFGHIJ")
        labels: set[str] = set()
        for i in indexes:
            variants[i]["label"] = variants[i]["label"] or next(letters)
            if variants[i]["label"] in labels:
                raise ValidationError(f"variants[{i}].label", f"used twice on {channel}")
            labels.add(variants[i]["label"])
        if len(indexes) == 1:
            variants[indexes[0]]["split"] = 100
            continue
        missing = [i for i in indexes if variants[i]["split"] is None]
        if missing:
            raise ValidationError(f"variants[{missing[0]}].split", "A/B variants each need a split")
        if sum(variants[i]["split"] for i in indexes) != 100:
            raise ValidationError(
                f"variants[{indexes[-1]}].split",
                f"the splits of the {channel} variants must sum to 100",
            )
    return variants


def _variant(path: str, item: Any, campaign_name: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValidationError(path, "expected an object")
    check_fields(item, VARIANT_FIELDS, prefix=f"{path}.")
    channel = read_choice(f"{path}.channel", item.get("channel"), CHANNELS)
    split = item.get("split")
    found: dict[str, Any] = {
        "channel": channel,
        "label": read_text(f"{path}.label", item.get("label"), limit=20),
        "split": None
        if split is None
        else read_whole_number(f"{path}.split", split, minimum=1, maximum=100),
        "template": read_text(f"{path}.template", item.get("template"), limit=100),
        "subject": None,
        "text": None,
        "html": None,
    }
    own = {
        name: item.get(name)
        for name in ("subject", "text", "html", "body")
        if item.get(name) is not None
    }
    if channel == "sms":
        if "subject" in own or "html" in own:
            raise ValidationError(
                f"{path}.{'subject' if 'subject' in own else 'html'}", "an SMS has only a text"
            )
        if "body" in own and "text" in own:
            raise ValidationError(f"{path}.body", "give text or body, not both")
        own = {"text": own["body"]} if "body" in own else own
    elif "body" in own:
        raise ValidationError(f"{path}.body", "an email has a subject, a text and an html")
    if found["template"] is not None:
        if own:
            raise ValidationError(
                f"{path}.template", "give a template or texts of its own, not both"
            )
        return found
    sample = sample_variables(campaign_name, channel)
    if channel == "email":
        found["subject"] = inputs.required_text(f"{path}.subject", own.get("subject"), limit=1000)
    found["text"] = inputs.required_text(f"{path}.text", own.get("text"), limit=MAX_TEXT)
    if channel == "email":
        found["html"] = read_text(f"{path}.html", own.get("html"), limit=MAX_TEXT)
    for name in ("subject", "text", "html"):
        if found[name] is not None:
            check_renders(f"{path}.{name}", found[name], sample, html=name == "html")
    return found


def _ab(get: Any, variants: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    channels = [v["channel"] for v in variants]
    is_ab = len(channels) != len(set(channels))
    raw_share = get("test_share")
    share = (
        100
        if raw_share is None
        else read_whole_number("test_share", raw_share, minimum=1, maximum=100)
    )
    metric, hours = get("winner_metric"), get("decide_after_hours")
    if not is_ab:
        if share != 100:
            raise ValidationError(
                "test_share", "only an A/B test (two variants on a channel) has a test share"
            )
        return {"test_share": 100, "winner_metric": None, "decide_after_hours": None}
    if share == 100:
        # Every member is in the test: the variants' splits decide, no winner is sent later.
        return {"test_share": 100, "winner_metric": None, "decide_after_hours": None}
    return {
        "test_share": share,
        "winner_metric": read_choice("winner_metric", metric, WINNER_METRICS),
        "decide_after_hours": read_whole_number(
            "decide_after_hours", hours, minimum=1, maximum=24 * 90
        ),
    }


def _store_variants(
    tx: Transaction, campaign_id: int, variants: Sequence[Mapping[str, Any]]
) -> None:
    now = utcnow()
    tx.conn.execute(
        insert(variant),
        [{**v, "campaign_id": campaign_id, "created_at": now} for v in variants],
    )
