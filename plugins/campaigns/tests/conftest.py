"""Fixtures of the campaigns plugin's tests: a CRM with channels and campaigns (and sfa when
asked), marketers, parties with consent, requests as a user, a real SMTP relay.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from attrs import frozen
from sqlalchemy import insert

from crmkit import (
    Actor,
    Crm,
    Settings,
    utcnow,
)
from crmkit.testing import add_party, add_user, http_client

LINK_SECRET = "a-test-secret-of-at-least-32-characters"


def channel_settings(**overrides: Any) -> dict[str, Any]:
    """``[plugins.channels]``: mail from news@, to a relay nobody runs unless a test starts one."""
    return {
        "from_address": "Acme News <news@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": LINK_SECRET,
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none", "timeout": 5.0},
        **overrides,
    }


CampaignsMaker = Callable[..., Crm]


@pytest.fixture
def make_campaigns(make_crm: Callable[..., Crm]) -> CampaignsMaker:
    """``make_campaigns(campaigns={...}, channels={...}, plugins=(), sfa=False)``: a CRM with
    channels and campaigns (and sfa when ``sfa``) and these settings."""

    def factory(
        campaigns: dict[str, Any] | None = None,
        channels: dict[str, Any] | None = None,
        plugins: tuple[Any, ...] = (),
        sfa: bool = False,
        create_tables: bool = True,
    ) -> Crm:
        settings = Settings(
            database_url="sqlite://",
            strict_plugins=True,
            plugin_settings={
                "channels": channel_settings(**(channels or {})),
                "campaigns": campaigns or {},
            },
        )
        names: tuple[Any, ...] = ("channels", *(("sfa",) if sfa else ()), "campaigns")
        return make_crm(plugins=[*names, *plugins], settings=settings, create_tables=create_tables)

    return factory


@pytest.fixture
def crm(make_campaigns: CampaignsMaker) -> Crm:
    """A CRM with the channels and campaigns plugins, default settings, tables created."""
    return make_campaigns()


@frozen
class MarketingTeam:
    """A marketer who sees every customer; a manager of territory DE-10; a sales rep of FR-75."""

    marketer: Actor
    manager: Actor
    outsider: Actor


@pytest.fixture
def staff(crm: Crm) -> MarketingTeam:
    return MarketingTeam(
        marketer=add_user(crm, "mia", "marketing", team="marketing"),
        manager=add_user(crm, "max", "manager", team="north", territories=("DE-10",)),
        outsider=add_user(crm, "otto", "sales", team="west", territories=("FR-75",)),
    )


UserMaker = Callable[..., Actor]


PartyMaker = Callable[..., int]


@pytest.fixture
def new_party(crm: Crm) -> PartyMaker:
    """``new_party(role="customer", owner_id=None, consent=("marketing",), **data)``: a person in
    Berlin (territory DE-10) with email consent for each purpose in ``consent``; its id."""

    def make(
        role: str = "customer",
        owner_id: int | None = None,
        consent: tuple[str, ...] = ("marketing",),
        **data: Any,
    ) -> int:
        return add_party(crm, role, owner_id=owner_id, consent=consent, **data)

    return make


@pytest.fixture
def anonymous(crm: Crm) -> Any:
    """An HTTP client of ``crm`` signed on as nobody: public pages (registration, tracking)."""
    return http_client(crm)


@pytest.fixture
def relayed(make_campaigns: CampaignsMaker, smtp_relay: Any) -> CampaignsMaker:
    """``relayed(campaigns={...}, sfa=False)``: a CRM whose emails go to ``smtp_relay``."""

    def factory(**kwargs: Any) -> Crm:
        smtp = {"host": "127.0.0.1", "port": smtp_relay.port, "security": "none", "timeout": 5.0}
        return make_campaigns(channels={"smtp": smtp}, **kwargs)

    return factory


# --- results part (test_results_*.py) ------------------------------------------------------

RESULTS_HTML = (
    '<html><body><p>Spring is here: <a href="https://acme.example/spring">see the offer</a>.'
    ' <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)


class ResultsKit:
    """Campaign rows for the results tests, written as the campaigns part writes them."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    def campaign(self, *, status: str = "sending", **fields: Any) -> int:
        """A one-off email campaign with one variant ``A``; its id."""
        from crmkit_campaigns.campaigns.tables import campaign, variant

        now = utcnow()
        values: dict[str, Any] = {
            "name": "Spring offer",
            "kind": "one_off",
            "status": status,
            "purpose": "marketing",
            "time_zone": "Europe/Berlin",
            "test_share": 0,
            "currency": "EUR",
            "created_at": now,
            "updated_at": now,
            "version": 1,
            **fields,
        }
        with self.crm.transaction() as tx:
            stored = insert(campaign).values(**values).returning(campaign.c.id)
            campaign_id = int(tx.conn.execute(stored).scalar_one())
            tx.conn.execute(
                insert(variant).values(
                    campaign_id=campaign_id,
                    channel="email",
                    label="A",
                    split=100,
                    subject="Spring offer",
                    text="Spring is here: https://acme.example/spring",
                    html=RESULTS_HTML,
                    created_at=now,
                )
            )
        return campaign_id

    def members(self, campaign_id: int, party_ids: list[int], targeted_at: Any = None) -> list[int]:
        """Members of the campaign for ``party_ids``, ``targeted`` on the email channel; their ids."""
        from crmkit_campaigns.campaigns.tables import member, variant
        from sqlalchemy import select

        with self.crm.transaction() as tx:
            variant_id = tx.conn.execute(
                select(variant.c.id).where(variant.c.campaign_id == campaign_id)
            ).scalar_one()
            return [
                int(
                    tx.conn.execute(
                        insert(member)
                        .values(
                            campaign_id=campaign_id,
                            party_id=party_id,
                            occurrence="",
                            channel="email",
                            variant_id=variant_id,
                            in_test=0,
                            status="targeted",
                            targeted_at=targeted_at or utcnow(),
                        )
                        .returning(member.c.id)
                    ).scalar_one()
                )
                for party_id in party_ids
            ]

    def mail(self, member_ids: list[int]) -> None:
        """Queue each member's email with the channels plugin and note it on the member, as the
        campaigns part's send job does."""
        from crmkit_campaigns.campaigns.tables import member, variant
        from crmkit_channels import EmailMessage, send
        from sqlalchemy import select, update

        with self.crm.transaction() as tx:
            rows = tx.conn.execute(
                select(member.c.id, member.c.party_id, variant.c.subject, variant.c.text)
                .add_columns(variant.c.html)
                .join(variant, variant.c.id == member.c.variant_id)
                .where(member.c.id.in_(member_ids))
            ).all()
            for row in rows:
                out = send(
                    tx,
                    EmailMessage(
                        row.party_id, "marketing", subject=row.subject, text=row.text, html=row.html
                    ),
                )
                tx.conn.execute(
                    update(member)
                    .where(member.c.id == row.id)
                    .values(email_id=out.id, status=out.status, queued_at=utcnow())
                )


