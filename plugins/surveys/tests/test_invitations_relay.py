"""A send's emails reach a real SMTP relay in each party's language, with a link of their
own that leads to their invitation's answer page."""

from __future__ import annotations

import re
from typing import Any

from crmkit_surveys.invitations.links import invitation_for_token
from crmkit_surveys.invitations.sends import create_send

from crmkit import Crm, CustomField, build_party, create_party, hookimpl, record_consent
from crmkit.testing import http_client, register_plugin

LINK = re.compile(r"https://crm\.acme\.example(/p/surveys/a/[\w-]+)")


class Preferences:
    """A throwaway plugin giving customers a preferred language."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("customer", "prefs_language", "text")]


def customer(crm: Crm, email: str, **custom: str) -> int:
    with crm.transaction() as tx:
        made = create_party(
            tx,
            build_party(
                "customer",
                {
                    "kind": "person",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "emails": [email],
                    "custom": custom,
                },
                region="DE",
            ),
        )
        assert made.id is not None
        record_consent(tx, made.id, "feedback", "email", "granted", source="test")
    return made.id


def test_each_party_gets_an_email_in_its_language_with_a_link_of_its_own(
    relayed: Any, smtp_relay: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    crm = relayed(
        surveys={"invitations": {"language_field": "prefs_language"}},
        plugins=(register_plugin(Preferences(), name="prefs"),),
    )
    survey_id = publish_survey(crm)
    english = customer(crm, "ada@example.org")
    german = customer(crm, "hans@example.de", prefs_language="de")
    french = customer(crm, "jean@example.fr", prefs_language="fr")
    body = {
        "audience": {"party_ids": [english, german, french]},
        "channel": "email",
        "message": invitation_message,
    }
    with crm.transaction() as tx:
        assert create_send(tx, survey_id, body).invited == 3

    assert crm.jobs.run("channels.deliver_email").ok
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_relay.handler.messages}
    assert sorted(by_recipient) == ["ada@example.org", "hans@example.de", "jean@example.fr"]
    assert by_recipient["ada@example.org"]["Subject"] == "How did we do, Ada?"
    assert by_recipient["hans@example.de"]["Subject"] == "Wie waren wir?"
    assert by_recipient["jean@example.fr"]["Subject"] == "How did we do, Ada?", "no French: English"

    with http_client(crm, follow_redirects=False) as browser:
        tokens = set()
        for address, message in by_recipient.items():
            text = message.get_body(("plain",)).get_content()
            assert "/p/channels/click" not in text, "the personal link is never a click redirect"
            [link] = LINK.findall(text)
            token = link.removeprefix("/p/surveys/a/")
            with crm.read() as conn:
                found = invitation_for_token(conn, token)
            assert found is not None and found.survey_id == survey_id
            assert (
                found.party_id
                == {
                    "ada@example.org": english,
                    "hans@example.de": german,
                    "jean@example.fr": french,
                }[address]
            )
            assert found.language == ("de" if address == "hans@example.de" else "en")
            tokens.add(token)
        assert len(tokens) == 3
        page = browser.get(f"/p/surveys/a/{tokens.pop()}")
        assert page.status_code == 200
    with crm.read() as conn:
        assert invitation_for_token(conn, "forged" + "x" * 37) is None
