"""The intake pipeline: normalise, sanity check, match, score, assign, store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import Column, ForeignKey, Integer, Table, func, insert, select

from crmkit import (
    SYSTEM,
    Event,
    Finding,
    IntakeResult,
    Prospect,
    Transaction,
    hookimpl,
    intake_prospect,
    metadata,
)
from crmkit.app import Crm
from crmkit.core.entities import User
from crmkit.core.errors import ConfigurationError, ValidationError
from crmkit.core.intake.merge_log import merges_of
from crmkit.core.intake.review import decide, get_review, list_reviews
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.pagination import encode_cursor
from crmkit.core.parties import build_party, create_party, get_party, merge_parties
from crmkit.core.privacy import erase_party
from crmkit.core.settings import IntakeSettings, load_settings
from crmkit.core.tables import audit, match_key, outbox, party
from crmkit.core.users import create_user
from crmkit.testing import register_plugin

MakeCrm = Callable[..., Crm]
ANNA = {
    "first_name": "Anna",
    "last_name": "Berg",
    "emails": ["anna.berg@web.de"],
    "phones": ["+49 170 4417352"],
    "addresses": [
        {"street": "Hauptstraße", "street_number": "5", "postcode": "10115", "city": "Berlin"}
    ],
}


def take(app: Crm, data: dict[str, Any], source: str = "test") -> IntakeResult:
    return intake_prospect(app, SYSTEM, data, source=source, vouched=True)


def codes(result: IntakeResult) -> dict[str, str]:
    return {f.code: f.severity for f in result.findings}


def stored(app: Crm, party_id: int) -> Any:
    with app.read() as conn:
        return conn.execute(select(party).where(party.c.id == party_id)).one()


def parties(app: Crm) -> int:
    with app.read() as conn:
        return int(conn.execute(select(func.count()).select_from(party)).scalar_one())


def with_intake(make_crm: MakeCrm, plugins: Any = (), **intake: Any) -> Crm:
    app = make_crm(plugins)
    settings = attrs.evolve(app.settings, intake=IntakeSettings(**intake))
    app.settings = settings
    return app


# --- Normalising


def test_names_emails_phones_and_addresses_are_normalised(crm: Crm) -> None:
    result = take(
        crm,
        {
            "first_name": "  ANNA ",
            "last_name": "berg",
            "emails": [" Anna.Berg@Web.DE "],
            "phones": ["0170 4417352"],
            "addresses": [{"street": "hauptstraße", "postcode": "10115 ", "country": "germany"}],
        },
    )

    assert result.outcome == "created" and result.party_id is not None
    with crm.read() as conn:
        anna = get_party(conn, result.party_id)
    assert (anna.first_name, anna.last_name) == ("Anna", "Berg")
    assert anna.emails[0].original == "Anna.Berg@Web.DE"
    assert anna.emails[0].normalised == "anna.berg@web.de"
    assert [p.e164 for p in anna.phones] == ["+491704417352"]
    assert anna.addresses[0].country == "DE" and anna.addresses[0].street == "Hauptstraße"


def test_unusable_values_are_dropped_with_a_soft_finding(crm: Crm) -> None:
    result = take(crm, {**ANNA, "emails": ["anna@", *ANNA["emails"]], "phones": ["12"]})

    assert result.outcome == "created"
    assert codes(result) == {"email_invalid": "soft", "phone_invalid": "soft"}
    assert {f.field for f in result.findings} == {"emails[0]", "phones[0]"}
    assert result.quality == 70
    with crm.read() as conn:
        anna = get_party(conn, result.party_id or 0)
    assert [e.normalised for e in anna.emails] == ["anna.berg@web.de"] and anna.phones == ()


def test_data_of_the_wrong_shape_raises_naming_the_field(crm: Crm) -> None:
    with pytest.raises(ValidationError) as caught:
        take(crm, {**ANNA, "nickname": "A"})
    assert caught.value.field == "nickname"
    with pytest.raises(ValidationError) as caught:
        take(crm, {**ANNA, "phones": [30]})
    assert caught.value.field == "phones[0]"
    assert parties(crm) == 0


# --- Sanity rules


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"first_name": "test", "last_name": "test"}, "fake_name"),
        ({"first_name": "Asdf", "last_name": "asdf"}, "fake_name"),
        ({"first_name": "Max", "last_name": "Mustermann"}, "fake_name"),
        ({"first_name": None, "last_name": "1234567"}, "fake_name"),
        ({"first_name": None, "last_name": None}, "name_missing"),
        ({"emails": [], "phones": [], "addresses": []}, "no_contact_route"),
        ({"emails": ["nope@"], "phones": ["12"], "addresses": []}, "no_contact_route"),
        ({"emails": [], "phones": ["+49 30 1234567"], "addresses": []}, "no_contact_route"),
    ],
)
def test_hard_findings_reject_and_store_nothing(crm: Crm, data: dict[str, Any], code: str) -> None:
    result = take(crm, {**ANNA, **data})

    assert result.outcome == "rejected" and result.party_id is None
    assert codes(result)[code] == "hard"
    assert result.quality == 0
    assert parties(crm) == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"emails": ["anna@mailinator.com"]}, "email_disposable"),
        ({"emails": ["anna@sub.yopmail.com"]}, "email_disposable"),
        ({"emails": ["test@example.com"]}, "email_fake"),
        ({"phones": ["+49 30 1234567"]}, "phone_fake"),
        ({"phones": ["+49 170 7777777"]}, "phone_fake"),
        ({"phones": ["+49 900 1234568"]}, "phone_type"),
        ({"phones": ["+33 6 12 43 56 78"]}, "phone_region"),
        ({"first_name": None}, "name_incomplete"),
        ({"addresses": [{"city": "Berlin", "country": "Atlantis"}]}, "country_unknown"),
    ],
)
def test_soft_findings_are_stored_with_a_lower_quality(
    crm: Crm, data: dict[str, Any], code: str
) -> None:
    result = take(crm, {**ANNA, **data})

    assert result.outcome == "created"
    assert codes(result) == {code: "soft"}
    assert result.quality < 100
    row = stored(crm, result.party_id or 0)
    assert [f["code"] for f in row.findings] == [code] and row.quality == result.quality


def test_a_clean_prospect_has_full_quality_and_no_findings(crm: Crm) -> None:
    result = take(crm, ANNA)

    assert result.findings == () and result.quality == 100
    assert stored(crm, result.party_id or 0).findings == []


def test_phone_region_follows_the_address_country(crm: Crm) -> None:
    french = {
        **ANNA,
        "phones": ["06 12 43 56 78"],
        "addresses": [{"city": "Lyon", "country": "FR"}],
    }

    result = take(crm, french)

    assert result.findings == ()
    with crm.read() as conn:
        assert get_party(conn, result.party_id or 0).phones[0].e164 == "+33612435678"


def test_disabled_rules_and_extra_disposable_domains_are_configurable(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, disabled_rules=("fake_name",), disposable_domains=("Spam.Example",))

    result = take(
        app, {**ANNA, "first_name": "Test", "last_name": "Test", "emails": ["a@spam.example"]}
    )

    assert result.outcome == "created"
    assert codes(result) == {"email_disposable": "soft"}


class SanityPlugin:
    @hookimpl
    def sanity_check(self, record: Prospect) -> list[Finding] | None:
        if record.last_name == "Banned":
            return [Finding("blocklisted", "hard", "last_name", "on the blocklist")]
        if record.source == "fair":
            return [Finding("unverified_source", "soft", "source", "a fair lead")]
        return None


def test_hook_sanity_check(make_crm: MakeCrm) -> None:
    app = make_crm([register_plugin(SanityPlugin(), name="checks")])

    banned = take(app, {**ANNA, "last_name": "Banned"})
    fair = take(app, ANNA, source="fair")

    assert banned.outcome == "rejected" and codes(banned) == {"blocklisted": "hard"}
    assert fair.outcome == "created" and codes(fair) == {"unverified_source": "soft"}
    assert fair.quality == 85
    assert parties(app) == 1


# --- Matching


def create(app: Crm, role: str = "prospect", **data: Any) -> int:
    with app.transaction() as tx:
        created = create_party(tx, build_party(role, data, region="DE"))
    assert created.id is not None
    return created.id


def test_a_duplicate_above_the_merge_threshold_is_merged_into_the_existing_party(
    crm: Crm,
) -> None:
    customer = create(crm, "customer", **ANNA)

    result = take(crm, {**ANNA, "first_name": "Anna", "emails": ["a.berg@gmail.com"]})

    assert result.outcome == "merged" and result.party_id == customer
    assert parties(crm) == 1
    with crm.read() as conn:
        survivor = get_party(conn, customer)
    assert survivor.role == "customer"
    assert {e.normalised for e in survivor.emails} == {"anna.berg@web.de", "a.berg@gmail.com"}


def test_a_fuzzy_duplicate_is_found_without_any_shared_contact_point(crm: Crm) -> None:
    existing = create(crm, **{**ANNA, "birth_date": "1980-04-02"})

    result = take(
        crm,
        {
            "first_name": "Ana",
            "last_name": "Berg",
            "birth_date": "1980-04-02",
            "emails": ["anna.b@posteo.de"],
            "addresses": [{"street": "Hauptstr.", "street_number": "5", "postcode": "10115"}],
        },
    )

    # Same name but for a typo, same birth date and address: the engine is sure (0.99).
    assert result.outcome == "merged" and result.party_id == existing
    assert parties(crm) == 1


def test_a_possible_duplicate_between_the_thresholds_goes_to_the_review_queue(
    make_crm: MakeCrm,
) -> None:
    app = with_intake(make_crm, merge_threshold=1.0, review_threshold=0.5)
    existing = create(app, **ANNA)

    result = take(app, ANNA)

    assert result.outcome == "review" and result.party_id != existing
    assert parties(app) == 2
    with app.read() as conn:
        (review,) = list_reviews(conn).items
    assert (review.candidate_id, review.existing_id, review.status) == (
        result.party_id,
        existing,
        "open",
    )
    assert result.reviews == (review.id,)


@pytest.mark.parametrize("last_id", ["1", "x", None, True, 1.5])
def test_the_review_queue_refuses_a_cursor_the_server_did_not_issue(crm: Crm, last_id: Any) -> None:
    with crm.read() as conn, pytest.raises(ValidationError) as caught:
        list_reviews(conn, cursor=encode_cursor([last_id]))

    assert caught.value.field == "cursor"


def test_a_merge_settles_the_review_pairing_the_two_and_repoints_the_others(
    make_crm: MakeCrm,
) -> None:
    app = with_intake(make_crm, merge_threshold=1.0, review_threshold=0.5)
    existing = create(app, **ANNA)
    first = take(app, ANNA)
    second = take(app, ANNA)
    assert first.party_id is not None and second.party_id is not None

    with app.transaction() as tx:
        merge_parties(tx, existing, first.party_id)

    with app.read() as conn:
        merged = list_reviews(conn, status="merged").items
        still_open = list_reviews(conn).items
    assert [(r.candidate_id, r.existing_id, r.merged_id) for r in merged] == [
        (existing, existing, first.party_id)
    ]
    assert merged[0].decided_at is not None
    assert {(r.candidate_id, r.existing_id) for r in still_open} == {(second.party_id, existing)}
    assert {r.merged_id for r in still_open} == {None}
    assert len(still_open) == 2


def test_a_review_decided_as_merge_keeps_the_id_of_the_party_merged_away(
    make_crm: MakeCrm,
) -> None:
    app = with_intake(make_crm, merge_threshold=1.0, review_threshold=0.5)
    existing = create(app, **ANNA)
    (review_id,) = take(app, ANNA).reviews
    with app.transaction() as tx:
        candidate = get_review(tx.conn, review_id).candidate_id
        decided = decide(tx, get_review(tx.conn, review_id), "merge")
    with app.read() as conn:
        stored_review = get_review(conn, review_id)
    assert decided == stored_review
    assert (decided.status, decided.existing_id, decided.merged_id) == (
        "merged",
        existing,
        candidate,
    )


def test_nothing_is_merged_below_the_merge_threshold(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, merge_threshold=0.99, review_threshold=0.98)
    create(app, last_name="Berg", first_name="Anna", emails=["anna.berg@web.de"])

    result = take(app, {**ANNA, "first_name": "Hans", "last_name": "Krause"})

    # Another name at the same address and email is another person of the household.
    assert result.outcome == "created" and result.reviews == ()
    assert parties(app) == 2


def test_a_different_person_is_new(crm: Crm) -> None:
    create(crm, **ANNA)

    result = take(
        crm,
        {"first_name": "Jonas", "last_name": "Weber", "emails": ["jonas.weber@gmx.de"]},
    )

    assert result.outcome == "created" and parties(crm) == 2


def test_match_keys_follow_creates_updates_and_merges(crm: Crm) -> None:
    first = take(crm, ANNA)
    assert first.party_id is not None

    with crm.read() as conn:
        keys = set(
            conn.execute(
                select(match_key.c.key).where(match_key.c.party_id == first.party_id)
            ).scalars()
        )
    assert "e:anna.berg@web.de" in keys and "p:+491704417352" in keys

    again = take(crm, {**ANNA, "emails": ["anna@berg.example"]})
    assert again.outcome == "merged"
    with crm.read() as conn:
        owners = set(conn.execute(select(match_key.c.party_id)).scalars())
    assert owners == {first.party_id}


# --- Merge keeps everything and logs it


notes = Table(
    "intakenotes_note",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", Integer, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
)


class NotesPlugin:
    @hookimpl
    def register_tables(self) -> list[Table]:
        return [notes]

    @hookimpl
    def parties_merged(self, tx: Transaction, survivor_id: int, merged_id: int) -> None:
        tx.conn.execute(
            notes.update().where(notes.c.party_id == merged_id).values(party_id=survivor_id)
        )


def test_merge_keeps_interactions_contact_points_custom_and_plugin_rows(
    make_crm: MakeCrm,
) -> None:
    app = with_intake(make_crm, [register_plugin(NotesPlugin(), name="intakenotes")])
    existing = create(app, **{k: v for k, v in ANNA.items() if k != "first_name"})
    duplicate = create(app, **{**ANNA, "emails": ["anna@berg.example"], "birth_date": "1980-04-02"})
    with app.transaction() as tx:
        log_interaction(
            tx,
            build_interaction({"party_id": duplicate, "channel": "phone", "direction": "inbound"}),
        )
        tx.conn.execute(insert(notes).values(party_id=duplicate))

    with app.transaction() as tx:
        merge_parties(tx, existing, duplicate)

    with app.read() as conn:
        survivor = get_party(conn, existing)
        note_owner = conn.execute(select(notes.c.party_id)).scalar_one()
        (entry,) = merges_of(conn, existing)
    assert note_owner == existing
    assert {e.normalised for e in survivor.emails} == {"anna.berg@web.de", "anna@berg.example"}
    assert survivor.first_name == "Anna" and str(survivor.birth_date) == "1980-04-02"
    assert entry.merged_id == duplicate and entry.merged_name == "Anna Berg"
    assert entry.merged_by == "system"
    assert entry.filled == {"first_name": "Anna", "birth_date": "1980-04-02"}
    assert entry.contact_points == [{"kind": "email", "value": "anna@berg.example"}]
    assert entry.moved["interactions"] == 1


def test_an_intake_merge_keeps_the_survivors_intake_data_and_fills_what_it_lacks(
    crm: Crm,
) -> None:
    existing = create(crm, **ANNA)
    assert stored(crm, existing).quality is None

    result = take(crm, ANNA)

    row = stored(crm, existing)
    assert result.outcome == "matched"
    assert row.quality == 100 and row.score == result.score and row.score_band == result.band
    assert row.first_contact_due_at is not None


class Witness:
    """What plugins are told of an intake: hooks inside its transaction, events after it."""

    def __init__(self) -> None:
        self.saved: list[tuple[str, int | None, str]] = []
        self.merged: list[tuple[int, int]] = []
        self.events: list[Event] = []

    @hookimpl
    def entity_saved(self, entity_type: str, entity: Any, change: str) -> None:
        self.saved.append((entity_type, entity.id, change))

    @hookimpl
    def parties_merged(self, survivor_id: int, merged_id: int) -> None:
        self.merged.append((survivor_id, merged_id))

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.events.append(event)


def test_a_merged_intake_announces_the_survivors_change_and_no_prospect_that_never_existed(
    make_crm: MakeCrm,
) -> None:
    witness = Witness()
    app = make_crm([register_plugin(witness, name="witness")])
    customer = create(app, "customer", **ANNA)
    witness.saved.clear()
    witness.events.clear()

    result = take(app, {**ANNA, "emails": ["a.berg@gmail.com"], "birth_date": "1980-04-02"})

    assert result.outcome == "merged" and result.party_id == customer
    assert [(e.type, e.payload) for e in witness.events] == [
        (
            "customer.updated",
            {"id": customer, "fields": ["birth_date", "emails"], "version": 2},
        ),
        ("party.merged", {"survivor_id": customer, "merged_id": None}),
        (
            "prospect.received",
            {
                "id": customer,
                "outcome": "merged",
                "source": "test",
                "quality": 100,
                "score": result.score,
                "band": result.band,
            },
        ),
    ]
    assert witness.saved == [("customer", customer, "updated")]
    assert witness.merged == []
    with app.read() as conn:
        trail = conn.execute(select(audit.c.entity_id, audit.c.action).order_by(audit.c.id)).all()
        stored_events = conn.execute(select(outbox.c.event_type)).scalars().all()
    assert [tuple(row) for row in trail] == [(str(customer), "created"), (str(customer), "merged")]
    assert "prospect.created" not in stored_events


def test_an_intake_with_nothing_new_is_a_match_that_announces_and_logs_nothing(
    crm: Crm,
) -> None:
    existing = create(crm, **ANNA)
    with crm.read() as conn:
        before = conn.execute(select(func.max(outbox.c.id))).scalar_one()

    results = [take(crm, ANNA) for _ in range(2)]

    assert [(r.outcome, r.party_id) for r in results] == [("matched", existing)] * 2
    with crm.read() as conn:
        types = conn.execute(select(outbox.c.event_type).where(outbox.c.id > before)).scalars()
        assert list(types) == []
        assert merges_of(conn, existing) == []
        # An edit of the party's owner based on what they read is not made stale by it.
        assert get_party(conn, existing).version == 1


def test_an_intake_merge_logs_what_the_prospect_brought_as_any_merge(crm: Crm) -> None:
    existing = create(crm, **ANNA)

    result = take(crm, {**ANNA, "emails": ["anna@berg.example"], "birth_date": "1980-04-02"})

    assert result.outcome == "merged"
    with crm.read() as conn:
        (entry,) = merges_of(conn, existing)
        survivor = get_party(conn, existing)
    assert (entry.survivor_id, entry.merged_id) == (existing, None)
    assert (entry.merged_name, entry.merged_by) == ("Anna Berg", "system")
    assert entry.filled == {"birth_date": "1980-04-02"}
    assert entry.kept == {} and entry.custom == []
    assert entry.contact_points == [{"kind": "email", "value": "anna@berg.example"}]
    assert entry.moved == {"interactions": 0, "external_ids": 0, "consents": 0}
    assert str(survivor.birth_date) == "1980-04-02"
    assert [e.normalised for e in survivor.emails] == ["anna.berg@web.de", "anna@berg.example"]


class RefuseExampleOrg:
    @hookimpl
    def entity_validate(self, entity_type: str, entity: Any, changes: dict[str, Any]) -> None:
        if "emails" in changes and any(
            e.normalised.endswith("@example.org") for e in entity.emails
        ):
            raise ValidationError("emails", "example.org addresses are test data")


def test_a_plugin_refusing_the_survivors_change_refuses_the_merged_intake(
    make_crm: MakeCrm,
) -> None:
    app = make_crm([register_plugin(RefuseExampleOrg(), name="refuser")])
    existing = create(app, **ANNA)

    with pytest.raises(ValidationError) as caught:
        take(app, {**ANNA, "emails": ["anna@example.org"]})

    assert caught.value.field == "emails"
    with app.read() as conn:
        assert get_party(conn, existing).version == 1
        assert merges_of(conn, existing) == []


# --- Scoring


class ScoringPlugin:
    @hookimpl
    def score_prospect(self, prospect: Prospect) -> tuple[int, str] | None:
        return (25, "came from the fair") if prospect.source == "fair" else None


def test_score_sums_the_rules_and_plugin_contributions_with_reasons(make_crm: MakeCrm) -> None:
    app = make_crm([register_plugin(ScoringPlugin(), name="fairs")])

    plain = take(app, {**ANNA, "last_name": "Adler", "emails": ["x.adler@web.de"], "phones": []})
    fair = take(
        app, {**ANNA, "last_name": "Brandt", "emails": ["y.brandt@web.de"], "phones": []}, "fair"
    )

    assert fair.score == plain.score + 25
    reasons = stored(app, fair.party_id or 0).score_reasons
    assert {"points": 25, "reason": "came from the fair", "source": "fairs"} in reasons
    assert sum(r["points"] for r in reasons) == fair.score


def test_bands_and_first_contact_deadlines_follow_the_settings(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, hot_score=60, warm_score=35, hot_deadline_hours=2)

    hot = take(app, ANNA)
    cold = take(app, {"last_name": "Kühn", "addresses": [{"street": "Ring", "city": "Köln"}]})

    assert (hot.band, cold.band) == ("hot", "cold")
    row = stored(app, hot.party_id or 0)
    assert row.score_band == "hot"
    assert (row.first_contact_due_at - row.created_at).total_seconds() == 2 * 3600
    cold_row = stored(app, cold.party_id or 0)
    assert (cold_row.first_contact_due_at - cold_row.created_at).days == 7


# --- Assignment


def users(app: Crm, *specs: dict[str, Any]) -> list[int]:
    with app.transaction() as tx:
        return [create_user(tx, User(**spec)).id or 0 for spec in specs]


SALES = (
    {"username": "sam", "display_name": "Sam", "role": "sales", "territories": ("DE-1",)},
    {"username": "sue", "display_name": "Sue", "role": "sales", "territories": ("DE",)},
    {"username": "max", "display_name": "Max", "role": "marketing"},
)


def person(n: int, postcode: str = "80331") -> dict[str, Any]:
    return {
        "first_name": "Eva",
        "last_name": ["Adler", "Brandt", "Claus", "Dorn", "Ernst"][n],
        "emails": [f"eva{n}@firma{n}.de"],
        "addresses": [{"street": "Weg", "postcode": postcode, "city": "Ort", "country": "DE"}],
    }


def test_round_robin_takes_the_salespeople_in_turn(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, assignment="round_robin")
    sam, sue, _ = users(app, *SALES)

    owners = [stored(app, take(app, person(n)).party_id or 0).owner_id for n in range(3)]

    assert owners == [sam, sue, sam]


def test_territory_assigns_the_closest_territory(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, assignment="territory")
    sam, sue, _ = users(app, *SALES)

    berlin = take(app, person(0, "10115"))
    munich = take(app, person(1, "80331"))

    assert stored(app, berlin.party_id or 0).owner_id == sam
    assert stored(app, munich.party_id or 0).owner_id == sue


def test_workload_assigns_the_salesperson_with_fewest_open_prospects(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, assignment="workload")
    sam, sue, _ = users(app, *SALES)
    create(app, last_name="Busy", emails=["busy@firma.de"], owner_id=sam)

    result = take(app, person(0))

    assert stored(app, result.party_id or 0).owner_id == sue


class OwnerPlugin:
    def __init__(self, owner: int) -> None:
        self.owner = owner

    @hookimpl
    def assign_owner(self, tx: Transaction, prospect: Prospect) -> int | None:
        return self.owner if prospect.source == "partner" else None


def test_assign_owner_plugin_decides_before_the_strategy(make_crm: MakeCrm) -> None:
    app = make_crm()
    sam, sue, maxi = users(app, *SALES)
    app = make_crm([register_plugin(OwnerPlugin(maxi), name="partners")])

    partner = take(app, person(0), source="partner")
    other = take(app, person(1))

    assert stored(app, partner.party_id or 0).owner_id == maxi
    assert stored(app, other.party_id or 0).owner_id in (sam, sue)


def test_prospect_received_event_is_emitted(crm: Crm) -> None:
    result = take(crm, ANNA, source="web")

    with crm.read() as conn:
        payloads = (
            conn.execute(select(outbox.c.payload).where(outbox.c.event_type == "prospect.received"))
            .scalars()
            .all()
        )
    assert payloads == [
        {
            "id": result.party_id,
            "outcome": "created",
            "source": "web",
            "quality": 100,
            "score": result.score,
            "band": result.band,
        }
    ]


# --- Settings


def test_the_intake_table_of_crmkit_toml_is_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "crmkit.toml"
    config.write_text(
        '[intake]\nassignment = "territory"\nwarm_deadline_hours = 8\ndisabled_rules = ["x"]\n',
        encoding="utf-8",
    )

    intake = load_settings(environ={}, config_path=config).intake

    assert intake.assignment == "territory" and intake.disabled_rules == ("x",)
    assert intake.first_contact_deadline("warm") == timedelta(hours=8)
    assert intake.first_contact_deadline("hot") == timedelta(hours=1)
    assert intake.expire_after == timedelta(days=30)
    config.write_text("[intake]\nreview_threshold = 0.95\nmerge_threshold = 0.9\n")
    with pytest.raises(ConfigurationError, match="review_threshold"):
        load_settings(environ={}, config_path=config)
    config.write_text('[intake]\nassignment = "lottery"\n')
    with pytest.raises(ConfigurationError, match="assignment"):
        load_settings(environ={}, config_path=config)


def test_erasing_a_party_erases_its_match_keys_reviews_and_merge_log(make_crm: MakeCrm) -> None:
    app = with_intake(make_crm, merge_threshold=1.0, review_threshold=0.5)
    survivor = create(app, **ANNA)
    duplicate = create(app, **{**ANNA, "emails": ["anna@berg.example"]})
    with app.transaction() as tx:
        merge_parties(tx, survivor, duplicate)
    queued = take(app, ANNA)
    assert queued.outcome == "review"

    with app.transaction() as tx:
        erase_party(tx, survivor)

    with app.read() as conn:
        assert merges_of(conn, survivor) == []
        assert list_reviews(conn).items == []
        left = conn.execute(select(match_key.c.party_id).distinct()).scalars().all()
    assert left == [queued.party_id]