@pytest.fixture
def results_kit(crm: Crm) -> ResultsKit:
    """Campaigns, members and their emails for the results tests (see :class:`ResultsKit`)."""
    return ResultsKit(crm)


# --- Events part (E): an event made over the API, and the links its emails carry.


class EventDesk:
    """Helpers of the events tests: make an event as a marketer, register, read the emails."""

    def __init__(self, crm: Crm, client_as: Callable[[Actor], Any], staff: MarketingTeam) -> None:
        self.crm, self.client_as, self.staff = crm, client_as, staff

    def create(self, **fields: Any) -> dict[str, Any]:
        """A published event (3 days ahead, 2 hours long unless given) made over the API."""
        start = utcnow() + timedelta(days=3)
        body = {
            "kind": "webinar",
            "name": "Heat pumps explained",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "status": "published",
            **fields,
        }
        with self.client_as(self.staff.marketer) as client:
            made = client.post("/p/campaigns/events", json=body)
        assert made.status_code == 201, made.text
        created: dict[str, Any] = made.json()
        return created

    def register(self, client: Any, slug: str, **fields: str) -> Any:
        """Post the public form as a browser would."""
        data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.eu", **fields}
        return client.post(f"/p/campaigns/public/events/{slug}/register", data=data)

    def mails_to(self, smtp_relay: Any, address: str) -> list[Any]:
        """The emails the relay took for ``address``, after running channels' delivery job."""
        self.crm.jobs.run("channels.deliver_email")
        return [m for m in smtp_relay.handler.messages if m["To"] == address]

    @staticmethod
    def link(mail: Any, kind: str) -> str:
        """The path of the link of ``kind`` (confirm, cancel, qr) in the email's text."""
        text = mail.get_body(preferencelist=("plain",)).get_content()
        found = re.search(
            rf"https://crm\.acme\.example(/p/campaigns/public/events/{kind}\?t=\S+)", text
        )
        assert found, text
        return found.group(1)


