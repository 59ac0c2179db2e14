"""The segments pages: the builder round-trips its form without JavaScript, a refused form keeps
what was typed, list pages show members and import reports."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

from crmkit_campaigns.segments.tables import segment
from sqlalchemy import select

from crmkit import Crm

BASE = "/p/campaigns"


def builder_form(**fields: str) -> dict[str, str]:
    form = {
        "name": "",
        "description": "",
        "version": "",
        "rows": "1",
        "match": "all",
        "criterion_0": "",
        "op_0": "",
        "value_0": "",
        "with_0": "",
        "definition": "",
        "definition_shown": "",
        "action": "preview",
    }
    form.update(fields)
    return form


def stored(crm: Crm) -> list[Any]:
    with crm.transaction() as tx:
        return list(tx.conn.execute(select(segment)))


def test_pages_render(crm: Crm, staff: Any, client_as: Any) -> None:
    http = client_as(staff.marketer)
    for path in ("/segments/page", "/segments/new/page", "/lists/page"):
        answer = http.get(f"{BASE}{path}")
        assert answer.status_code == 200, (path, answer.text)
    assert 'name="criterion_0"' in http.get(f"{BASE}/segments/new/page").text


def test_the_builder_previews_adds_rows_and_saves(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    http = client_as(staff.marketer)
    new_party()
    new_party(
        addresses=[{"street": "A 1", "postcode": "80331", "city": "München", "country": "DE"}]
    )
    form = builder_form(criterion_0="city", op_0="eq", value_0="Berlin", name="Berliners")
    previewed = http.post(f"{BASE}/segments/new/page", data=form)
    assert previewed.status_code == 200
    assert "1 party" in previewed.text
    assert 'value="Berlin"' in previewed.text and 'value="Berliners"' in previewed.text
    added = http.post(f"{BASE}/segments/new/page", data={**form, "action": "add_row"})
    assert 'name="criterion_1"' in added.text and 'value="Berlin"' in added.text
    assert stored(crm) == []
    saved = http.post(
        f"{BASE}/segments/new/page",
        data={**form, "action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    [row] = stored(crm)
    assert row.name == "Berliners"
    assert row.definition == {"all": [{"criterion": "city", "op": "eq", "value": "Berlin"}]}
    page = http.get(saved.headers["location"])
    assert page.status_code == 200 and "1 party" in page.text


def test_the_json_wins_when_edited(crm: Crm, staff: Any, client_as: Any, new_party: Any) -> None:
    http = client_as(staff.marketer)
    new_party("prospect")
    definition = {"not": {"criterion": "role", "value": "customer"}}
    form = builder_form(name="Not customers", definition=json.dumps(definition), action="save")
    saved = http.post(f"{BASE}/segments/new/page", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert stored(crm)[0].definition == definition
    page = http.get(saved.headers["location"]).text
    assert "edit it as JSON" in page and "1 party" in page


def test_a_refused_form_keeps_what_was_typed_and_stores_nothing(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    http = client_as(staff.marketer)
    form = builder_form(
        name="Typed name",
        criterion_0="territory",
        op_0="in",
        value_0="   ",
        with_0="",
        action="save",
    )
    refused = http.post(f"{BASE}/segments/new/page", data=form)
    assert refused.status_code == 422
    assert "definition.all[0].value" in refused.text
    assert 'value="Typed name"' in refused.text and 'class="invalid"' in refused.text
    no_name = http.post(
        f"{BASE}/segments/new/page",
        data=builder_form(criterion_0="role", value_0="customer", action="save"),
    )
    assert no_name.status_code == 422 and "name" in no_name.text
    assert stored(crm) == []


def test_a_stale_version_is_a_conflict_on_the_page(crm: Crm, staff: Any, client_as: Any) -> None:
    http = client_as(staff.marketer)
    made = http.post(
        f"{BASE}/segments",
        json={"name": "S", "definition": {"criterion": "role", "value": "customer"}},
    ).json()
    http.patch(f"{BASE}/segments/{made['id']}", json={"name": "S2", "version": 1})
    form = builder_form(
        name="Mine", version="1", criterion_0="role", value_0="prospect", action="save"
    )
    answer = http.post(f"{BASE}/segments/{made['id']}/page", data=form)
    assert answer.status_code == 409 and 'value="Mine"' in answer.text
    assert stored(crm)[0].name == "S2"


def test_list_pages_create_import_and_remove(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    http = client_as(staff.marketer)
    ada = new_party(emails=["ada@example.org"])
    created = http.post(
        f"{BASE}/lists/new-form", data={"name": "Fair", "kind": "static"}, follow_redirects=False
    )
    assert created.status_code == 303
    page_url = created.headers["location"]
    import_url = page_url.replace("/page", "/import-form")
    report = http.post(import_url, data={"csv": "email\nada@example.org\nnobody@example.org\n"})
    assert report.status_code == 200
    assert "2 lines: 1 matched, 1 added, 1 not matched" in report.text
    assert "nobody@example.org" in report.text
    malformed = http.post(import_url, data={"csv": "phone\n123\n"})
    assert malformed.status_code == 422 and "phone\n123" in malformed.text
    removed = http.post(
        page_url.replace("/page", "/remove-form"),
        data={"party_id": str(ada)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "0 parties you see" in http.get(page_url).text
    refused = http.post(f"{BASE}/lists/new-form", data={"name": "", "kind": "static"})
    assert refused.status_code == 422


class FormFields(HTMLParser):
    """The fields a browser would post from a page's first form (without the buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "input" and "name" in found:
            self.fields[found["name"]] = found.get("value", "")
        elif tag == "select":
            self._select = found.get("name")
            self.fields.setdefault(self._select or "", "")
        elif tag == "option" and self._select and "selected" in found:
            self.fields[self._select] = found.get("value", "")
        elif tag == "textarea":
            self._textarea = found.get("name")
            self.fields[self._textarea or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def fields_of(page: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(page)
    return parser.fields


def test_saving_from_the_builder_unchanged_keeps_the_definition(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    http = client_as(staff.marketer)
    definition = {
        "all": [
            {"criterion": "owner", "op": "in", "value": [1, 2]},
            {"criterion": "name", "op": "in", "value": ["Lovelace, Ada", "Bob"]},
            {
                "criterion": "interactions",
                "op": "at_least",
                "value": 2,
                "with": {"source": "news;letter"},
            },
            {"criterion": "score", "op": "ge", "value": -5},
        ]
    }
    made = http.post(f"{BASE}/segments", json={"name": "Exact", "definition": definition})
    assert made.status_code == 201, made.text
    page = http.get(f"{BASE}/segments/{made.json()['id']}/page")
    form = fields_of(page.text)
    assert form["rows"] == "4" and "nested" not in form
    saved = http.post(
        f"{BASE}/segments/{made.json()['id']}/page",
        data={**form, "action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert stored(crm)[0].definition == definition
    # A row changed is read from what was typed: its list is comma-separated text.
    form["value_1"] = "Ada, Bob"
    changed = http.post(
        f"{BASE}/segments/{made.json()['id']}/page",
        data={**form, "version": "2", "action": "save"},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert stored(crm)[0].definition["all"][1] == {
        "criterion": "name",
        "op": "in",
        "value": "Ada, Bob",
    }
    assert stored(crm)[0].definition["all"][0] == definition["all"][0]


def test_a_refusal_marks_the_row_typed(crm: Crm, staff: Any, client_as: Any) -> None:
    http = client_as(staff.marketer)
    form = builder_form(rows="2", criterion_1="score", op_1="gt", value_1="abc", with_1="")
    form.update(op_1="gt")
    refused = http.post(f"{BASE}/segments/new/page", data=form)
    assert refused.status_code == 422
    assert "definition.all[0].value" in refused.text
    marked = refused.text.split('<tr class="invalid">', 1)[1].split("</tr>", 1)[0]
    assert 'name="criterion_1"' in marked


def test_the_json_box_is_read_as_the_api_reads_a_definition(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    http = client_as(staff.marketer)
    for typed in (
        '{"criterion": "name", "op": "empty", "value": "\\ud800"}',
        '{"criterion": "name", "op": "eq", "value": "\\u0000"}',
        '{"criterion": "name", "op": "eq", "value": "x", "with": {"\\ud800": 1}}',
        '{"not": ' * 3000 + "{}" + "}" * 3000,
    ):
        for action in ("preview", "save"):
            form = builder_form(name="n", definition=typed, action=action)
            answer = http.post(f"{BASE}/segments/new/page", data=form, follow_redirects=False)
            assert answer.status_code == 422, (typed[:60], answer.status_code)
            assert 'class="error"' in answer.text
    assert stored(crm) == []
    assert http.get(f"{BASE}/segments").status_code == 200
    assert http.get(f"{BASE}/segments/page").status_code == 200


def test_the_builder_offers_and_previews_engagement(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    """A marketer picks campaign engagement in a row, its options typed as name=value pairs."""
    http = client_as(staff.marketer)
    new_party(), new_party()
    page = http.get(f"{BASE}/segments/new/page").text
    assert '<option value="engagement">Campaign engagement</option>' in page
    form = builder_form(
        criterion_0="engagement", op_0="none", with_0="event=opened; within_days=180"
    )
    previewed = http.post(f"{BASE}/segments/new/page", data=form)
    assert previewed.status_code == 200 and "2 parties" in previewed.text
    anyone = http.post(f"{BASE}/segments/new/page", data={**form, "op_0": "any"})
    assert anyone.status_code == 200 and "0 parties" in anyone.text
    refused = http.post(f"{BASE}/segments/new/page", data={**form, "with_0": "event=read"})
    assert refused.status_code == 422 and "definition.all[0].with.event" in refused.text
    assert 'value="event=read"' in refused.text
    assert stored(crm) == []
