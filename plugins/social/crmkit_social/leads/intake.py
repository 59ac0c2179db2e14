"""Taking a Lead Ads lead in: the ``leadgen`` handler of the webhooks part.

A ``leadgen`` change names the lead only (``leadgen_id``, ``form_id``, ``ad_id``, the page);
the lead itself is fetched from the Graph API (``fetch``, with no transaction open, before
the webhooks part opens the change's transaction), its fields mapped (see
:mod:`crmkit_social.leads.mapping`) and taken in through the kernel's intake (matching,
sanity checks, scoring, assignment, review), in the transaction of the change
(``take_change``, database work only). Its source is
``social.facebook`` or ``social.instagram``; the form, ad, ad set and campaign are recorded on
the lead's row and on an interaction on the party's timeline; its consent answers become
consent records with the form and time as evidence.

Each leadgen id is taken once: the lead's row is unique by it, and a resent change or a job
run again finds the row and does nothing. A Graph failure that may pass (5xx, a dropped
connection, a rate limit) raises ``GraphError`` and the webhooks part tries again later; a
lead Meta no longer has (404, code 100) is a ``PermanentFailure``, as is a mapping that makes
data the kernel refuses (fix the form's mapping, then retry the change by hand).
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    Crm,
    CrmError,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    record_consent,
    take_in_prospect,
    utcnow,
)
from crmkit_social.accounts.graph import GraphError, graph_client
from crmkit_social.accounts.model import Account
from crmkit_social.leads.forms import defaults, get_form
from crmkit_social.leads.mapping import Mapped, map_lead
from crmkit_social.leads.settings import LeadsSettings
from crmkit_social.leads.tables import form_mapping, lead
from crmkit_social.webhooks.model import Change, PermanentFailure

LEAD_FIELDS = (
    "created_time,id,field_data,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,"
    "form_id,is_organic,platform,custom_disclaimer_responses,vehicle"
)
CONSENT_SOURCE = "social.lead-form"
ENTITY = "social.lead"
GONE_CODES = frozenset({100})
GRAPH_ID = re.compile(r"^[0-9A-Za-z_-]{1,100}$")


def settings_of(app: Any) -> LeadsSettings:
    found: LeadsSettings = app.settings_of["social"].leads
    return found


def taken(conn: Connection, leadgen_id: str) -> Any:
    """The lead's row, if it was taken before."""
    return conn.execute(select(lead).where(lead.c.leadgen_id == leadgen_id)).first()


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _when(value: Any) -> datetime | None:
    """Meta's ``created_time``: ``2026-12-07T01:02:03+0000`` in a lead, a unix time in the
    change."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
            try:
                return datetime.strptime(value, pattern).astimezone(UTC)
            except ValueError:
                continue
    return None


def storable(value: Any) -> Any:
    """``value`` without the NUL characters no database stores in text or JSON."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    return value


def platform_of(account: Account, fetched: dict[str, Any]) -> str:
    """``instagram`` for a lead Meta says came through Instagram, else the account's platform."""
    said = str(fetched.get("platform") or "").lower()
    if said in ("ig", "instagram"):
        return "instagram"
    if said in ("fb", "facebook"):
        return "facebook"
    return account.platform


@frozen
class LeadFetched:
    """What ``fetch`` brings for a ``leadgen`` change: the lead, and its form's name when the
    form is not known by name yet (None: Graph did not say, or no need)."""

    lead: dict[str, Any]
    form_name: str | None = None


def fetch_lead(app: Crm, account: Account, leadgen_id: str) -> dict[str, Any]:
    """The lead as Graph has it; ``PermanentFailure`` when Meta no longer has it."""
    try:
        answer = graph_client(app, account).get(leadgen_id, {"fields": LEAD_FIELDS})
    except GraphError as error:
        if not error.transient and (error.status == 404 or error.code in GONE_CODES):
            raise PermanentFailure(
                f"lead {leadgen_id} cannot be fetched from Meta (deleted, or not this page's): "
                f"{error.message}"
            ) from error
        raise
    if not isinstance(answer.get("field_data"), list):
        # Not a lead (an error object under a 200, field_data missing or null): a failed
        # fetch, retried and then failed visibly, never taken in as an empty person.
        raise GraphError(
            200, None, f"GET {leadgen_id}: the answer is not a lead (no field_data list)", True
        )
    return answer