@pytest.fixture
def desk(crm: Crm, client_as: Callable[[Actor], Any], staff: MarketingTeam) -> EventDesk:
    return EventDesk(crm, client_as, staff)


# --- plans and triggers parts (test_plans_*.py, test_triggers_*.py) ----------------------------


@pytest.fixture
def place_order() -> Callable[..., int]:
    """``place_order(crm, party_id, placed_at, lines, currency="EUR")``: see :func:`sfa_order`."""
    return sfa_order


def sfa_order(
    crm: Crm, party_id: int, placed_at: Any, lines: dict[str, str], currency: str = "EUR"
) -> int:
    """An sfa order of the party placed at ``placed_at`` with one line per product group
    (``{"heating": "5000.00"}``), written straight into sfa's tables (with the opportunity and
    quotation it needs: sfa exports only what campaigns reads); its id."""
    from decimal import Decimal

    from crmkit_sfa import opportunity_table, order_line_table, order_table, product_table

    from crmkit import metadata

    quotation = metadata.tables["sfa_quotation"]
    now = utcnow()
    net = sum((Decimal(v) for v in lines.values()), Decimal(0))
    totals = {"currency": currency, "total_net": net, "total_tax": Decimal(0), "total_gross": net}
    with crm.transaction() as tx:
        opportunity_id = tx.conn.execute(
            insert(opportunity_table)
            .values(
                party_id=party_id,
                pipeline="sales",
                stage="won",
                status="won",
                title="Deal",
                amount=net,
                currency=currency,
                probability=100,
                expected_close=now.date(),
                products=[],
                contacts=[],
                milestones=[],
                stage_entered_at=now,
                custom={},
                version=1,
                created_at=now,
                updated_at=now,
                closed_at=placed_at,
            )
            .returning(opportunity_table.c.id)
        ).scalar_one()
        quotation_id = tx.conn.execute(
            insert(quotation)
            .values(
                version=1,
                opportunity_id=opportunity_id,
                party_id=party_id,
                status="accepted",
                valid_until=now.date(),
                created_at=now,
                updated_at=now,
                **totals,
            )
            .returning(quotation.c.id)
        ).scalar_one()
        order_id = int(
            tx.conn.execute(
                insert(order_table)
                .values(
                    number=f"SO-{quotation_id}",
                    quotation_id=quotation_id,
                    opportunity_id=opportunity_id,
                    party_id=party_id,
                    placed_at=placed_at,
                    **totals,
                )
                .returning(order_table.c.id)
            ).scalar_one()
        )
        for position, (group, amount) in enumerate(lines.items(), 1):
            code = f"P-{order_id}-{position}"
            product_id = tx.conn.execute(
                insert(product_table)
                .values(
                    code=code,
                    name=group,
                    product_group=group,
                    unit="pc",
                    tax_rate=Decimal(0),
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
                .returning(product_table.c.id)
            ).scalar_one()
            tx.conn.execute(
                insert(order_line_table).values(
                    order_id=order_id,
                    position=position,
                    product_id=product_id,
                    product_code=code,
                    product_group=group,
                    description=group,
                    quantity=Decimal(1),
                    unit="pc",
                    unit_price=Decimal(amount),
                    discount=Decimal(0),
                    tax_rate=Decimal(0),
                    net=Decimal(amount),
                    tax=Decimal(0),
                    gross=Decimal(amount),
                )
            )
    return order_id
