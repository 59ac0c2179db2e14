"""How case events look on a party's timeline (interactions of source ``service``)."""

from __future__ import annotations

from markupsafe import Markup

from crmkit import Interaction
from crmkit_service.cases.service import REF_KIND


def render_case_entry(item: Interaction) -> str:
    """What happened to which case, its status then, and a link to the case."""
    html = Markup("<strong>Case</strong> {}").format(item.subject or "")
    if item.outcome:
        html += Markup(' <span class="outcome">({})</span>').format(item.outcome.replace("_", " "))
    for ref in item.refs:
        if ref.kind == REF_KIND:
            html += Markup(' · <a href="/p/service/cases/{}/page">open the case</a>').format(ref.id)
    return str(html)