def leadgen_id_of(change: Change) -> str:
    """The change's leadgen id; ``PermanentFailure`` when it names none, or no Graph id."""
    leadgen_id = _text(change.value.get("leadgen_id"), 100)
    if leadgen_id is None:
        raise PermanentFailure("the leadgen change names no leadgen_id")
    if not GRAPH_ID.match(leadgen_id):
        # It goes into a Graph path: an id that is no Graph id must not name another object.
        raise PermanentFailure(f"the leadgen id {leadgen_id[:40]!r} is no Graph id")
    return leadgen_id


def fetch(app: Crm, account: Account, change: Change) -> LeadFetched | None:
    """The ``leadgen`` handler's network part, run with no transaction open: the lead and its
    form's name from Graph; None when the lead was taken before (nothing to fetch)."""
    leadgen_id = leadgen_id_of(change)
    with app.read() as conn:
        if taken(conn, leadgen_id) is not None:
            return None
    answer = fetch_lead(app, account, leadgen_id)
    form_id = _text(answer.get("form_id") or change.value.get("form_id"), 100)
    return LeadFetched(answer, form_name_of(app, account, form_id) if form_id else None)


def take_change(
    tx: Transaction, account: Account, change: Change, fetched: LeadFetched | None
) -> None:
    """The ``leadgen`` handler: take the fetched lead in once, record its consent."""
    leadgen_id = leadgen_id_of(change)
    tx.hold(f"social.lead.{leadgen_id}")
    if taken(tx.conn, leadgen_id) is not None:
        return
    if fetched is None:
        # Taken when it was fetched, gone now (erased meanwhile): fetch it on the next try.
        raise GraphError(0, None, f"lead {leadgen_id} was not fetched: try again", True)
    take_lead(tx, account, change.value, fetched.lead, leadgen_id, form_name=fetched.form_name)


def form_name_of(app: Crm, account: Account, form_id: str) -> str | None:
    """The form's name as Graph says, when the form is not known by name yet; None when it
    is, or Graph does not answer (the name is a nicety: the lead goes on without). Network:
    call it with no transaction open."""
    if not GRAPH_ID.match(form_id):
        return None
    with app.read() as conn:
        known = conn.execute(
            select(form_mapping.c.name).where(form_mapping.c.form_id == form_id)
        ).first()
    if known is not None and known.name:
        return None
    with contextlib.suppress(GraphError):
        answer = graph_client(app, account).get(form_id, {"fields": "name"})
        return _text(answer.get("name"), 300)
    return None


def remember_form(tx: Transaction, form_id: str, name: str | None) -> None:
    """Note a form the first time one of its leads comes, with its name as Graph said (none
    when Graph did not answer): the forms' list then shows it, ready for a mapping."""
    tx.hold(f"social.lead_form.{form_id}")
    known = tx.conn.execute(
        select(form_mapping.c.id, form_mapping.c.name).where(form_mapping.c.form_id == form_id)
    ).first()
    if known is not None and known.name:
        return
    now = utcnow()
    if known is not None:
        # Noted before its first lead (a mapping saved ahead), or Graph did not answer then.
        if name:
            tx.conn.execute(
                update(form_mapping)
                .where(form_mapping.c.id == known.id)
                .values(name=name, updated_at=now)
            )
        return
    tx.conn.execute(
        insert(form_mapping).values(
            form_id=form_id, name=name, fields={}, version=1, created_at=now, updated_at=now
        )
    )


def _refs(leadgen_id: str, about: dict[str, Any]) -> list[dict[str, str]]:
    refs = [{"kind": "social.lead", "id": leadgen_id}]
    for kind in ("form", "ad", "adset", "campaign"):
        if about[f"{kind}_id"]:
            refs.append({"kind": f"meta.{kind}", "id": about[f"{kind}_id"]})
    return refs


def _summary(about: dict[str, Any], mapped: Mapped) -> str:
    lines = []
    for kind, label in (
        ("form", "Form"),
        ("campaign", "Campaign"),
        ("adset", "Ad set"),
        ("ad", "Ad"),
    ):
        name, ident = about[f"{kind}_name"], about[f"{kind}_id"]
        if name or ident:
            lines.append(f"{label}: {name or ident}" + (f" ({ident})" if name and ident else ""))
    if about["is_organic"]:
        lines.append("Organic (no ad)")
    for name, values in mapped.unmapped.items():
        lines.append(f"{name}: {', '.join(values)}")
    return "\n".join(lines)


