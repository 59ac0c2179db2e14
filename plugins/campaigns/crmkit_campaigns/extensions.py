"""What other plugins add to campaigns: segment criteria and after-sales triggers.

A plugin contributes them through the hooks of :mod:`crmkit_campaigns.hookspecs`
without importing this plugin: its objects only need the attributes below. The
service plugin, for one, adds "has an open case" and "warranty ending" this way,
with ``@hookimpl(optionalhook=True)`` so that it loads without campaigns too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select


class Criterion(Protocol):
    """A condition a segment can use, beside the built-in ones."""

    name: str
    """Unique, lower-case and dotted, the contributing plugin's name first: ``service.open_case``."""
    label: str
    """What the segment form shows: ``Has an open case``."""
    parameters: Mapping[str, str]
    """Each parameter's name and kind: ``text``, ``number``, ``date``, ``days`` or
    ``choice:a|b|c``. The segment form shows one input per parameter."""

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        """The SQL condition on ``party_id`` (the party table's key, correlated), for example an
        ``EXISTS`` over the plugin's own tables. Raises ValidationError naming the parameter
        for a value it cannot take. Never reads the database: the segment stays one query."""
        ...


class Trigger(Protocol):
    """What starts an after-sales campaign for a customer: a date in what they own or bought."""

    name: str
    """Unique, lower-case and dotted, the contributing plugin's name first: ``service.warranty_ending``."""
    label: str
    parameters: Mapping[str, str]
    """As for :class:`Criterion`; ``days`` before or after the date is the usual one."""

    def occurrences(self, parameters: Mapping[str, Any], on: date) -> Select[Any]:
        """A query of the occurrences due on or before ``on``: rows of ``party_id``, ``occurrence``
        (text naming the occurrence, unique per party: ``asset 12 warranty 2027-03-01``) and
        ``due_on`` (a date). A customer is entered once per occurrence, however often the job runs.
        Raises ValidationError naming the parameter for a value it cannot take."""
        ...
