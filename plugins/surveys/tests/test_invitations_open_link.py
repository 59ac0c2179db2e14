"""A survey's open link: each browser gets an anonymous invitation of its own, kept by a
cookie across reloads; a rotated or withdrawn link, or a closed survey, opens nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crmkit_surveys.invitations.links import invitation_for_token
from crmkit_surveys.invitations.tables import invitation, open_link
from sqlalchemy import func, select

from crmkit import Crm
from crmkit.testing import http_client


def anonymous_invitations(crm: Crm) -> int:
    with crm.read() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(invitation).where(invitation.c.party_id.is_(None))
            ).scalar_one()
        )


def test_each_browser_gets_an_invitation_of_its_own_and_keeps_it(
    crm: Crm, staff: Any, client_as: Any, publish_survey: Any
) -> None:
    survey_id = publish_survey(crm)
    made = client_as(staff.marketer).post(f"/p/surveys/surveys/{survey_id}/open-link")
    assert made.status_code == 201, made.text
    link = urlsplit(made.json()["url"])
    assert (link.scheme, link.netloc) == ("https", "crm.acme.example")

    with (
        http_client(crm, follow_redirects=False) as first,
        http_client(crm, follow_redirects=False) as second,
    ):
        opened = first.get(link.path)
        assert opened.status_code == 303
        answer_path = opened.headers["location"]
        assert answer_path.startswith("/p/surveys/a/")
        assert first.get(link.path).headers["location"] == answer_path, (
            "a reload keeps its invitation"
        )
        other = second.get(link.path).headers["location"]
        assert other != answer_path
    assert anonymous_invitations(crm) == 2
    with crm.read() as conn:
        found = invitation_for_token(conn, answer_path.removeprefix("/p/surveys/a/"))
    assert found is not None
    assert (found.survey_id, found.party_id, found.channel, found.status) == (
        survey_id,
        None,
        "link",
        "sent",
    )


def test_a_rotated_or_withdrawn_link_and_a_closed_survey_open_nothing(
    crm: Crm, staff: Any, client_as: Any, publish_survey: Any
) -> None:
    from crmkit_surveys.definitions.service import close

    survey_id = publish_survey(crm)
    client = client_as(staff.marketer)
    old = urlsplit(client.post(f"/p/surveys/surveys/{survey_id}/open-link").json()["url"]).path
    new = urlsplit(client.post(f"/p/surveys/surveys/{survey_id}/open-link").json()["url"]).path
    with http_client(crm, follow_redirects=False) as browser:
        assert browser.get(old).status_code == 404
        assert browser.get("/p/surveys/o/" + "x" * 43).status_code == 404
        assert browser.get(new).status_code == 303
        assert client.delete(f"/p/surveys/surveys/{survey_id}/open-link").status_code == 204
        assert browser.get(new).status_code == 404
        assert client.delete(f"/p/surveys/surveys/{survey_id}/open-link").status_code == 404
        reopened = urlsplit(
            client.post(f"/p/surveys/surveys/{survey_id}/open-link").json()["url"]
        ).path
        with crm.transaction() as tx:
            close(tx, survey_id)
        assert browser.get(reopened).status_code == 404
    assert anonymous_invitations(crm) == 1


def test_only_senders_make_open_links(
    crm: Crm, staff: Any, client_as: Any, publish_survey: Any
) -> None:
    survey_id = publish_survey(crm)
    assert (
        client_as(staff.agent).post(f"/p/surveys/surveys/{survey_id}/open-link").status_code == 403
    )
    assert client_as(staff.marketer).post("/p/surveys/surveys/999/open-link").status_code == 404


def test_a_bad_open_link_gets_the_plain_public_page(crm: Crm) -> None:
    with http_client(crm, follow_redirects=False) as browser:
        page = browser.get("/p/surveys/o/" + "x" * 43)
        german = browser.get("/p/surveys/o/" + "x" * 43, params={"lang": "de"})
    assert page.status_code == 404 and "This link is not valid" in page.text
    assert "Log out" not in page.text and "<nav" not in page.text and "search" not in page.text
    assert "no-store" in page.headers["cache-control"]
    assert german.status_code == 404 and "Dieser Link ist nicht gültig" in german.text


def test_no_open_link_is_made_for_a_draft_or_closed_survey(
    crm: Crm, staff: Any, client_as: Any, publish_survey: Any
) -> None:
    from crmkit_surveys.definitions.service import close, create_survey

    with crm.transaction() as tx:
        draft = create_survey(tx, {"name": "Draft"}).id
    closed = publish_survey(crm, name="Closed")
    with crm.transaction() as tx:
        close(tx, closed)
    client = client_as(staff.marketer)
    for survey_id in (draft, closed):
        refused = client.post(f"/p/surveys/surveys/{survey_id}/open-link")
        assert refused.status_code == 409, refused.text
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(open_link)).scalar_one() == 0
