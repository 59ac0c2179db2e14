"""The leads part of the demo: leads of the demo page's forms, each of a demo prospect that
the pages and the API show."""

from __future__ import annotations

from typing import Any

from crmkit_social.leads.tables import form_mapping, lead
from sqlalchemy import select

from crmkit import Crm, utcnow
from crmkit.testing import add_user, seed_demo_data


def test_the_demo_has_leads_of_its_prospects(social_crm: Crm, client_as: Any) -> None:
    seed_demo_data(social_crm, customers=10, prospects=20, now=utcnow())
    with social_crm.read() as conn:
        rows = list(conn.execute(select(lead)))
        forms = list(conn.execute(select(form_mapping.c.name)).scalars())
    assert len(rows) == 9 and len(forms) == 2
    assert [r.outcome for r in rows].count("rejected") == 1
    assert all(r.party_id is not None for r in rows if r.outcome != "rejected")


def test_the_demo_leads_show_on_the_page(crm: Crm, client_as: Any) -> None:
    seed_demo_data(crm, customers=10, prospects=20, now=utcnow())
    admin = add_user(crm, "leadadmin", "admin")
    page = client_as(admin).get("/p/social/page/leads")
    assert page.status_code == 200 and "Probefahrt anfragen" in page.text
