"""The ``[plugins.service.sla]`` settings: where the tier is read, warnings, escalation, pauses."""

from __future__ import annotations

from attrs import Attribute, field, frozen, validators

ESCALATION_STEPS = ("owner", "team_lead", "manager")
"""Who a breach is escalated to: the case's owner, the owner's manager, and that person's manager."""


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _escalation_chain(
    instance: object, attribute: Attribute[tuple[str, ...]], value: object
) -> None:
    steps = ", ".join(ESCALATION_STEPS)
    if not isinstance(value, tuple) or not value:
        raise ValueError(f"{attribute.name}: expected a non-empty list of {steps}")
    for step in value:
        if step not in ESCALATION_STEPS:
            raise ValueError(f"{attribute.name}: unknown step {step!r}: use {steps}")
    if len(set(value)) != len(value):
        raise ValueError(f"{attribute.name}: names a step twice")


@frozen
class SlaSettings:
    """How SLA clocks are chosen, paused, warned about and escalated."""

    tier_field: str = field(
        default="service_tier",
        validator=[validators.instance_of(str), validators.matches_re(r"^[a-z][a-z0-9_]{0,62}$")],
    )
    """The custom field of the party that holds its customer tier (gold, silver ...)."""

    default_calendar: str | None = field(
        default=None, validator=validators.optional(validators.instance_of(str))
    )
    """The calendar of teams without their own; without one they count around the clock (UTC)."""

    warning_percent: int = field(
        default=80,
        validator=[validators.instance_of(int), validators.ge(1), validators.le(99)],
    )
    """A policy without its own threshold warns when this share of a target is used."""

    escalation: tuple[str, ...] = field(
        default=ESCALATION_STEPS, converter=_as_tuple, validator=_escalation_chain
    )
    """Who is told on breach, in order; a policy may name its own chain."""

    escalation_step_minutes: int = field(
        default=60, validator=[validators.instance_of(int), validators.ge(1)]
    )
    """Minutes after which a breach still open goes to the next person of the chain."""

    pause_on_third_party: bool = field(default=False, validator=validators.instance_of(bool))
    """Whether clocks also pause while the case waits on a third party (a supplier, a carrier)."""