def take_lead(
    tx: Transaction,
    account: Account,
    notified: dict[str, Any],
    fetched: dict[str, Any],
    leadgen_id: str,
    *,
    form_name: str | None = None,
) -> int:
    """Take the fetched lead in (once; the caller holds ``social.lead.<id>``); its row's id.

    ``form_name``: the form's name as Graph said (see :func:`form_name_of`), noted for a form
    not known by name yet. Database work only: no Graph call."""
    settings = settings_of(tx.app)
    platform = platform_of(account, fetched)
    about: dict[str, Any] = {
        "form_id": _text(fetched.get("form_id") or notified.get("form_id"), 100),
        "ad_id": _text(fetched.get("ad_id") or notified.get("ad_id"), 100),
        "adset_id": _text(fetched.get("adset_id") or notified.get("adgroup_id"), 100),
        "campaign_id": _text(fetched.get("campaign_id"), 100),
        "ad_name": _text(fetched.get("ad_name"), 300),
        "adset_name": _text(fetched.get("adset_name"), 300),
        "campaign_name": _text(fetched.get("campaign_name"), 300),
        "is_organic": bool(fetched["is_organic"]) if "is_organic" in fetched else None,
    }
    if about["form_id"]:
        remember_form(tx, about["form_id"], form_name)
    form = get_form(tx.conn, settings, about["form_id"]) if about["form_id"] else None
    about["form_name"] = form.name if form is not None else None
    targets = form.targets if form is not None else defaults(settings)
    mapped = map_lead(
        fetched.get("field_data"),
        fetched.get("custom_disclaimer_responses"),
        targets,
        disclaimer_consent=settings.disclaimer_consent,
        purpose=settings.consent_purpose,
        channels=settings.consent_channels,
    )
    created_at = _when(fetched.get("created_time")) or _when(notified.get("created_time"))
    source = f"social.{platform}"
    try:
        with tx.conn.begin_nested():
            result = take_in_prospect(tx, mapped.data, source=source, vouched=settings.vouched)
    except ValidationError as refused:
        form_name = about["form_id"] or "(none)"
        raise PermanentFailure(
            f"the mapping of form {form_name} gives data intake refuses: {refused.field}: "
            f"{refused.message} (change the form's mapping, then retry)"
        ) from refused
    party_id = result.party_id
    interaction_id = None
    consents = 0
    if party_id is not None:
        subject = f"Lead form {about['form_name'] or about['form_id'] or ''}".strip()
        item = log_interaction(
            tx,
            build_interaction(
                {
                    "party_id": party_id,
                    "channel": platform,
                    "direction": "inbound",
                    "occurred_at": (created_at or utcnow()).isoformat(),
                    "subject": subject[:500],
                    "summary": _summary(about, mapped)[:100_000],
                    "refs": _refs(leadgen_id, about),
                },
                source="social",
            ),
        )
        interaction_id = item.id
        evidence = (
            f"Meta lead form {about['form_name'] or ''} ({about['form_id'] or 'unknown form'}), "
            f"lead {leadgen_id}, submitted {(created_at or utcnow()).isoformat()}"
        )
        for answer in mapped.consents:
            try:
                record_consent(
                    tx,
                    party_id,
                    answer.purpose,
                    answer.channel,
                    answer.status,
                    source=CONSENT_SOURCE,
                    evidence=f"{evidence}; question {answer.question}"[:10_000],
                )
            except CrmError as refused:
                mapped.problems[answer.question] = refused.message
                continue
            consents += 1
    raw = storable(
        {
            "field_data": fetched.get("field_data") or [],
            "custom_disclaimer_responses": fetched.get("custom_disclaimer_responses") or [],
            "unmapped": mapped.unmapped,
            "problems": mapped.problems,
            "mapped_by": mapped.targets,
            "vehicle": fetched.get("vehicle"),
        }
    )
    row = tx.conn.execute(
        insert(lead)
        .values(
            leadgen_id=leadgen_id,
            platform=platform,
            page_id=account.page_id,
            account_id=account.id,
            **about,
            outcome=result.outcome,
            party_id=party_id,
            interaction_id=interaction_id,
            findings=[f.as_json() for f in result.findings],
            consents=consents,
            raw=raw,
            lead_created_at=created_at,
            taken_at=utcnow(),
        )
        .returning(lead.c.id)
    ).scalar_one()
    tx.emit(
        "social.lead_taken",
        ENTITY,
        row,
        {
            "leadgen_id": leadgen_id,
            "party_id": party_id,
            "outcome": result.outcome,
            "form_id": about["form_id"],
            "platform": platform,
        },
    )
    return int(row)
