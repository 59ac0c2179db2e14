"""The emails a registrant gets, sent through the channels plugin as transactional mail.

Each is its own subject, text and HTML, rendered by channels' sandbox with the
variables given here (and ``party``); links are signed (see tokens.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crmkit_channels import EmailMessage

from crmkit_campaigns.events.links import registrant_links

PURPOSE = "event-registration"
_GREETING = "Hello {{ first_name }},\n\n"
_WHEN = "{{ event }}\n{{ when }}{% if venue %}\n{{ venue }}{% endif %}{% if online_url %}\n{{ online_url }}{% endif %}\n\n"

CONFIRM_REQUEST = (
    "Please confirm your registration: {{ event }}",
    _GREETING
    + "thank you for registering for\n\n"
    + _WHEN
    + "Please confirm your registration by following this link (it works for {{ hours }} hours):\n\n"
    "{{ confirm_url }}\n\nIf you did not register, ignore this email: nothing happens without the click.\n",
    "<p>Hello {{ first_name }},</p><p>thank you for registering for <b>{{ event }}</b>, {{ when }}.</p>"
    '<p><a href="{{ confirm_url }}">Confirm my registration</a> (the link works for {{ hours }} hours).</p>'
    "<p>If you did not register, ignore this email: nothing happens without the click.</p>",
)
CONFIRMED = (
    "Your seat: {{ event }}",
    _GREETING
    + "{{ lead }}\n\n"
    + _WHEN
    + "Your ticket (show its QR code at the entrance): {{ qr_url }}\n"
    "Add it to your calendar: {{ ics_url }}\n\n"
    "Cannot come? Please free your seat for someone on the waiting list: {{ cancel_url }}\n",
    "<p>Hello {{ first_name }},</p><p>{{ lead }}</p>"
    "<p><b>{{ event }}</b><br>{{ when }}{% if venue %}<br>{{ venue }}{% endif %}</p>"
    '<p><img src="{{ qr_url }}" alt="Your check-in code" width="240" height="240"></p>'
    '<p><a href="{{ qr_url }}">Your ticket</a> · <a href="{{ ics_url }}">Add to calendar (.ics)</a></p>'
    '<p>Cannot come? <a href="{{ cancel_url }}">Free your seat</a> for someone on the waiting list.</p>',
)
WAITLISTED = (
    "Waiting list: {{ event }}",
    _GREETING
    + "thank you for confirming. {{ event }} is full at the moment: you are number {{ position }} "
    "on the waiting list. We will email you as soon as a seat is yours.\n\n"
    "No longer interested? {{ cancel_url }}\n",
    "<p>Hello {{ first_name }},</p><p>thank you for confirming. <b>{{ event }}</b> is full at the moment: "
    "you are number <b>{{ position }}</b> on the waiting list. We will email you as soon as a seat is yours.</p>"
    '<p>No longer interested? <a href="{{ cancel_url }}">Leave the waiting list</a>.</p>',
)
REMINDER = (
    "Reminder: {{ event }}",
    _GREETING + "a reminder that you are registered for\n\n" + _WHEN + "Your ticket: {{ qr_url }}\n"
    "Cannot come? Please free your seat: {{ cancel_url }}\n",
    "<p>Hello {{ first_name }},</p><p>a reminder that you are registered for <b>{{ event }}</b>, {{ when }}.</p>"
    '<p><img src="{{ qr_url }}" alt="Your check-in code" width="240" height="240"></p>'
    '<p>Cannot come? <a href="{{ cancel_url }}">Free your seat</a>.</p>',
)
LEAD_CONFIRMED = "your registration is confirmed: your seat is reserved."
LEAD_PROMOTED = "good news: a seat has become free, and it is yours."


def when(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    """``Tue 12 Jan 2027, 10:00 to 17:00 (Europe/Berlin)``: the event's time where it happens."""
    zone = ZoneInfo(time_zone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    until = (
        end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%a %d %b %Y, %H:%M")
    )
    return f"{start.strftime('%a %d %b %Y, %H:%M')} to {until} ({time_zone})"


def message(
    app: Any,
    template: tuple[str, str, str],
    registration: Any,
    event: Any,
    **extra: Any,
) -> EmailMessage:
    """The email ``template`` to the registrant of ``registration`` (a row) about ``event`` (a row)."""
    variables = {
        **registrant_links(app, registration.id, event.id, event.slug),
        "first_name": registration.first_name or "",
        "event": event.name,
        "when": when(event.starts_at, event.ends_at, event.time_zone),
        "venue": event.venue or "",
        "online_url": event.online_url or "",
        **extra,
    }
    subject, text, html = template
    return EmailMessage(
        registration.party_id,
        PURPOSE,
        subject=subject,
        text=text,
        html=html,
        variables=variables,
        transactional=True,
        to=registration.email,
    )
