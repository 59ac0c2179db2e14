"""Checking a message's templates before anything is stored, whoever the audience is.

The channels plugin renders each message for its recipient when it is queued; a send whose
audience holds nobody to invite queues nothing, so its templates would never be tried. Here
each language's texts are rendered in a Jinja2 sandbox like the channels plugin's (strict:
an unknown variable fails) with sample values for every variable a recipient's message
gets, so a template that cannot render is refused up front naming ``message.<lang>.<field>``.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crmkit import ValidationError

_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
_PARTY = {
    "id": 1,
    "name": "Alex Sample",
    "first_name": "Alex",
    "last_name": "Sample",
    "organisation_name": "",
}
"""What the channels plugin gives a template as ``party`` (its ``party_variables``)."""


def _variables(channel: str, survey_name: str) -> dict[str, object]:
    contact = {"phone": "+15550100"} if channel == "sms" else {"email": "alex@example.org"}
    return {
        "survey_url": "https://crm.example.org/p/surveys/a/sample",
        "survey_name": survey_name,
        "expires_on": "2030-01-31",
        "unsubscribe_url": "https://crm.example.org/unsubscribe/sample",
        "party": {**_PARTY, **contact},
    }


def check_renders(
    messages: Mapping[str, Mapping[str, str]],
    channel: str,
    survey_name: str,
    field: str = "message",
) -> None:
    """ValidationError naming ``<field>.<lang>.<name>`` for the first text that does not
    render with sample variables."""
    variables = _variables(channel, survey_name)
    for language, message in messages.items():
        for name, source in message.items():
            environment = _HTML if name == "html" else _TEXT
            try:
                environment.from_string(source).render(variables)
            except TemplateError as exc:
                raise ValidationError(
                    f"{field}.{language}.{name}", f"the template does not render: {exc}"
                ) from None
