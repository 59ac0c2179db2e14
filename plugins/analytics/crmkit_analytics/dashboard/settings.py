"""Settings of the dashboard part: ``[plugins.analytics.dashboard]``."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen, validators

from crmkit_analytics.dashboard.roles import ROLES, TILE_NAMES


def _known_roles(_: Any, attribute: Any, value: dict[str, str]) -> None:
    for role, metric in value.items():
        if role not in ROLES:
            raise ValueError(
                f"{attribute.name}: {role!r} is no role; expected one of {', '.join(sorted(ROLES))}"
            )
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"{attribute.name}: {role}: expected a metric name")


@frozen
class DashboardSettings:
    """How the dashboard part behaves."""

    metrics: dict[str, str] = field(
        factory=dict,
        validator=[validators.instance_of(dict), _known_roles],
    )
    """Which metric fills each role of a tile, where a source names it differently from the
    default (``pipeline = "sfa.pipeline"``)."""
    lead_age_bands: list[int] = field(
        factory=lambda: [2, 7, 30, 90], validator=validators.instance_of(list)
    )
    """Upper limits in days of the age bands of open leads (rising): 0-2, 3-7, 8-30, 31-90,
    over 90 by default."""

    @lead_age_bands.validator
    def _rising(self, attribute: Any, value: list[int]) -> None:
        if any(not isinstance(v, int) or v < 0 for v in value) or value != sorted(set(value)):
            raise ValueError(f"{attribute.name}: expected rising whole numbers of days")

    hidden_tiles: list[str] = field(factory=list, validator=validators.instance_of(list))

    @hidden_tiles.validator
    def _known_tiles(self, attribute: Any, value: list[str]) -> None:
        for name in value:
            if name not in TILE_NAMES:
                raise ValueError(
                    f"{attribute.name}: {name!r} is no tile; expected some of {', '.join(TILE_NAMES)}"
                )

    """Tiles not shown even when their metrics are published."""
