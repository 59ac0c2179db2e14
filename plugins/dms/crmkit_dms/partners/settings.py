"""``[plugins.dms.partners]``."""

from __future__ import annotations

from attrs import frozen


@frozen
class PartnersSettings:
    """How the partners part behaves."""
