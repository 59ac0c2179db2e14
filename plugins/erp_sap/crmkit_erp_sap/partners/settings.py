"""``[plugins.erp_sap.partners]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class PartnersSettings:
    """How the partners part behaves.

    ``custom_fields`` maps a partner's extension fields (``YY1_*`` on A_BusinessPartner)
    to the CRM's custom field names; ``sync_every_minutes`` runs a delta sync of every
    configured system that often (0: the job is off).
    """

    custom_fields: dict[str, str] = field(factory=dict)
    sync_every_minutes: int = field(default=0, validator=[validators.ge(0), validators.le(10080)])
