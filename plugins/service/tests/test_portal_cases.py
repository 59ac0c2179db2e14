"""The portal's cases: only the customer's own party's, filed with checked attachments, answered,
followed through public events only, rated once per resolution; public articles; privacy."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from crmkit_service.cases.relations import merge_cases
from crmkit_service.cases.service import add_note, change_status, open_case, reply
from crmkit_service.cases.tables import case as case_table
from crmkit_service.knowledge.articles import create_article
from crmkit_service.knowledge.tables import feedback as article_feedback
from crmkit_service.portal.tables import attachment, case_rating, link_request, portal_session
from sqlalchemy import func, select

from crmkit import Crm, erase_party, export_party
from crmkit.testing import http_client

PORTAL = "/p/service/portal"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.fixture
def crm(relayed_service: Callable[..., Crm]) -> Crm:
    return relayed_service(service={"portal": {"max_attachment_bytes": 2000, "max_attachments": 2}})


@pytest.fixture
def ada(crm: Crm, new_party: Any, portal: Any) -> Any:
    """Ada's party, signed in to the portal."""
    new_party(emails=["ada@example.org"])
    return portal.sign_in(crm, "ada@example.org")


def token_of(client: Any, path: str) -> str:
    page = client.get(f"{PORTAL}{path}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def file_case(client: Any, files: tuple[tuple[str, bytes], ...] = (), **fields: str) -> Any:
    data = {
        "kind": "incident",
        "subject": "The boiler makes a noise",
        "description": "Since Monday it knocks at night.",
        "csrf_token": token_of(client, "/cases/new"),
        **fields,
    }
    upload = [("attachments", (name, content)) for name, content in files]
    return client.post(f"{PORTAL}/cases", data=data, files=upload or None, follow_redirects=False)


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def case_id_of(answer: Any) -> int:
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def test_a_customer_files_a_case_with_a_file_and_sees_it_listed(crm: Crm, ada: Any) -> None:
    case_id = case_id_of(file_case(ada, (("invoice.pdf", PDF), ("photo.png", PNG))))
    with crm.read() as conn:
        row = conn.execute(select(case_table).where(case_table.c.id == case_id)).one()
    assert row.channel == "portal" and row.kind == "incident"
    listed = ada.get(f"{PORTAL}/cases")
    assert "The boiler makes a noise" in listed.text and f"/cases/{case_id}" in listed.text
    page = ada.get(f"{PORTAL}/cases/{case_id}")
    assert "invoice.pdf" in page.text and "photo.png" in page.text
    link = re.search(rf'href="({PORTAL}/cases/{case_id}/attachments/\d+)">invoice.pdf', page.text)
    assert link is not None
    download = ada.get(link.group(1))
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''invoice.pdf"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("big.pdf", PDF + b"0" * 2000, "larger than 2,000 bytes"),
        ("setup.exe", b"MZ\x90\x00", "cannot be attached"),
        ("invoice.pdf", b"just some text", "not what its name says"),
        ("notes.txt", PNG, "not what its name says"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_a_refused_file_refuses_the_case_and_nothing_is_stored(
    crm: Crm, ada: Any, name: str, content: bytes, says: str
) -> None:
    answer = file_case(ada, (("fine.pdf", PDF), (name, content)))
    assert answer.status_code == 422
    assert says in answer.text and 'id="attachments-error"' in answer.text
    assert "The boiler makes a noise" in answer.text  # the form keeps what was typed
    assert count(crm, case_table) == 0 and count(crm, attachment) == 0


def test_too_many_files_are_refused(crm: Crm, ada: Any) -> None:
    answer = file_case(ada, (("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)))
    assert answer.status_code == 422 and "at most 2 files" in answer.text
    assert count(crm, case_table) == 0


def test_a_form_without_its_csrf_token_changes_nothing(crm: Crm, ada: Any) -> None:
    answer = file_case(ada, (("a.pdf", PDF),), csrf_token="")
    assert answer.status_code == 403 and "security token" in answer.text
    case_id = case_id_of(file_case(ada))
    for path, data in (
        (f"/cases/{case_id}/replies", {"body": "More news"}),
        (f"/cases/{case_id}/rating", {"score": "5"}),
    ):
        assert ada.post(f"{PORTAL}{path}", data=data).status_code == 403
    assert count(crm, case_table) == 1


def test_missing_fields_are_named(crm: Crm, ada: Any) -> None:
    answer = file_case(ada, subject="  ")
    assert answer.status_code == 422 and 'id="subject-error"' in answer.text
    answer = file_case(ada, kind="sabotage")
    assert answer.status_code == 422 and 'id="kind-error"' in answer.text
    assert 'aria-invalid="true" aria-describedby="kind-error"' in answer.text
    assert count(crm, case_table) == 0


def test_text_no_database_stores_shows_the_form_again_with_the_field_marked(
    crm: Crm, ada: Any
) -> None:
    for answer, field in (
        (file_case(ada, subject="a\x00b"), "subject"),  # a url-encoded form
        (file_case(ada, (("a.pdf", PDF),), description="a\x00b"), "description"),  # multipart
    ):
        assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
        assert f'aria-describedby="{field}-error"' in answer.text and "NUL" in answer.text
        assert "The boiler makes a noise" in answer.text or field == "subject"
    assert count(crm, case_table) == count(crm, attachment) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/cases/abc",
        "/cases/-1",
        f"/cases/{2**66}",
        f"/cases/1/attachments/{2**66}",
        "/articles/abc",
        f"/articles/{2**66}/feedback",
    ],
)
def test_an_id_that_is_no_record_id_is_the_portals_not_found_page(
    crm: Crm, ada: Any, path: str
) -> None:
    answer = ada.get(f"{PORTAL}{path}")
    assert answer.status_code == 404 and "text/html" in answer.headers["content-type"]
    assert http_client(crm).get(f"{PORTAL}{path}").status_code == 404  # signed in or not


def test_another_partys_case_answers_404_whatever_the_id(
    crm: Crm, ada: Any, new_party: Any
) -> None:
    own = case_id_of(file_case(ada, (("a.pdf", PDF),)))
    other_party = new_party(first_name="Grace", emails=["grace@example.org"])
    with crm.transaction() as tx:
        other = open_case(
            tx,
            {"party_id": other_party, "kind": "question", "subject": "Secret", "description": "x"},
        ).id
    with crm.read() as conn:
        own_file = conn.execute(select(attachment.c.id)).scalar_one()
    for path in (f"/cases/{other}", "/cases/999999", f"/cases/{other}/attachments/{own_file}"):
        answer = ada.get(f"{PORTAL}{path}")
        assert answer.status_code == 404 and "Secret" not in answer.text
    token = token_of(ada, f"/cases/{own}")
    for path, data in (
        (f"/cases/{other}/replies", {"body": "hello", "csrf_token": token}),
        (f"/cases/{other}/rating", {"score": "1", "csrf_token": token}),
    ):
        assert ada.post(f"{PORTAL}{path}", data=data).status_code == 404
    listed = ada.get(f"{PORTAL}/cases").text
    assert "Secret" not in listed and f"/cases/{other}" not in listed


def test_the_customer_answers_and_sees_public_events_only(crm: Crm, ada: Any) -> None:
    case_id = case_id_of(file_case(ada))
    with crm.transaction() as tx:
        add_note(tx, case_id, "Internal: customer sounds annoyed")
        reply(tx, case_id, "Please send a photo of the boiler.", status="waiting_on_customer")
    token = token_of(ada, f"/cases/{case_id}")
    sent = ada.post(
        f"{PORTAL}/cases/{case_id}/replies",
        data={"body": "Here it is.", "csrf_token": token},
        files=[("attachments", ("boiler.png", PNG))],
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = ada.get(f"{PORTAL}/cases/{case_id}").text
    assert "Please send a photo of the boiler." in page and "Here it is." in page
    assert "boiler.png" in page and "annoyed" not in page
    with crm.read() as conn:
        status, event = conn.execute(
            select(case_table.c.status, attachment.c.event_id).join(
                attachment, attachment.c.case_id == case_table.c.id
            )
        ).one()
    assert status == "open" and event is not None
    empty = ada.post(f"{PORTAL}/cases/{case_id}/replies", data={"body": " ", "csrf_token": token})
    assert empty.status_code == 422 and 'id="body-error"' in empty.text


def test_a_resolution_is_rated_once(crm: Crm, ada: Any) -> None:
    case_id = case_id_of(file_case(ada))
    token = token_of(ada, f"/cases/{case_id}")
    early = ada.post(f"{PORTAL}/cases/{case_id}/rating", data={"score": "5", "csrf_token": token})
    assert early.status_code == 422 and count(crm, case_rating) == 0
    with crm.transaction() as tx:
        change_status(tx, case_id, "resolved", root_cause="wear", resolution="Replaced the pump.")
    page = ada.get(f"{PORTAL}/cases/{case_id}").text
    assert "Replaced the pump." in page and 'name="score"' in page
    bad = ada.post(f"{PORTAL}/cases/{case_id}/rating", data={"score": "7", "csrf_token": token})
    assert bad.status_code == 422 and count(crm, case_rating) == 0
    rated = ada.post(
        f"{PORTAL}/cases/{case_id}/rating",
        data={"score": "4", "comment": "Quick, thanks", "csrf_token": token},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    assert "You rated this resolution 4 out of 5" in ada.get(f"{PORTAL}/cases/{case_id}").text
    again = ada.post(f"{PORTAL}/cases/{case_id}/rating", data={"score": "1", "csrf_token": token})
    assert again.status_code == 409 and count(crm, case_rating) == 1


def test_public_articles_only(crm: Crm, ada: Any) -> None:
    with crm.transaction() as tx:
        public = create_article(
            tx,
            {
                "title": "Bleeding a radiator",
                "body": "Turn the radiator valve.\n\nThen wait.",
                "visibility": "public",
                "publish": True,
            },
        )
        internal = create_article(
            tx,
            {
                "title": "Radiator discount codes",
                "body": "Staff radiator codes.",
                "visibility": "internal",
                "publish": True,
            },
        )
    found = ada.get(f"{PORTAL}/articles", params={"q": "radiator"}).text
    assert "Bleeding a radiator" in found and "discount" not in found
    page = ada.get(f"{PORTAL}/articles/{public.id}")
    assert page.status_code == 200 and "Then wait." in page.text
    assert ada.get(f"{PORTAL}/articles/{internal.id}").status_code == 404
    token = token_of(ada, f"/articles/{public.id}")
    unsure = ada.post(f"{PORTAL}/articles/{public.id}/feedback", data={"csrf_token": token})
    assert unsure.status_code == 422 and 'id="helpful-error"' in unsure.text
    told = ada.post(
        f"{PORTAL}/articles/{public.id}/feedback",
        data={"helpful": "no", "comment": "Which valve?", "csrf_token": token},
    )
    assert told.status_code == 200 and "Thank you for telling us." in told.text
    hidden = ada.post(
        f"{PORTAL}/articles/{internal.id}/feedback", data={"helpful": "yes", "csrf_token": token}
    )
    assert hidden.status_code == 404
    with crm.read() as conn:
        given = conn.execute(select(article_feedback.c.party_id, article_feedback.c.comment)).one()
    assert given.comment == "Which valve?" and given.party_id is not None


def test_pages_need_a_portal_session(crm: Crm) -> None:
    client = http_client(crm)
    for path in ("/cases", "/cases/new", "/cases/1", "/articles"):
        answer = client.get(f"{PORTAL}{path}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"{PORTAL}/sign-in"
    assert client.post(f"{PORTAL}/cases", data={"subject": "x"}).status_code == 401


def test_files_and_ratings_are_exported_and_erased(crm: Crm, ada: Any) -> None:
    case_id = case_id_of(file_case(ada, (("invoice.pdf", PDF),)))
    with crm.read() as conn:
        party_id = conn.execute(select(case_table.c.party_id)).scalar_one()
    with crm.transaction() as tx:
        change_status(tx, case_id, "resolved", root_cause="wear", resolution="Fixed.")
    token = token_of(ada, f"/cases/{case_id}")
    ada.post(f"{PORTAL}/cases/{case_id}/rating", data={"score": "5", "csrf_token": token})
    with crm.transaction() as tx:
        exported = export_party(tx.conn, tx.hooks, party_id)
    section = exported["service"]
    assert [a["filename"] for a in section["attachments"]] == ["invoice.pdf"]
    assert [r["score"] for r in section["ratings"]] == [5]
    assert len(section["portal_sessions"]) == 1 and section["portal_sign_in_links"][0]["used_at"]
    with crm.transaction() as tx:
        erase_party(tx, party_id)
    assert count(crm, attachment) == 0 and count(crm, case_rating) == 0
    assert count(crm, link_request) == 0 and count(crm, portal_session) == 0
    assert ada.get(f"{PORTAL}/cases", follow_redirects=False).status_code == 303


def test_a_form_over_the_servers_body_limit_is_refused_with_a_page(crm: Crm, ada: Any) -> None:
    answer = file_case(ada, (("huge.pdf", PDF + b"0" * 1_100_000),))
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert "too large" in answer.text and count(crm, case_table) == 0


def test_an_answer_to_a_merged_case_goes_to_the_case_it_was_merged_into(crm: Crm, ada: Any) -> None:
    duplicate = case_id_of(file_case(ada, subject="Boiler again"))
    kept = case_id_of(file_case(ada))
    with crm.transaction() as tx:
        merge_cases(tx, duplicate, kept)
    token = token_of(ada, f"/cases/{duplicate}")
    sent = ada.post(
        f"{PORTAL}/cases/{duplicate}/replies",
        data={"body": "Any news?", "csrf_token": token},
        files=[("attachments", ("photo.png", PNG))],
        follow_redirects=False,
    )
    assert sent.headers["location"] == f"{PORTAL}/cases/{kept}#answer"
    page = ada.get(f"{PORTAL}/cases/{kept}").text
    assert "Any news?" in page and "photo.png" in page
