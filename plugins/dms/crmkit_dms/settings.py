"""The plugin's settings: the ``[plugins.dms]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_dms.formats.settings import FormatsSettings
from crmkit_dms.partners.settings import PartnersSettings
from crmkit_dms.routing.settings import RoutingSettings
from crmkit_dms.vehicles.settings import VehiclesSettings


@frozen
class DmsSettings:
    """How the dms plugin behaves in this CRM."""

    partners: PartnersSettings = field(factory=PartnersSettings)
    vehicles: VehiclesSettings = field(factory=VehiclesSettings)
    routing: RoutingSettings = field(factory=RoutingSettings)
    formats: FormatsSettings = field(factory=FormatsSettings)
