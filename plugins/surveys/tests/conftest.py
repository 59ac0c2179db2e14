"""Fixtures of the surveys plugin's tests: a CRM with channels and surveys (and campaigns,
service or loyalty when asked), staff, parties with consent, a real SMTP relay.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
``client_as(actor)`` (the kernel's fixture) gives an HTTP client signed on as ``actor``.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

from crmkit import Crm, Settings
from crmkit.testing import Staff as Staff
from crmkit.testing import add_party, http_client

LINK_SECRET = "a-test-secret-of-at-least-32-characters"


def channel_settings(**overrides: Any) -> dict[str, Any]:
    """``[plugins.channels]``: mail from survey@, to a relay nobody runs unless a test starts one."""
    return {
        "from_address": "Acme Feedback <feedback@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": LINK_SECRET,
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none", "timeout": 5.0},
        **overrides,
    }


SurveysMaker = Callable[..., Crm]


@pytest.fixture
def make_surveys(make_crm: Callable[..., Crm]) -> SurveysMaker:
    """``make_surveys(surveys={...}, channels={...}, plugins=(), with_plugins=("service",))``:
    a CRM with channels and surveys, the named plugins (campaigns, service, sfa, loyalty) and
    these settings."""

    def factory(
        surveys: dict[str, Any] | None = None,
        channels: dict[str, Any] | None = None,
        plugins: tuple[Any, ...] = (),
        with_plugins: tuple[str, ...] = (),
        settings: dict[str, Any] | None = None,
        create_tables: bool = True,
    ) -> Crm:
        crm_settings = Settings(
            database_url="sqlite://",
            strict_plugins=True,
            plugin_settings={
                "channels": channel_settings(**(channels or {})),
                "surveys": surveys or {},
                **(settings or {}),
            },
        )
        names = ("channels", *with_plugins, "surveys")
        return make_crm(
            plugins=[*names, *plugins], settings=crm_settings, create_tables=create_tables
        )

    return factory


@pytest.fixture
def crm(make_surveys: SurveysMaker) -> Crm:
    """A CRM with the channels and surveys plugins, default settings, tables created."""
    return make_surveys()


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
    """An HTTP client of ``crm`` signed on as nobody: the public answer pages."""
    return http_client(crm)


@pytest.fixture
def relayed(make_surveys: SurveysMaker, smtp_relay: Any) -> SurveysMaker:
    """``relayed(surveys={...}, with_plugins=())``: a CRM whose emails go to ``smtp_relay``."""

    def factory(**kwargs: Any) -> Crm:
        smtp = {"host": "127.0.0.1", "port": smtp_relay.port, "security": "none", "timeout": 5.0}
        return make_surveys(channels={"smtp": smtp}, **kwargs)

    return factory


# --- definitions


def sample_definition_json() -> dict[str, Any]:
    """A valid two-language, two-page definition: NPS, a reason asked of detractors, topics."""
    return {
        "languages": ["en", "de"],
        "title": {"en": "How did we do?", "de": "Wie waren wir?"},
        "pages": [
            {
                "questions": [
                    {
                        "key": "nps",
                        "kind": "nps",
                        "required": True,
                        "text": {"en": "How likely ...?", "de": "Wie wahrscheinlich ...?"},
                    },
                    {
                        "key": "topics",
                        "kind": "multiple",
                        "other": True,
                        "text": {"en": "What mattered?", "de": "Was war wichtig?"},
                        "options": [
                            {"key": "price", "text": {"en": "Price", "de": "Preis"}},
                            {"key": "speed", "text": {"en": "Speed", "de": "Tempo"}},
                        ],
                    },
                ]
            },
            {
                "questions": [
                    {
                        "key": "why",
                        "kind": "text",
                        "text": {"en": "What could we do better?", "de": "Was besser?"},
                        "show_if": {"question": "nps", "max": 6},
                    }
                ]
            },
        ],
    }


@pytest.fixture
def sample_definition() -> dict[str, Any]:
    """A fresh copy of :func:`sample_definition_json` for each test to change."""
    return sample_definition_json()


# --- invitations


SurveyMaker = Callable[..., int]


@pytest.fixture
def publish_survey() -> SurveyMaker:
    """``publish_survey(crm, name="Feedback", definition=None)``: an active survey of ``crm``
    (the sample definition, in English and German, by default) with its version published;
    its id."""
    from crmkit_surveys.definitions.service import create_survey, publish

    def make(crm: Crm, name: str = "Feedback", definition: dict[str, Any] | None = None) -> int:
        with crm.transaction() as tx:
            made = create_survey(
                tx,
                {
                    "name": name,
                    "default_language": "en",
                    "definition": definition or sample_definition_json(),
                },
            )
            publish(tx, made.id)
        return made.id

    return make


@pytest.fixture
def invitation_message() -> dict[str, Any]:
    """An email message of a send or rule in English and German, each with the survey link."""
    return {
        "en": {
            "subject": "How did we do, {{ party.first_name }}?",
            "text": "Tell us: {{ survey_url }}",
        },
        "de": {"subject": "Wie waren wir?", "text": "Sagen Sie es uns: {{ survey_url }}"},
    }


# --- results


def results_definition() -> dict[str, Any]:
    """A survey of every kind the results part counts: NPS, CSAT, a 1-7 rating, a multiple
    choice with "other", free text."""

    def both(en: str, de: str) -> dict[str, str]:
        return {"en": en, "de": de}

    return {
        "languages": ["en", "de"],
        "title": both("How did we do?", "Wie waren wir?"),
        "pages": [
            {
                "questions": [
                    {"key": "nps", "kind": "nps", "text": both("Recommend us?", "Empfehlen?")},
                    {"key": "csat", "kind": "csat", "text": both("Satisfied?", "Zufrieden?")},
                    {
                        "key": "ease",
                        "kind": "rating",
                        "scale": [1, 7],
                        "text": both("Easy?", "Leicht?"),
                    },
                    {
                        "key": "topics",
                        "kind": "multiple",
                        "other": True,
                        "options": [
                            {"key": "price", "text": both("Price", "Preis")},
                            {"key": "service", "text": both("Service", "Service")},
                        ],
                        "text": both("What mattered?", "Was war wichtig?"),
                    },
                    {"key": "why", "kind": "text", "text": both("Why?", "Warum?")},
                ]
            }
        ],
    }


class ResultsKit:
    """Surveys published through the definitions part, and responses written as rows (what
    the answering part stores), for the results part's tests."""

    KINDS = {"nps": "nps", "csat": "csat", "ease": "rating", "topics": "multiple", "why": "text"}

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    def survey(self, name: str = "After-sales survey") -> tuple[int, int]:
        """A published survey of :func:`results_definition`: its id and its version's."""
        from crmkit_surveys.definitions.service import create_survey, publish

        with self.crm.transaction() as tx:
            created = create_survey(tx, {"name": name, "definition": results_definition()})
            published = publish(tx, created.id)
        assert published.published_version_id is not None
        return created.id, published.published_version_id

    def respond(
        self,
        survey: tuple[int, int],
        answers: dict[str, Any],
        *,
        party_id: int | None = None,
        at: Any = None,
        language: str = "en",
        status: str = "completed",
        invitation_id: int | None = None,
    ) -> int:
        """A response with ``answers`` (key: score, option keys, text, or (option keys,
        other text)), given ``at`` (default now); its id."""
        from crmkit_surveys.answering.tables import answer, response
        from sqlalchemy import insert

        from crmkit import utcnow

        when = at or utcnow()
        with self.crm.transaction() as tx:
            response_id = tx.conn.execute(
                insert(response)
                .values(
                    survey_id=survey[0],
                    version_id=survey[1],
                    invitation_id=invitation_id,
                    party_id=party_id,
                    language=language,
                    status=status,
                    started_at=when,
                    updated_at=when,
                    completed_at=when if status == "completed" else None,
                )
                .returning(response.c.id)
            ).scalar_one()
            for key, value in answers.items():
                choices, text = (value, None) if isinstance(value, list) else (None, None)
                if isinstance(value, tuple):
                    choices, text = value
                elif isinstance(value, str):
                    text = value
                tx.conn.execute(
                    insert(answer).values(
                        response_id=response_id,
                        survey_id=survey[0],
                        question=key,
                        kind=self.KINDS[key],
                        score=value if isinstance(value, int) else None,
                        choices=choices,
                        text=text,
                        answered_at=when,
                    )
                )
        return int(response_id)


