"""The survey pages: the list with its form, a survey with its versions, links to the other
parts and its buttons, the editor with its preview and refusals, a version's preview."""

from __future__ import annotations

import json
from typing import Any

from crmkit import Crm
from crmkit.testing import add_user

BASE = "/p/surveys/page/surveys"


def test_a_survey_is_made_on_the_list_page_and_edited_in_the_editor(
    crm: Crm, staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    client = client_as(staff.marketer)
    listing = client.get(BASE)
    assert listing.status_code == 200 and "No survey yet" in listing.text
    made = client.post(
        BASE,
        data={"name": "Pulse", "description": "Quarterly", "default_language": "en"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    editor_url = made.headers["location"]
    sid = int(editor_url.split("/")[-2])
    assert editor_url == f"{BASE}/{sid}/edit"

    editor = client.get(editor_url)
    assert editor.status_code == 200
    assert "saving changes draft version 1" in editor.text
    assert "How likely are you to recommend us to a friend?" in editor.text

    saved = client.post(
        editor_url,
        data={"version": "1", "definition": json.dumps(sample_definition)},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{BASE}/{sid}"
    page = client.get(f"{BASE}/{sid}")
    assert page.status_code == 200 and "Publish the draft" in page.text
    for link in ("/sends", "/responses", "/results", "/edit"):
        assert f'href="{BASE}/{sid}{link}"' in page.text
    assert 'href="/p/surveys/page/rules"' in page.text

    published = client.post(f"{BASE}/{sid}/publish", data={"version": "2"}, follow_redirects=False)
    assert published.status_code == 303
    page = client.get(f"{BASE}/{sid}")
    assert "Publish the draft" not in page.text and "Close" in page.text and "in use" in page.text
    editor = client.get(editor_url)
    assert "version 1 is published: saving makes draft version 2" in editor.text
    # The preview shows every language and the branching in words.
    assert "Wie waren wir?" in editor.text and "Was besser?" in editor.text
    assert "asked when <code>nps</code> is at most 6" in editor.text

    version_id = client.get(f"/p/surveys/surveys/{sid}").json()["published_version_id"]
    shown = client.get(f"{BASE}/{sid}/versions/{version_id}")
    assert shown.status_code == 200 and "What could we do better?" in shown.text
    assert "Pulse" in client.get(BASE).text


def test_a_refused_definition_shows_again_as_typed_with_the_place_and_stores_nothing(
    crm: Crm, staff: Any, client_as: Any, sample_definition: dict[str, Any]
) -> None:
    client = client_as(staff.marketer)
    sid = client.post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    del sample_definition["pages"][0]["questions"][1]["options"][1]["text"]["de"]
    typed = json.dumps(sample_definition)
    refused = client.post(f"{BASE}/{sid}/edit", data={"version": "1", "definition": typed})
    assert refused.status_code == 422
    assert "definition.pages[0].questions[1].options[1].text.de" in refused.text
    assert "every text is needed in every language" in refused.text
    assert 'aria-invalid="true"' in refused.text and "Speed" in refused.text

    broken = client.post(f"{BASE}/{sid}/edit", data={"version": "1", "definition": "{pages: 1"})
    assert broken.status_code == 422 and "not JSON" in broken.text
    stale = client.post(
        f"{BASE}/{sid}/edit",
        data={"version": "9", "definition": json.dumps(_valid(sample_definition))},
    )
    assert stale.status_code == 409
    assert client.get(f"/p/surveys/surveys/{sid}").json()["version"] == 1


def _valid(definition: dict[str, Any]) -> dict[str, Any]:
    definition["pages"][0]["questions"][1]["options"][1]["text"]["de"] = "Tempo"
    return definition


def test_refused_actions_and_details_show_the_survey_again(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    sid = client.post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    client.post("/p/surveys/surveys", json={"name": "Other"})
    taken = client.post(f"{BASE}/{sid}/details", data={"version": "1", "name": "Other"})
    assert taken.status_code == 422 and "exists already" in taken.text
    closed = client.post(f"{BASE}/{sid}/close", data={"version": "1"})
    assert closed.status_code == 409 and "only an active one closes" in closed.text
    renamed = client.post(
        f"{BASE}/{sid}/details", data={"version": "1", "name": "Pulse 2027"}, follow_redirects=False
    )
    assert renamed.status_code == 303
    deleted = client.post(f"{BASE}/{sid}/delete", data={"version": "2"}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == BASE
    assert client.get(f"{BASE}/{sid}").status_code == 404


def test_readers_see_the_pages_without_the_forms_and_cannot_post(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    sid = client_as(staff.marketer).post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    reader = client_as(add_user(crm, "rita", "read-only"))
    listing = reader.get(BASE)
    assert (
        listing.status_code == 200 and "Pulse" in listing.text and "New survey" not in listing.text
    )
    page = reader.get(f"{BASE}/{sid}")
    assert page.status_code == 200 and "Actions" not in page.text and "/edit" not in page.text
    assert reader.get(f"{BASE}/{sid}/edit").status_code == 403
    assert reader.post(f"{BASE}/{sid}/publish", data={"version": "1"}).status_code == 403
    assert reader.post(BASE, data={"name": "Mine"}).status_code == 403


def test_the_menu_has_one_surveys_item(staff: Any, client_as: Any) -> None:
    home = client_as(staff.agent).get("/")
    assert f'href="{BASE}"' in home.text and ">Surveys<" in home.text


def test_the_survey_page_links_only_to_the_pages_the_user_may_open(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    sid = client_as(staff.marketer).post("/p/surveys/surveys", json={"name": "Pulse"}).json()["id"]
    rep = client_as(staff.outsider)
    page = rep.get(f"{BASE}/{sid}").text
    assert f'href="{BASE}/{sid}/sends"' in page
    for hidden in ("responses", "results"):
        assert f'href="{BASE}/{sid}/{hidden}"' not in page
        assert rep.get(f"{BASE}/{sid}/{hidden}").status_code == 403
    agent_page = client_as(staff.agent).get(f"{BASE}/{sid}").text
    assert all(f'href="{BASE}/{sid}/{p}"' in agent_page for p in ("sends", "responses", "results"))
