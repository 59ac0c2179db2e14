"""The plugin's settings: the ``[plugins.surveys]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_surveys.answering.settings import AnsweringSettings
from crmkit_surveys.definitions.settings import DefinitionsSettings
from crmkit_surveys.invitations.settings import InvitationsSettings
from crmkit_surveys.results.settings import ResultsSettings


@frozen
class SurveysSettings:
    """How surveys behave in this CRM."""

    definitions: DefinitionsSettings = field(factory=DefinitionsSettings)
    invitations: InvitationsSettings = field(factory=InvitationsSettings)
    answering: AnsweringSettings = field(factory=AnsweringSettings)
    results: ResultsSettings = field(factory=ResultsSettings)
