"""How a survey answer looks on a party's timeline (owned by the answering part)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from crmkit import Interaction
from crmkit_surveys.answering.model import REF_KIND


def response_url(response_id: int | str) -> str:
    return f"/p/surveys/page/responses/{response_id}"


def render_answer(item: Interaction) -> str:
    """The survey and the score in the subject, what the respondent wrote, a link to the answers."""
    html = Markup('<p><span class="badge">survey</span> <strong>{}</strong></p>').format(
        item.subject or "Answered a survey"
    )
    if item.summary:
        html += Markup('<p class="summary">{}</p>').format(item.summary)
    for ref in item.refs:
        if ref.kind == REF_KIND:
            html += Markup('<p><a href="{}">See the answers</a></p>').format(response_url(ref.id))
    return str(html)


RENDERERS: dict[str, Callable[[Any], str]] = {"surveys": render_answer}