@pytest.fixture
def results_kit(crm: Crm) -> ResultsKit:
    return ResultsKit(crm)


# --- answering


class _FormReader(HTMLParser):
    """The first POST form of a page as a browser holds it: its action, its inputs (with
    type, value and whether checked), its textareas and its buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: list[dict[str, Any]] = []
        self.buttons: list[tuple[str, str, str]] = []
        self._in_form = False
        self._done = False
        self._textarea: dict[str, Any] | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form" and not self._done and found.get("method", "").lower() == "post":
            self._in_form, self.action = True, found.get("action", "")
        elif not self._in_form:
            return
        elif tag == "input" and "name" in found:
            kind = found.get("type", "text")
            default = "on" if kind in ("checkbox", "radio") else ""
            self.inputs.append(
                {
                    "name": found["name"],
                    "type": kind,
                    "value": found.get("value", default),
                    "checked": "checked" in found,
                }
            )
        elif tag == "textarea":
            self._textarea = {"name": found["name"], "type": "textarea", "value": ""}
            self.inputs.append(self._textarea)
        elif tag == "button":
            self._button = [found.get("name", ""), found.get("value", ""), ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button" and self._button is not None:
            name, value, label = self._button
            self.buttons.append((name, value, label.strip()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data
        if self._button is not None:
            self._button[2] += data


class AnswerPage:
    """An answer page as a browser got it: fill its form in as a person would and send it."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status = response.status_code
        self.text: str = response.text
        reader = _FormReader()
        reader.feed(self.text)
        self.action = reader.action
        self.inputs = reader.inputs
        self.buttons = reader.buttons

    def value_of(self, name: str) -> Any:
        """What the form holds for ``name``: the checked radio's value, whether a checkbox is
        ticked, a text; None for a radio group with nothing checked."""
        found = [i for i in self.inputs if i["name"] == name]
        assert found, f"the page has no field {name}"
        if found[0]["type"] == "radio":
            return next((i["value"] for i in found if i["checked"]), None)
        if found[0]["type"] == "checkbox":
            return found[0]["checked"]
        return found[0]["value"]

    def body(self, answers: dict[str, Any], button: str | None) -> dict[str, str]:
        """The fields the browser posts: ``answers`` maps a radio group to the value to choose,
        a checkbox to True or False, a text field to its text; ``button``: the label of the
        button pressed."""
        names = {i["name"] for i in self.inputs}
        for name in answers:
            assert name in names, f"the page has no field {name}"
        posted: dict[str, str] = {}
        for item in self.inputs:
            name, kind = item["name"], item["type"]
            if kind == "radio":
                chosen = answers.get(name)
                if name in answers:
                    assert chosen is None or any(
                        i["value"] == chosen for i in self.inputs if i["name"] == name
                    ), f"{name} offers no {chosen}"
                    if item["value"] == chosen:
                        posted[name] = chosen
                elif item["checked"]:
                    posted[name] = item["value"]
            elif kind == "checkbox":
                if answers.get(name, item["checked"] if name not in answers else False):
                    posted[name] = item["value"]
            else:
                posted[name] = str(answers.get(name, item["value"]))
        # None: the default button, whatever it says ("Next" or "Send my answers").
        pressed = [b for b in self.buttons if b[2] == button or (button is None and b[1] == "next")]
        assert pressed, f"no button {button!r} among {[b[2] for b in self.buttons]}"
        name, value, _ = pressed[0]
        if name:
            posted[name] = value
        return posted

    def send(
        self, client: Any, answers: dict[str, Any] | None = None, button: str | None = None
    ) -> Any:
        assert self.action, "the page has no form"
        return client.post(
            self.action, data=self.body(answers or {}, button), follow_redirects=False
        )


