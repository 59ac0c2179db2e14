"""The definitions part of ``crmkit demo``: three published surveys.

The other parts seed invitations and answers for them and find them by these names:
"Service follow-up" (NPS, a reason from detractors and passives, the agent's CSAT; en, de),
"Delivery satisfaction" (CSAT, a choice, a comment; en) and "Market research 2027"
(choices with other, a rating, branching over three pages; en, de, fr).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crmkit import Crm, user_table
from crmkit_surveys.definitions.language import read_definition, to_json
from crmkit_surveys.definitions.tables import survey, survey_version

SERVICE_FOLLOW_UP = "Service follow-up"
DELIVERY_SATISFACTION = "Delivery satisfaction"
MARKET_RESEARCH = "Market research 2027"


def _t(en: str, de: str | None = None, fr: str | None = None) -> dict[str, str]:
    texts = {"en": en}
    if de is not None:
        texts["de"] = de
    if fr is not None:
        texts["fr"] = fr
    return texts


def _options(*items: tuple[str, dict[str, str]]) -> list[dict[str, Any]]:
    return [{"key": key, "text": text} for key, text in items]


SERVICE: dict[str, Any] = {
    "languages": ["en", "de"],
    "title": _t("How did we do?", "Wie haben wir es gemacht?"),
    "intro": _t(
        "Your case was closed recently. Two minutes of your time help us get better.",
        "Ihr Anliegen wurde vor Kurzem abgeschlossen. Zwei Minuten helfen uns, besser zu werden.",
    ),
    "thanks": _t("Thank you for your feedback!", "Vielen Dank für Ihre Rückmeldung!"),
    "pages": [
        {
            "questions": [
                {
                    "key": "nps",
                    "kind": "nps",
                    "required": True,
                    "text": _t(
                        "How likely are you to recommend us to a friend or colleague?",
                        "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen "
                        "empfehlen?",
                    ),
                },
                {
                    "key": "agent_csat",
                    "kind": "csat",
                    "required": True,
                    "text": _t(
                        "How satisfied were you with the agent who helped you?",
                        "Wie zufrieden waren Sie mit dem Mitarbeiter, der Ihnen geholfen hat?",
                    ),
                },
            ]
        },
        {
            "questions": [
                {
                    "key": "improve",
                    "kind": "text",
                    "text": _t("What could we do better?", "Was könnten wir besser machen?"),
                    "show_if": {"question": "nps", "max": 8},
                }
            ]
        },
    ],
}

DELIVERY: dict[str, Any] = {
    "languages": ["en"],
    "title": _t("Your delivery"),
    "thanks": _t("Thanks, we read every answer."),
    "pages": [
        {
            "questions": [
                {
                    "key": "csat",
                    "kind": "csat",
                    "required": True,
                    "text": _t("How satisfied are you with your delivery?"),
                },
                {
                    "key": "timing",
                    "kind": "single",
                    "required": True,
                    "text": _t("When did your order arrive?"),
                    "options": _options(
                        ("early", _t("Earlier than promised")),
                        ("on_time", _t("On the promised day")),
                        ("late", _t("Later than promised")),
                        ("damaged", _t("On time, but damaged")),
                    ),
                },
                {
                    "key": "comment",
                    "kind": "text",
                    "text": _t("Anything else you would like to tell us?"),
                },
            ]
        }
    ],
}

MARKET: dict[str, Any] = {
    "languages": ["en", "de", "fr"],
    "title": _t("Heating in 2027", "Heizen im Jahr 2027", "Le chauffage en 2027"),
    "intro": _t(
        "Help us plan our products: six questions, about three minutes.",
        "Helfen Sie uns bei der Produktplanung: sechs Fragen, etwa drei Minuten.",
        "Aidez-nous à planifier nos produits : six questions, environ trois minutes.",
    ),
    "thanks": _t("Thank you!", "Vielen Dank!", "Merci beaucoup !"),
    "pages": [
        {
            "questions": [
                {
                    "key": "heating",
                    "kind": "single",
                    "required": True,
                    "text": _t(
                        "How is your home heated today?",
                        "Wie wird Ihr Zuhause heute beheizt?",
                        "Comment votre logement est-il chauffé aujourd'hui ?",
                    ),
                    "options": _options(
                        ("gas", _t("Gas boiler", "Gasheizung", "Chaudière à gaz")),
                        ("oil", _t("Oil boiler", "Ölheizung", "Chaudière au fioul")),
                        ("heat_pump", _t("Heat pump", "Wärmepumpe", "Pompe à chaleur")),
                        ("district", _t("District heating", "Fernwärme", "Réseau de chaleur")),
                    ),
                    "other": True,
                },
                {
                    "key": "interests",
                    "kind": "multiple",
                    "text": _t(
                        "Which of these are you considering in the next two years?",
                        "Was davon planen Sie in den nächsten zwei Jahren?",
                        "Lesquels envisagez-vous dans les deux prochaines années ?",
                    ),
                    "options": _options(
                        ("heat_pump", _t("A heat pump", "Eine Wärmepumpe", "Une pompe à chaleur")),
                        ("solar", _t("Solar panels", "Solaranlage", "Des panneaux solaires")),
                        ("battery", _t("A home battery", "Einen Stromspeicher", "Une batterie")),
                        ("insulation", _t("Insulation", "Dämmung", "L'isolation")),
                    ),
                    "other": True,
                },
            ]
        },
        {
            "questions": [
                {
                    "key": "heat_pump_interest",
                    "kind": "rating",
                    "scale": [1, 10],
                    "required": True,
                    "text": _t(
                        "How interested are you in a heat pump, from 1 to 10?",
                        "Wie interessiert sind Sie an einer Wärmepumpe, von 1 bis 10?",
                        "Quel est votre intérêt pour une pompe à chaleur, de 1 à 10 ?",
                    ),
                    "show_if": {"question": "heating", "in": ["gas", "oil", "district"]},
                },
                {
                    "key": "budget",
                    "kind": "single",
                    "text": _t(
                        "What would you spend on it?",
                        "Wie viel würden Sie dafür ausgeben?",
                        "Combien y consacreriez-vous ?",
                    ),
                    "options": _options(
                        ("under_10k", _t("Under 10,000 €", "Unter 10.000 €", "Moins de 10 000 €")),
                        (
                            "from_10k_to_20k",
                            _t("10,000-20,000 €", "10.000-20.000 €", "10 000-20 000 €"),
                        ),
                        ("over_20k", _t("Over 20,000 €", "Über 20.000 €", "Plus de 20 000 €")),
                    ),
                    "show_if": {"question": "interests", "in": ["heat_pump", "solar"]},
                },
            ]
        },
        {
            "questions": [
                {
                    "key": "blocker",
                    "kind": "text",
                    "text": _t(
                        "What keeps you from switching?",
                        "Was hält Sie vom Umstieg ab?",
                        "Qu'est-ce qui vous empêche de changer ?",
                    ),
                    "show_if": {"question": "heat_pump_interest", "max": 5},
                },
                {
                    "key": "contact",
                    "kind": "single",
                    "required": True,
                    "text": _t(
                        "May an advisor contact you?",
                        "Darf sich ein Berater bei Ihnen melden?",
                        "Un conseiller peut-il vous contacter ?",
                    ),
                    "options": _options(
                        ("yes", _t("Yes", "Ja", "Oui")),
                        ("no", _t("No", "Nein", "Non")),
                    ),
                },
            ]
        },
    ],
}

SURVEYS = (
    (SERVICE_FOLLOW_UP, "Sent after a service case is closed.", "en", SERVICE, 200),
    (DELIVERY_SATISFACTION, "Sent after an order is delivered.", "en", DELIVERY, 150),
    (MARKET_RESEARCH, "Sent to customers and prospects in spring.", "en", MARKET, 60),
)
"""Name, description, default language, definition, how many days ago it was published."""


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    """The three surveys, each published (version 1) some months before ``now``."""
    owner_id = conn.execute(
        select(user_table.c.id)
        .where(user_table.c.role.in_(("marketing", "admin")))
        .order_by(user_table.c.id)
        .limit(1)
    ).scalar_one_or_none()
    for name, description, language, data, days in SURVEYS:
        published_at = now - timedelta(days=days, hours=rng.randint(0, 8))
        created_at = published_at - timedelta(days=rng.randint(2, 10))
        survey_id = conn.execute(
            insert(survey)
            .values(
                name=name,
                description=description,
                status="active",
                default_language=language,
                published_version_id=None,
                owner_id=owner_id,
                created_by=owner_id,
                created_at=created_at,
                updated_at=published_at,
                version=2,
            )
            .returning(survey.c.id)
        ).scalar_one()
        version_id = conn.execute(
            insert(survey_version)
            .values(
                survey_id=survey_id,
                number=1,
                status="published",
                definition=to_json(read_definition(data)),
                created_by=owner_id,
                created_at=created_at,
                published_at=published_at,
            )
            .returning(survey_version.c.id)
        ).scalar_one()
        conn.execute(
            update(survey).where(survey.c.id == survey_id).values(published_version_id=version_id)
        )
