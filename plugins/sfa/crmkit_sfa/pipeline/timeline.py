"""How the plugin's entries look on a party's timeline (interactions of source ``sfa``)."""

from __future__ import annotations

from markupsafe import Markup

from crmkit import Interaction

LABELS = {"phone": "Call", "meeting": "Meeting", "task": "Task", "visit": "Visit", "note": "Note"}


def render_sfa_entry(item: Interaction) -> str:
    """The kind and subject, the outcome, and a link to the opportunity it was for."""
    label = LABELS.get(item.channel, item.channel.capitalize())
    html = Markup("<strong>{}</strong> {}").format(label, item.subject or "")
    if item.outcome:
        html += Markup(' <span class="outcome">({})</span>').format(item.outcome)
    for ref in item.refs:
        if ref.kind == "sfa.opportunity":
            html += Markup(' · <a href="/p/sfa/opportunities/{}/page">opportunity</a>').format(
                ref.id
            )
    return str(html)