class Respondent:
    """Someone answering a survey through their link, in a browser (an HTTP client that
    follows the pages' redirects)."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    @property
    def address(self) -> str:
        return f"/p/surveys/a/{self.token}"

    def open(self, **query: str) -> AnswerPage:
        return AnswerPage(self.client.get(self.address, params=query))

    def send(
        self, page: AnswerPage, answers: dict[str, Any] | None = None, button: str | None = None
    ) -> AnswerPage:
        """Send the page's form; the page the browser shows next (after a redirect)."""
        response = page.send(self.client, answers, button)
        if response.status_code == 303:
            response = self.client.get(response.headers["location"])
        return AnswerPage(response)


InvitationMaker = Callable[..., tuple[str, int]]


@pytest.fixture
def invite() -> InvitationMaker:
    """``invite(crm, survey_id, party_id=None, language="en", status="sent", expires_in_days=30)``:
    an invitation to the survey's published version, as the invitations part stores one;
    its link's token and its id."""
    from datetime import timedelta

    from crmkit_surveys.definitions.service import get_survey
    from crmkit_surveys.invitations.links import new_token, token_hash
    from crmkit_surveys.invitations.tables import invitation
    from sqlalchemy import insert

    from crmkit import utcnow

    def make(
        crm: Crm,
        survey_id: int,
        party_id: int | None = None,
        language: str = "en",
        status: str = "sent",
        expires_in_days: int = 30,
    ) -> tuple[str, int]:
        token, now = new_token(), utcnow()
        with crm.transaction() as tx:
            version_id = get_survey(tx.conn, survey_id).published_version_id
            made = tx.conn.execute(
                insert(invitation)
                .values(
                    survey_id=survey_id,
                    version_id=version_id,
                    party_id=party_id,
                    dedupe_key=f"test:{token}",
                    token_hash=token_hash(token),
                    channel="email",
                    language=language,
                    status=status,
                    expires_at=now + timedelta(days=expires_in_days),
                    created_at=now,
                    sent_at=now,
                )
                .returning(invitation.c.id)
            ).scalar_one()
        return token, int(made)

    return make


@pytest.fixture
def respondent(anonymous: Any) -> Callable[[str], Respondent]:
    """``respondent(token)``: someone answering through the link of ``token`` in a browser
    (``open(**query)`` the page, ``send(page, answers, button)`` its form)."""
    return lambda token: Respondent(anonymous, token)


@pytest.fixture
def respondent_with() -> Callable[[Any, str], Respondent]:
    """``respondent_with(client, token)``: as ``respondent``, in the HTTP client of another CRM."""
    return Respondent
