"""The kernel's import profiles: Salesforce's and HubSpot's exports, registered as a plugin's would be."""

from __future__ import annotations

from crmkit.core.import_profiles import HUBSPOT, SALESFORCE, ImportProfile
from crmkit.hooks.markers import hookimpl


@hookimpl
def register_import_profiles() -> list[ImportProfile]:
    return [SALESFORCE, HUBSPOT]
