"""Quotations from draft to order: pricing, versions, validity, acceptance, the order's event, ERP status."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline.service import create_opportunity, get_opportunity
from crmkit_sfa.quotes import catalogue, orders, privacy, quotations
from crmkit_sfa.quotes.tables import order, quotation
from sqlalchemy import func, select, update

from crmkit import (
    SYSTEM,
    Actor,
    ConflictError,
    Crm,
    Event,
    NotFound,
    PermissionDenied,
    Settings,
    ValidationError,
    erase_party,
    export_party,
    get_party,
    hookimpl,
    merge_parties,
    metadata,
    utcnow,
)
from crmkit.testing import register_plugin

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam

TODAY = utcnow().date()


def d(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture
def price_list_id(crm: Crm) -> int:
    """Two products (forklift, pallet at a volume price) on a EUR price list valid today."""
    with crm.transaction() as tx:
        catalogue.create_product(
            tx,
            {
                "code": "FL-200",
                "name": "Forklift FL-200",
                "product_group": "forklifts",
                "tax_rate": "19",
            },
        )
        catalogue.create_product(
            tx,
            {
                "code": "PAL",
                "name": "Pallet",
                "product_group": "supplies",
                "unit": "pc",
                "tax_rate": "7",
            },
        )
        prices = catalogue.create_price_list(
            tx,
            {
                "name": "2026 list",
                "currency": "EUR",
                "valid_from": str(TODAY - timedelta(days=30)),
                "valid_to": str(TODAY + timedelta(days=300)),
                "prices": [
                    {"product_code": "FL-200", "unit_price": "24999.99"},
                    {"product_code": "PAL", "unit_price": "12.3450"},
                    {"product_code": "PAL", "min_quantity": "100", "unit_price": "11.1111"},
                ],
            },
        )
    return prices.id


def new_deal(crm: Crm, seller: Actor, party_id: int) -> int:
    with crm.transaction(seller) as tx:
        return create_opportunity(tx, {"party_id": party_id, "title": "Forklifts for Acme"}).id


@pytest.fixture
def deal(crm: Crm, team: SalesTeam, new_party: PartyMaker) -> int:
    """An open opportunity of the seller with a prospect in Berlin."""
    return new_deal(crm, team.seller, new_party(owner_id=team.seller.user_id))


def draft(
    crm: Crm, actor: Actor, deal: int, price_list_id: int | None, **data: Any
) -> quotations.Quotation:
    data.setdefault(
        "lines",
        [
            {
                "product_code": "FL-200",
                "quantity": "2",
                "discount": "2.5",
                "requested_date": "2027-03-01",
            },
            {"product_code": "PAL", "quantity": "150"},
        ],
    )
    with crm.transaction(actor) as tx:
        return quotations.create_quotation(
            tx, {"opportunity_id": deal, "price_list_id": price_list_id, **data}
        )


def send(crm: Crm, actor: Actor, quotation_id: int) -> quotations.Quotation:
    with crm.transaction(actor) as tx:
        return quotations.send_quotation(tx, quotation_id)


def accept(crm: Crm, actor: Actor, quotation_id: int) -> orders.Order:
    with crm.transaction(actor) as tx:
        return orders.accept_quotation(tx, quotation_id)


def test_lines_are_priced_from_the_volume_tier_and_totalled_per_line(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    created = draft(crm, team.seller, deal, price_list_id)
    with crm.read() as conn:
        stored = quotations.get_quotation(conn, created.id)
    assert stored == created
    forklift, pallets = stored.lines
    # 2 x 24999.99 less 2.5 % = 48749.9805 -> 48749.98; tax 19 % = 9262.4962 -> 9262.50.
    assert (forklift.unit_price, forklift.net, forklift.tax) == (
        d("24999.99"),
        d("48749.98"),
        d("9262.50"),
    )
    assert forklift.requested_date.isoformat() == "2027-03-01"  # type: ignore[union-attr]
    # 150 pallets reach the 100-piece tier: 150 x 11.1111 = 1666.665 -> 1666.67; 7 % = 116.6669 -> 116.67.
    assert (pallets.unit_price, pallets.net, pallets.tax, pallets.tax_rate) == (
        d("11.1111"),
        d("1666.67"),
        d("116.67"),
        d("7"),
    )
    assert (stored.total_net, stored.total_tax, stored.total_gross) == (
        d("50416.65"),
        d("9379.17"),
        d("59795.82"),
    )
    assert (stored.number, stored.version, stored.status, stored.currency) == (
        f"Q-{stored.id:06d}",
        1,
        "draft",
        "EUR",
    )
    assert stored.valid_until == TODAY + timedelta(days=30)


def test_below_the_volume_tier_the_base_price_applies(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    created = draft(
        crm, team.seller, deal, price_list_id, lines=[{"product_code": "PAL", "quantity": "99"}]
    )
    # 99 x 12.345 = 1222.155 -> 1222.16 (half up).
    assert (created.lines[0].unit_price, created.total_net) == (d("12.345"), d("1222.16"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"product_code": "FL-200", "quantity": 2.5}]}, "lines[0].quantity"),
        ({"lines": [{"product_code": "FL-200", "quantity": "0"}]}, "lines[0].quantity"),
        ({"lines": [{"product_code": "FL-200", "quantity": "1.0001"}]}, "lines[0].quantity"),
        ({"lines": [{"product_code": "NOPE", "quantity": "1"}]}, "lines[0].product_code"),
        (
            {"lines": [{"product_code": "PAL", "quantity": "1", "discount": "101"}]},
            "lines[0].discount",
        ),
        ({"lines": [{"product_code": "PAL", "quantity": "1", "colour": "red"}]}, "lines[0].colour"),
        ({"valid_until": str(TODAY - timedelta(days=1))}, "valid_until"),
        ({"currency": "USD"}, "currency"),
    ],
)
def test_bad_quotation_is_refused_naming_the_field_and_writes_nothing(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(crm, team.seller, deal, price_list_id, **change)
    assert refused.value.field == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(quotation)).scalar_one() == 0


def test_line_without_price_needs_a_price_list(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(crm, team.seller, deal, None, lines=[{"product_code": "PAL", "quantity": "1"}])
    assert refused.value.field == "lines[0].unit_price"
    given = draft(
        crm,
        team.seller,
        deal,
        None,
        lines=[{"product_code": "PAL", "quantity": "3", "unit_price": "0.3333"}],
    )
    # 3 x 0.3333 = 0.9999 -> 1.00; the opportunity's currency applies.
    assert (given.total_net, given.currency) == (d("1.00"), "EUR")


def test_price_list_must_be_valid_today(crm: Crm, team: SalesTeam, deal: int) -> None:
    with crm.transaction() as tx:
        catalogue.create_product(tx, {"code": "PAL", "name": "Pallet", "tax_rate": "7"})
        old = catalogue.create_price_list(
            tx,
            {
                "name": "2020",
                "currency": "EUR",
                "valid_to": "2020-12-31",
                "prices": [{"product_code": "PAL", "unit_price": "10"}],
            },
        )
    with pytest.raises(ValidationError) as refused:
        draft(crm, team.seller, deal, old.id, lines=[{"product_code": "PAL", "quantity": "1"}])
    assert refused.value.field == "price_list_id"


def test_a_draft_is_edited_in_place_a_sent_one_only_by_revision(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    created = draft(crm, team.seller, deal, price_list_id)
    with crm.transaction(team.seller) as tx:
        edited = quotations.update_quotation(
            tx,
            created.id,
            {"lines": [{"product_code": "PAL", "quantity": "10"}], "terms": "Net 30"},
        )
    assert (edited.id, edited.version, edited.terms, len(edited.lines)) == (
        created.id,
        1,
        "Net 30",
        1,
    )
    assert edited.total_net == d("123.45")
    send(crm, team.seller, created.id)
    with crm.transaction(team.seller) as tx, pytest.raises(ConflictError):
        quotations.update_quotation(tx, created.id, {"terms": "Net 60"})


def test_a_draft_given_the_values_it_has_comes_back_as_it_is(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    created = draft(crm, team.seller, deal, price_list_id, terms="Net 30")
    same = {
        "price_list_id": price_list_id,
        "valid_until": str(created.valid_until),
        "terms": "Net 30",
        "lines": [
            {
                "product_code": "FL-200",
                "quantity": "2.000",
                "discount": "2.50",
                "requested_date": "2027-03-01",
            },
            {"product_code": "PAL", "quantity": "150"},
        ],
    }
    with crm.transaction(team.seller) as tx:
        answers = [
            quotations.update_quotation(tx, created.id, {}),
            quotations.update_quotation(tx, created.id, same),
        ]
    assert answers == [created, created]
    with crm.read() as conn:
        assert quotations.get_quotation(conn, created.id) == created
    with crm.transaction(team.seller) as tx:
        edited = quotations.update_quotation(tx, created.id, {**same, "terms": "Net 60"})
    # Only the terms changed: the lines are kept as they were.
    assert (edited.terms, edited.lines) == ("Net 60", created.lines)
    assert edited.updated_at > created.updated_at


def test_revising_makes_a_new_version_and_keeps_the_old_one_superseded(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    first = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id)
    with crm.transaction(team.seller) as tx:
        second = quotations.revise_quotation(
            tx, first.id, {"lines": [{"product_code": "FL-200", "quantity": "1", "discount": "5"}]}
        )
    with crm.read() as conn:
        kept = quotations.get_quotation(conn, first.id)
        versions = quotations.versions_of(conn, first.number)
    assert (second.number, second.version, second.supersedes_id, second.status) == (
        first.number,
        2,
        first.id,
        "draft",
    )
    assert second.total_net == d("23749.99")  # 24999.99 less 5 % = 23749.9905
    # The earlier version is unchanged but for its status: what the customer saw stays on record.
    assert kept.lines == first.lines and kept.total_gross == first.total_gross
    assert kept.status == "superseded"
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "draft")]
    # Lines not given are copied at the prices they were quoted at.
    send(crm, team.seller, second.id)
    with crm.transaction(team.seller) as tx:
        third = quotations.revise_quotation(tx, second.id, {"terms": "Delivery in May"})
    assert third.lines == second.lines and third.version == 3
    with crm.transaction(team.seller) as tx, pytest.raises(ConflictError):
        quotations.revise_quotation(tx, first.id, {})


def test_accepting_places_the_order_wins_the_opportunity_and_converts_the_prospect(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    sent = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id)
    placed = accept(crm, team.seller, sent.id)
    with crm.read() as conn:
        accepted = quotations.get_quotation(conn, sent.id)
        won = get_opportunity(conn, deal)
        customer = get_party(conn, won.party_id)
        stored = orders.get_order(conn, placed.id)
    assert accepted.status == "accepted" and accepted.decided_at is not None
    assert won.status == "won"
    assert customer.role == "customer"
    assert stored == placed
    assert (placed.number, placed.quotation_id, placed.party_id, placed.owner_id) == (
        sent.number.replace("Q-", "SO-"),
        sent.id,
        won.party_id,
        team.seller.user_id,
    )
    assert (placed.total_net, placed.total_tax, placed.total_gross) == (
        sent.total_net,
        sent.total_tax,
        sent.total_gross,
    )
    assert [(x.product_code, x.product_group, x.quantity, x.net) for x in placed.lines] == [
        ("FL-200", "forklifts", d("2"), d("48749.98")),
        ("PAL", "supplies", d("150"), d("1666.67")),
    ]
    assert placed.erp_status is None


def collecting(make_crm: Callable[..., Crm], seen: list[Event]) -> Crm:
    class Listener:
        @hookimpl
        def on_event(self, event: Event) -> None:
            if event.type.startswith("sfa.order"):
                seen.append(event)

    return make_crm(
        plugins=["sfa", register_plugin(Listener(), name="erp_listener")], create_tables=False
    )


def test_accepting_twice_makes_one_order_and_one_event(
    crm: Crm, make_crm: Callable[..., Crm], team: SalesTeam, deal: int, price_list_id: int
) -> None:
    seen: list[Event] = []
    listening = collecting(make_crm, seen)
    sent = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id)
    first = accept(listening, team.seller, sent.id)
    again = accept(listening, team.manager, sent.id)
    assert again == first
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(order)).scalar_one() == 1
    assert [e.type for e in seen] == ["sfa.order_placed"]


def test_concurrent_acceptance_places_one_order(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    sent = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id)
    placed: list[int] = []
    failed: list[BaseException] = []
    start = threading.Barrier(2)

    def accept_now() -> None:
        start.wait()
        try:
            placed.append(accept(crm, team.seller, sent.id).id)
        except BaseException as exc:  # reported by the assertion below
            failed.append(exc)

    workers = [threading.Thread(target=accept_now) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failed == []
    assert len(placed) == 2 and placed[0] == placed[1]
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(order)).scalar_one() == 1


def test_order_placed_event_carries_what_an_erp_connector_needs(
    crm: Crm, make_crm: Callable[..., Crm], team: SalesTeam, deal: int, price_list_id: int
) -> None:
    seen: list[Event] = []
    listening = collecting(make_crm, seen)
    sent = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id, terms="Net 30").id)
    placed = accept(listening, team.seller, sent.id)
    [event] = seen
    assert (event.entity, event.entity_id) == ("sfa.order", str(placed.id))
    payload = event.payload
    assert payload["order"] == {
        "id": placed.id,
        "number": placed.number,
        "placed_at": placed.placed_at.isoformat(),
        "currency": "EUR",
        "total_net": "50416.65",
        "total_tax": "9379.17",
        "total_gross": "59795.82",
        "quotation_id": sent.id,
        "quotation_number": sent.number,
        "quotation_version": 1,
        "opportunity_id": deal,
        "terms": "Net 30",
    }
    customer = payload["customer"]
    # The prospect was converted by the win; its number (None until one is given) is carried along.
    assert (customer["role"], customer["id"]) == ("customer", placed.party_id)
    assert "customer_number" in customer
    assert customer["organisation_name"] == "Acme GmbH"
    assert customer["addresses"][0]["postcode"] == "10117"
    assert payload["owner"]["username"] == "sam"
    forklift = payload["lines"][0]
    assert forklift == {
        "position": 1,
        "product_id": forklift["product_id"],
        "product_code": "FL-200",
        "product_group": "forklifts",
        "description": "Forklift FL-200",
        "quantity": "2",
        "unit": "pc",
        "unit_price": "24999.99",
        "discount": "2.50",
        "tax_rate": "19.00",
        "net": "48749.98",
        "tax": "9262.50",
        "gross": "58012.48",
        "requested_date": "2027-03-01",
    }


def test_expired_quotation_cannot_be_accepted_and_the_job_marks_it(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    sent = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id)
    with crm.transaction() as tx:  # time passes
        tx.conn.execute(
            update(quotation)
            .where(quotation.c.id == sent.id)
            .values(valid_until=TODAY - timedelta(days=1))
        )
    with pytest.raises(ConflictError, match="expired"):
        accept(crm, team.seller, sent.id)
    assert crm.jobs.run("sfa.expire_quotations").ok
    with crm.read() as conn:
        assert quotations.get_quotation(conn, sent.id).status == "expired"
        assert get_opportunity(conn, deal).status == "open"
        assert conn.execute(select(func.count()).select_from(order)).scalar_one() == 0
    # A revision with a new date can be sent and accepted.
    with crm.transaction(team.seller) as tx:
        renewed = quotations.revise_quotation(tx, sent.id, {})
    assert renewed.valid_until >= TODAY
    send(crm, team.seller, renewed.id)
    assert accept(crm, team.seller, renewed.id).quotation_id == renewed.id


def test_only_sent_quotations_are_accepted(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    created = draft(crm, team.seller, deal, price_list_id)
    with pytest.raises(ConflictError, match="draft"):
        accept(crm, team.seller, created.id)
    send(crm, team.seller, created.id)
    with crm.transaction(team.seller) as tx:
        quotations.reject_quotation(tx, created.id)
    with pytest.raises(ConflictError, match="rejected"):
        accept(crm, team.seller, created.id)


def test_erp_status_moves_forward_and_a_repeated_report_changes_nothing(
    crm: Crm, make_crm: Callable[..., Crm], team: SalesTeam, deal: int, price_list_id: int
) -> None:
    seen: list[Event] = []
    listening = collecting(make_crm, seen)
    placed = accept(
        crm, team.seller, send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id).id
    )

    def report(status: str, reference: str | None = None) -> orders.Order:
        with listening.transaction(SYSTEM) as tx:
            return orders.update_erp_status(
                tx, placed.id, {"erp_status": status, "erp_reference": reference}
            )

    assert report("sent").erp_status == "sent"
    confirmed = report("confirmed", "SAP-4711")
    assert (confirmed.erp_status, confirmed.erp_reference) == ("confirmed", "SAP-4711")
    assert report("confirmed").erp_reference == "SAP-4711"
    with pytest.raises(ConflictError):
        report("sent")
    assert report("invoiced").erp_status == "invoiced"
    assert [e.payload["erp_status"] for e in seen if e.type == "sfa.order_erp_status"] == [
        "sent",
        "confirmed",
        "invoiced",
    ]
    with listening.transaction(SYSTEM) as tx, pytest.raises(ValidationError) as refused:
        orders.update_erp_status(tx, placed.id, {"erp_status": "lost"})
    assert refused.value.field == "erp_status"
    with listening.transaction(team.seller) as tx, pytest.raises(PermissionDenied):
        orders.update_erp_status(tx, placed.id, {"erp_status": "invoiced"})


def test_a_quotation_is_seen_by_whoever_sees_its_opportunity(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    created = draft(crm, team.seller, deal, price_list_id)
    with crm.read() as conn:
        for actor in (team.seller, team.manager, team.territory_seller):
            assert quotations.visible_quotation(crm, conn, actor, created.id).id == created.id
            listed = quotations.list_quotations(crm, conn, actor).items
            assert [q.id for q in listed] == [created.id]
        with pytest.raises(NotFound):
            quotations.visible_quotation(crm, conn, team.outsider, created.id)
        assert quotations.list_quotations(crm, conn, team.outsider).items == []
    # To whoever may not see it, it does not exist, for changes too.
    with crm.transaction(team.outsider) as tx, pytest.raises(NotFound):
        quotations.send_quotation(tx, created.id)
    with pytest.raises(ValidationError) as raised:
        draft(crm, team.outsider, deal, price_list_id)
    assert raised.value.field == "opportunity_id"
    send(crm, team.seller, created.id)
    with pytest.raises(NotFound):
        accept(crm, team.outsider, created.id)


def test_merge_moves_quotations_and_orders_export_holds_them_erasure_forgets_them(
    crm: Crm,
    make_crm: Callable[..., Crm],
    team: SalesTeam,
    new_party: PartyMaker,
    price_list_id: int,
) -> None:
    seen: list[Event] = []
    listening = collecting(make_crm, seen)
    duplicate, survivor = new_party(), new_party(organisation_name="Acme AG")
    deal = new_deal(crm, team.seller, duplicate)
    placed = accept(
        listening,
        team.seller,
        send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id).id,
    )
    with crm.transaction() as tx:
        merge_parties(tx, survivor, duplicate)
    with crm.read() as conn:
        assert orders.get_order(conn, placed.id).party_id == survivor
        exported = export_party(conn, crm.host, survivor)["sfa"]
    assert [q["number"] for q in exported["quotations"]] == [placed.number.replace("SO-", "Q-")]
    assert exported["orders"][0]["total_gross"] == "59795.82"
    assert exported["orders"][0]["lines"][0]["product_code"] == "FL-200"
    with crm.transaction() as tx:
        erase_party(tx, survivor)
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(order)).scalar_one() == 0
        assert privacy.export_of(conn, survivor) == {"quotations": [], "orders": []}
    # The event that carried the customer to the ERP keeps only the order's id.
    outbox_table = metadata.tables["core_outbox"]
    with crm.read() as conn:
        kept = conn.execute(
            select(outbox_table.c.payload).where(outbox_table.c.event_type == "sfa.order_placed")
        ).scalar_one()
    assert seen[0].payload["customer"]["organisation_name"] == "Acme GmbH"
    assert kept == {"id": placed.id}


def test_yen_quotation_has_whole_amounts(crm: Crm, team: SalesTeam, deal: int) -> None:
    with crm.transaction() as tx:
        catalogue.create_product(tx, {"code": "BOLT", "name": "Bolt", "tax_rate": "10"})
        yen = catalogue.create_price_list(
            tx,
            {
                "name": "Japan",
                "currency": "JPY",
                "prices": [{"product_code": "BOLT", "unit_price": "12.5"}],
            },
        )
    # 3 x 12.5 = 37.5 -> 38 yen; tax 10 % = 3.8 -> 4; three lines total 114 + 12.
    created = draft(
        crm, team.seller, deal, yen.id, lines=[{"product_code": "BOLT", "quantity": "3"}] * 3
    )
    assert created.currency == "JPY"
    assert [(x.net, x.tax) for x in created.lines] == [(d("38"), d("4"))] * 3
    assert (str(created.total_net), str(created.total_tax), str(created.total_gross)) == (
        "114",
        "12",
        "126",
    )


def test_validity_comes_from_the_settings(
    make_crm: Callable[..., Crm], team: SalesTeam, deal: int, price_list_id: int
) -> None:
    settings = Settings(plugin_settings={"sfa": {"quotes": {"validity_days": 10}}})
    configured = make_crm(plugins=["sfa"], settings=settings, create_tables=False)
    created = draft(configured, team.seller, deal, price_list_id)
    assert created.valid_until == TODAY + timedelta(days=10)


def test_product_codes_are_unique_and_withdrawn_products_are_not_quoted(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    with crm.transaction() as tx, pytest.raises(ConflictError):
        catalogue.create_product(tx, {"code": "PAL", "name": "Another pallet", "tax_rate": "7"})
    with crm.transaction() as tx:
        [pallet] = [p for p in catalogue.list_products(tx.conn) if p.code == "PAL"]
        withdrawn = catalogue.update_product(tx, pallet.id, {"active": False, "tax_rate": "19"})
    assert (withdrawn.active, withdrawn.tax_rate, withdrawn.code) == (False, d("19"), "PAL")
    with crm.read() as conn:
        assert [p.code for p in catalogue.list_products(conn)] == ["FL-200"]
    with pytest.raises(ValidationError) as refused:
        draft(
            crm, team.seller, deal, price_list_id, lines=[{"product_code": "PAL", "quantity": "1"}]
        )
    assert refused.value.field == "lines[0].product_code"
    with crm.transaction() as tx, pytest.raises(ValidationError) as bad:
        catalogue.update_product(tx, pallet.id, {"tax_rate": "-1"})
    assert bad.value.field == "tax_rate"


def test_a_product_given_the_values_it_has_comes_back_as_it_is(
    crm: Crm, price_list_id: int
) -> None:
    with crm.read() as conn:
        [pallet] = [p for p in catalogue.list_products(conn) if p.code == "PAL"]
    same = {"name": "Pallet", "product_group": "supplies", "unit": "pc", "tax_rate": "7.00"}
    with crm.transaction() as tx:
        answer = catalogue.update_product(tx, pallet.id, {**same, "active": True})
    assert answer == pallet
    with crm.read() as conn:
        assert catalogue.get_product(conn, pallet.id) == pallet


def test_amounts_beyond_what_is_stored_are_refused(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    huge = {"product_code": "FL-200", "quantity": "99999999999", "unit_price": "99999"}
    with pytest.raises(ValidationError) as refused:
        draft(crm, team.seller, deal, price_list_id, lines=[huge])
    assert refused.value.field == "lines[0].quantity"
    large = {
        "product_code": "FL-200",
        "quantity": "9000000000",
        "unit_price": "10000",
        "tax_rate": "0",
    }
    with pytest.raises(ValidationError) as too_many:
        draft(crm, team.seller, deal, price_list_id, lines=[large, large])
    assert too_many.value.field == "lines"


def test_replacing_a_price_list_reprices_new_lines_only(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    before = draft(crm, team.seller, deal, price_list_id)
    with crm.transaction() as tx:
        replaced = catalogue.replace_price_list(
            tx,
            price_list_id,
            {
                "name": "2026 list, revised",
                "currency": "EUR",
                "valid_from": str(TODAY),
                "prices": [{"product_code": "PAL", "unit_price": "10"}],
            },
        )
    assert [(p.product_code, p.min_quantity, p.unit_price) for p in replaced.prices] == [
        ("PAL", d("1"), d("10"))
    ]
    after = draft(
        crm, team.seller, deal, price_list_id, lines=[{"product_code": "PAL", "quantity": "150"}]
    )
    with crm.read() as conn:
        assert quotations.get_quotation(conn, before.id).lines == before.lines
        assert [p.id for p in catalogue.list_price_lists(conn, valid_on=TODAY)] == [price_list_id]
        assert catalogue.list_price_lists(conn, valid_on=TODAY - timedelta(days=1)) == []
    assert after.total_net == d("1500.00")
    with pytest.raises(ValidationError) as refused:
        draft(
            crm,
            team.seller,
            deal,
            price_list_id,
            lines=[{"product_code": "FL-200", "quantity": "1"}],
        )
    assert refused.value.field == "lines[0].unit_price"


def test_a_second_quotation_of_a_won_opportunity_is_an_add_on_order(
    crm: Crm, team: SalesTeam, deal: int, price_list_id: int
) -> None:
    main = send(crm, team.seller, draft(crm, team.seller, deal, price_list_id).id)
    add_on = send(
        crm,
        team.seller,
        draft(
            crm, team.seller, deal, price_list_id, lines=[{"product_code": "PAL", "quantity": "5"}]
        ).id,
    )
    first, second = accept(crm, team.seller, main.id), accept(crm, team.seller, add_on.id)
    assert first.id != second.id and second.total_net == d("61.73")  # 5 x 12.345 = 61.725
    with crm.read() as conn:
        assert get_opportunity(conn, deal).status == "won"
    # A won opportunity takes no new quotations.
    with pytest.raises(ConflictError, match="won"):
        draft(crm, team.seller, deal, price_list_id)
