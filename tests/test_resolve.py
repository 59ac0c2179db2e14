"""Resolving the party of a machine source's event, and intake inside the caller's transaction."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    Resolution,
    ValidationError,
    build_interaction,
    build_party,
    create_party,
    find_by_external_id,
    get_party,
    link_external_id,
    log_interaction,
    merge_parties,
    resolve_party,
    take_in_prospect,
)
from crmkit.core.intake.merge_log import merges_of
from crmkit.core.tables import (
    audit,
    external_id,
    interaction,
    match_review,
    merge_log,
    notification,
    outbox,
    party,
)

ANNA = {
    "first_name": "Anna",
    "last_name": "Berg",
    "emails": ["anna.berg@web.de"],
    "phones": ["+49 170 4417352"],
}


def resolve(crm: Crm, data: dict[str, Any], actor: Actor = SYSTEM, **key: Any) -> Resolution:
    with crm.transaction(actor) as tx:
        return resolve_party(tx, data, source="helpdesk", **key)


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def linked(crm: Crm, system: str, value: str) -> int | None:
    with crm.read() as conn:
        found = find_by_external_id(conn, system, value)
    return None if found is None else found.id


def stored(crm: Crm, data: dict[str, Any], role: str = "prospect") -> int:
    with crm.transaction() as tx:
        party_id = create_party(tx, build_party(role, data, region="DE")).id
    assert party_id is not None
    return party_id


# --- New parties


def test_a_vouched_source_creates_a_prospect_known_only_by_its_email(crm: Crm) -> None:
    found = resolve(
        crm, {"emails": ["Kim.Ott@Firma.de"]}, system="helpdesk", external_id="U-17", vouched=True
    )
    assert found.outcome == "created" and found.found_by is None
    assert found.intake is not None and found.party_id is not None
    assert {f.code: f.severity for f in found.intake.findings} == {"name_unknown": "soft"}
    with crm.read() as conn:
        prospect = get_party(conn, found.party_id)
    assert prospect.display_name == "Kim.Ott@Firma.de"
    assert [e.normalised for e in prospect.emails] == ["kim.ott@firma.de"]
    assert linked(crm, "helpdesk", "U-17") == found.party_id


def test_a_phone_number_alone_stands_in_for_the_name_too(crm: Crm) -> None:
    found = resolve(crm, {"phones": ["0170 4417352"]}, vouched=True)
    assert found.outcome == "created" and found.party_id is not None
    with crm.read() as conn:
        assert get_party(conn, found.party_id).display_name == "+491704417352"


def test_a_source_that_does_not_vouch_still_needs_a_name(crm: Crm) -> None:
    found = resolve(crm, {"emails": ["kim.ott@firma.de"]}, system="helpdesk", external_id="U-17")
    assert found.outcome == "rejected" and found.party_id is None
    assert found.intake is not None
    assert [f.code for f in found.intake.findings] == ["name_missing"]
    assert count(crm, party) == 0
    assert count(crm, external_id) == 0


def test_a_vouched_source_reaches_a_person_through_its_own_id(crm: Crm) -> None:
    # A social network's sender: a name and the network's id, no email, phone or address.
    sender = {"first_name": "Kim", "last_name": "Ott"}
    found = resolve(crm, sender, system="facebook.page.1001", external_id="PS-7", vouched=True)
    assert found.outcome == "created" and found.party_id is not None
    assert found.intake is not None
    assert "no_contact_route" not in {f.code for f in found.intake.findings}
    assert linked(crm, "facebook.page.1001", "PS-7") == found.party_id
    again = resolve(crm, sender, system="facebook.page.1001", external_id="PS-7", vouched=True)
    assert (again.outcome, again.party_id, again.found_by) == (
        "found",
        found.party_id,
        "external_id",
    )


@pytest.mark.parametrize(
    "key", [{}, {"system": "facebook.page.1001", "external_id": "PS-7", "vouched": False}]
)
def test_without_an_id_of_a_vouching_source_a_person_needs_a_way_to_reach_them(
    crm: Crm, key: dict[str, Any]
) -> None:
    found = resolve(crm, {"first_name": "Kim", "last_name": "Ott"}, **key)
    assert found.outcome == "rejected" and found.intake is not None
    assert "no_contact_route" in {f.code for f in found.intake.findings}
    assert count(crm, party) == 0


def test_test_data_is_rejected_even_from_a_vouched_source(crm: Crm) -> None:
    found = resolve(crm, {"emails": ["test@example.com"]}, vouched=True)
    assert found.outcome == "rejected" and found.intake is not None
    assert {f.code for f in found.intake.findings} == {
        "name_unknown",
        "email_fake",
        "no_contact_route",
    }
    assert count(crm, party) == 0


# --- Known parties: a match, not a merge


def test_a_repeat_event_is_a_match_that_changes_nothing(crm: Crm) -> None:
    first = resolve(crm, ANNA, system="helpdesk", external_id="U-17")
    assert first.outcome == "created" and first.party_id is not None
    events, audited = count(crm, outbox), count(crm, audit)
    with crm.read() as conn:
        before = get_party(conn, first.party_id)
    again = {**ANNA, "first_name": "Annie", "phones": ["+49 30 901820"]}
    found = resolve(crm, again, system="helpdesk", external_id="U-17", vouched=True)
    assert found == Resolution("found", first.party_id, "external_id")
    with crm.read() as conn:
        after = get_party(conn, first.party_id)
        assert merges_of(conn, first.party_id) == []
    assert (after.version, after.first_name, after.phones) == (
        before.version,
        before.first_name,
        before.phones,
    )
    assert count(crm, merge_log) == 0
    assert (count(crm, outbox), count(crm, audit)) == (events, audited)
    assert count(crm, party) == 1


def test_a_known_email_is_a_match_and_links_the_id(crm: Crm) -> None:
    anna = stored(crm, ANNA, role="customer")
    found = resolve(
        crm, {"emails": ["ANNA.BERG@web.de"]}, system="helpdesk", external_id="U-17", vouched=True
    )
    assert found == Resolution("found", anna, "email")
    assert linked(crm, "helpdesk", "U-17") == anna
    assert count(crm, party) == 1


def test_a_known_phone_in_another_format_is_a_match(crm: Crm) -> None:
    anna = stored(crm, ANNA)
    found = resolve(crm, {"last_name": "Berg", "phones": ["0170 441 73 52"]})
    assert found == Resolution("found", anna, "phone")


def test_the_external_id_comes_before_email_and_email_before_phone(crm: Crm) -> None:
    anna = stored(crm, ANNA)
    ben = stored(crm, {"last_name": "Brandt", "phones": ["+49 30 901820"]})
    carl = stored(crm, {"last_name": "Claus", "emails": ["carl@claus.de"]})
    with crm.transaction() as tx:
        link_external_id(tx, carl, "helpdesk", "U-17")
    by_email = {"last_name": "Berg", "emails": ["anna.berg@web.de"], "phones": ["+49 30 901820"]}
    assert resolve(crm, by_email) == Resolution("found", anna, "email")
    assert resolve(crm, by_email, system="helpdesk", external_id="U-17") == Resolution(
        "found", carl, "external_id"
    )
    by_phone = {"last_name": "Brandt", "emails": ["nobody@brandt.de"], "phones": ["030 901820"]}
    assert resolve(crm, by_phone) == Resolution("found", ben, "phone")


def test_a_key_several_parties_share_goes_through_intake(crm: Crm) -> None:
    shared = "office@berg-gmbh.de"
    one = stored(crm, {"first_name": "Anna", "last_name": "Berg", "emails": [shared]})
    two = stored(crm, {"first_name": "Otto", "last_name": "Berg", "emails": [shared]})
    data = {"first_name": "Anna", "last_name": "Berg", "emails": [shared], "phones": ["030 901820"]}
    found = resolve(crm, data, vouched=True)
    # Intake's matching picks the holder that is the same person; that is a merge, logged.
    assert (found.outcome, found.party_id, found.found_by) == ("merged", one, None)
    assert found.party_id != two
    assert count(crm, merge_log) == 1


def events_of(crm: Crm, event_type: str) -> int:
    with crm.read() as conn:
        query = select(func.count()).where(outbox.c.event_type == event_type)
        return int(conn.execute(query).scalar_one())


def test_a_repeat_event_on_a_shared_address_is_a_match_not_an_empty_merge(crm: Crm) -> None:
    shared = "office@shared.de"
    for name in ("Shared Ltd", "Shared Trading Ltd"):
        stored(crm, {"kind": "organisation", "organisation_name": name, "emails": [shared]})
    first = resolve(crm, {"emails": [shared]}, vouched=True)
    assert first.outcome == "created" and first.party_id is not None
    events = count(crm, outbox)
    again = [resolve(crm, {"emails": [shared]}, vouched=True) for _ in range(2)]
    assert [(r.outcome, r.party_id, r.found_by) for r in again] == [
        ("found", first.party_id, None)
    ] * 2
    assert count(crm, merge_log) == 0
    assert (events_of(crm, "party.merged"), events_of(crm, "prospect.received")) == (0, 1)
    assert (count(crm, party), count(crm, outbox)) == (3, events)


def test_a_repeat_prospect_adding_nothing_is_matched_by_intake_too(crm: Crm) -> None:
    with crm.transaction() as tx:
        first = take_in_prospect(tx, ANNA, source="shop", vouched=True)
    with crm.transaction() as tx:
        again = take_in_prospect(tx, {**ANNA, "emails": ["Anna.Berg@web.de"]}, source="shop")
    assert (again.outcome, again.party_id) == ("matched", first.party_id)
    assert count(crm, merge_log) == 0
    assert (events_of(crm, "party.merged"), events_of(crm, "prospect.received")) == (0, 1)


# --- Record rules


def test_a_party_the_actor_may_not_see_is_hidden_and_nothing_is_made(crm: Crm, world: Any) -> None:
    parties, events = count(crm, party), count(crm, outbox)
    data = {
        "first_name": "Sue_Own",
        "last_name": "Leakcheck",
        "emails": ["sue_own@example.org"],
        "phones": ["+49 30 555 1002"],
    }
    sam = world.actors["sam"]
    # Every event of the same person: no duplicate, no review for its owner, no id told.
    for n in range(3):
        found = resolve(crm, data, actor=sam, system="helpdesk", external_id="S-NEW", vouched=True)
        assert found == Resolution("hidden", None, "email"), n
    assert (count(crm, party), count(crm, match_review), count(crm, notification)) == (
        parties,
        0,
        0,
    )
    assert count(crm, outbox) == events
    assert linked(crm, "helpdesk", "S-NEW") is None


def test_an_id_held_by_a_hidden_party_is_neither_handed_out_nor_taken_away(
    crm: Crm, world: Any
) -> None:
    hidden = world.parties["sue_own"]
    with crm.transaction() as tx:
        link_external_id(tx, hidden, "helpdesk", "U-17")
    parties = count(crm, party)
    data = {"first_name": "Kim", "last_name": "Ott", "emails": ["kim@ott.de"]}
    for _ in range(2):
        found = resolve(crm, data, actor=world.actors["sam"], system="helpdesk", external_id="U-17")
        assert found == Resolution("hidden", None, "external_id")
    assert count(crm, party) == parties
    assert linked(crm, "helpdesk", "U-17") == hidden


def test_a_visible_party_is_found_for_a_restricted_actor(crm: Crm, world: Any) -> None:
    own = world.parties["sam_own"]
    found = resolve(crm, {"emails": ["sam_own@example.org"]}, actor=world.actors["sam"])
    assert found == Resolution("found", own, "email")


# --- The caller's transaction


def test_resolving_and_logging_roll_back_together(crm: Crm) -> None:
    with pytest.raises(RuntimeError), crm.transaction() as tx:
        found = resolve_party(tx, ANNA, source="helpdesk", system="helpdesk", external_id="U-17")
        assert found.party_id is not None
        item = build_interaction(
            {"party_id": found.party_id, "channel": "email", "direction": "inbound"},
            source="helpdesk",
        )
        log_interaction(tx, item)
        raise RuntimeError("the connector's own row could not be written")
    for table in (party, external_id, interaction, outbox, audit):
        assert count(crm, table) == 0, table.name


def test_take_in_prospect_commits_and_rolls_back_with_the_caller(crm: Crm) -> None:
    with pytest.raises(RuntimeError), crm.transaction() as tx:
        result = take_in_prospect(tx, ANNA, source="shop", vouched=True)
        assert result.outcome == "created"
        raise RuntimeError("the caller failed afterwards")
    for table in (party, outbox, audit):
        assert count(crm, table) == 0, table.name
    with crm.transaction() as tx:
        result = take_in_prospect(tx, ANNA, source="shop", vouched=True)
    assert result.outcome == "created" and result.party_id is not None
    with crm.read() as conn:
        assert get_party(conn, result.party_id).display_name == "Anna Berg"
        received = conn.execute(
            select(func.count()).where(outbox.c.event_type == "prospect.received")
        ).scalar_one()
    assert received == 1


# --- Bad input


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ({"system": "helpdesk"}, "external_id"),
        ({"external_id": "U-17"}, "system"),
        ({"system": "Help Desk", "external_id": "U-17"}, "system"),
        ({"system": "helpdesk", "external_id": ""}, "external_id"),
    ],
)
def test_a_half_or_bad_external_key_is_refused(crm: Crm, key: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        resolve(crm, ANNA, **key)
    assert raised.value.field == field
    assert count(crm, party) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**ANNA, "shoe_size": 42}, "shoe_size"),
        ({"emails": "anna.berg@web.de"}, "emails"),
        ({"emails": ["anna.berg@web.de"], "last_name": 42}, "last_name"),
    ],
)
def test_data_of_the_wrong_shape_is_refused_naming_the_field_even_for_a_known_party(
    crm: Crm, data: dict[str, Any], field: str
) -> None:
    anna = stored(crm, ANNA)
    with crm.transaction() as tx:
        link_external_id(tx, anna, "helpdesk", "U-17")
    events = count(crm, outbox)
    with pytest.raises(ValidationError) as raised:
        resolve(crm, data, system="helpdesk", external_id="U-17", vouched=True)
    assert raised.value.field == field
    assert (count(crm, party), count(crm, outbox)) == (1, events)


# --- At the same moment


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        (ANNA, ["U-17"] * 4),
        ({"emails": ["lea.sommer@firma.de"]}, [None] * 4),
        ({"emails": ["lea.sommer@firma.de"]}, ["U-1", "U-2", "U-3", "U-4"]),
        ({"phones": ["+49 30 5550172"]}, [None] * 4),
    ],
    ids=["same external id", "email only", "email, other ids", "phone only"],
)
def test_events_of_a_new_person_at_once_make_one_party(
    crm: Crm, data: dict[str, Any], ids: list[str | None]
) -> None:
    results: list[Resolution] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(ids))

    def event(external_id: str | None) -> None:
        system = None if external_id is None else "helpdesk"
        try:
            start.wait()
            results.append(resolve(crm, data, system=system, external_id=external_id, vouched=True))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=event, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.outcome for r in results) == ["created"] + ["found"] * (len(ids) - 1)
    assert count(crm, party) == 1


# --- A name standing in for a missing one


def test_the_real_name_of_a_party_known_by_its_email_merges_and_replaces_the_stand_in(
    crm: Crm,
) -> None:
    known = resolve(
        crm, {"emails": ["kim.ott@firma.de"]}, system="hd", external_id="K-1", vouched=True
    )
    assert known.outcome == "created" and known.party_id is not None
    form = {"first_name": "Kim", "last_name": "Ott", "emails": ["kim.ott@firma.de"]}
    with crm.transaction() as tx:
        named = take_in_prospect(tx, form, source="web", vouched=True)
    assert (named.outcome, named.party_id) == ("merged", known.party_id)
    with crm.read() as conn:
        survivor = get_party(conn, known.party_id)
        (entry,) = merges_of(conn, known.party_id)
    assert (survivor.first_name, survivor.last_name) == ("Kim", "Ott")
    assert survivor.display_name == "Kim Ott"
    assert entry.filled == {"first_name": "Kim", "last_name": "Ott"}
    assert count(crm, party) == 1


@pytest.mark.parametrize("survivor", ["stand-in", "named"])
def test_a_merge_takes_the_real_name_over_the_stand_in_whichever_side_survives(
    crm: Crm, survivor: str
) -> None:
    known = resolve(crm, {"emails": ["kim.ott@firma.de"]}, vouched=True).party_id
    named = stored(crm, {"first_name": "Kim", "last_name": "Ott", "emails": ["kim@ott.de"]})
    assert known is not None
    into, away = (known, named) if survivor == "stand-in" else (named, known)
    with crm.transaction() as tx:
        merge_parties(tx, into, away)
    with crm.read() as conn:
        merged = get_party(conn, into)
    assert (merged.first_name, merged.last_name, merged.display_name) == ("Kim", "Ott", "Kim Ott")
    assert {e.normalised for e in merged.emails} == {"kim.ott@firma.de", "kim@ott.de"}
