"""The automatic answer to a message that opened a case: one email, sent through the channels
plugin's ``answer_inbound`` (its loop guard, its daily limit per sender, once per message).

It acknowledges the case with its number, says when the message came outside working
hours (the team's SLA calendar, else the ``working_hours`` setting), and names public
knowledge-base articles that match the question. Its subject carries the case number,
so the customer's answer to it comes back to the case.
"""

from __future__ import annotations

from typing import Any

from crmkit_channels import InboundEmail, answer_inbound
from sqlalchemy import bindparam, update

from crmkit import Transaction, utcnow
from crmkit_service.cases.model import Case
from crmkit_service.cases.tables import case_event
from crmkit_service.inbound.settings import EmailToCaseSettings
from crmkit_service.knowledge.search import suggest
from crmkit_service.sla.calendar_store import calendar_for_team
from crmkit_service.sla.calendars import AROUND_THE_CLOCK, Calendar, is_working_time

RULE = "service.email_to_case"
ARTICLE_LIMIT = 3
PORTAL_ARTICLE = "/p/service/portal/articles/"
_THREAD = (
    update(case_event)
    .where(case_event.c.inbound_email_id == bindparam("answered_inbound_id"))
    .values(email_id=bindparam("answer_id"))
)

SUBJECT = "[{{ number }}] {{ case_subject }}"
TEXT = """{% if acknowledge %}Thank you for your message. We have opened case {{ number }} for it; \
please keep the number in the subject when you write to us about it.
{% endif %}{% if out_of_hours %}
Your message reached us outside our working hours. We will answer it when we are back.
{% endif %}{% if articles %}
These articles may already answer your question:
{% for article in articles %}- {{ article.title }}: {{ article.url }}
{% endfor %}{% endif %}
--
Case {{ number }}: {{ case_subject }}
"""


def calendar_of(tx: Transaction, settings: EmailToCaseSettings) -> Calendar:
    """The working hours of the team new cases go to: its SLA calendar, else the setting's."""
    default = tx.app.settings_of["service"].sla.default_calendar
    found = calendar_for_team(tx.conn, settings.team, default)
    return settings.fallback_calendar() if found is AROUND_THE_CLOCK else found


def _articles(tx: Transaction, message: InboundEmail) -> list[dict[str, str]]:
    public_url = tx.app.settings_of["channels"].public_url.rstrip("/")
    hits = suggest(
        tx.app, tx.conn, message.subject, message.text, public_only=True, limit=ARTICLE_LIMIT
    )
    return [
        {"title": hit.title, "url": f"{public_url}{PORTAL_ARTICLE}{hit.article_id}"} for hit in hits
    ]


def answer_new_case(
    tx: Transaction, message: InboundEmail, opened: Case, settings: EmailToCaseSettings
) -> int | None:
    """Queue the answer to ``message``, which opened ``opened``; the email's id, or None."""
    out_of_hours = settings.out_of_hours_notice and not is_working_time(
        calendar_of(tx, settings), utcnow()
    )

    def variables(articles: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "number": opened.number,
            "case_subject": opened.subject,
            "acknowledge": settings.acknowledge,
            "out_of_hours": out_of_hours,
            "articles": articles,
        }

    if settings.acknowledge or out_of_hours:
        # An answer is due whatever the articles say: they are searched only when it goes out
        # (not when the sender had answers enough today).
        def found() -> dict[str, Any]:
            return variables(_articles(tx, message) if settings.suggest_articles else [])

        email_id = answer_inbound(tx, message.id, RULE, subject=SUBJECT, text=TEXT, variables=found)
    else:
        articles = _articles(tx, message) if settings.suggest_articles else []
        if not articles:
            return None
        email_id = answer_inbound(
            tx, message.id, RULE, subject=SUBJECT, text=TEXT, variables=variables(articles)
        )
    if email_id is not None:
        # The customer's answer to the acknowledgement belongs to the case too.
        tx.conn.execute(_THREAD, {"answered_inbound_id": message.id, "answer_id": email_id})
    return email_id
