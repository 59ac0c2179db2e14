"""A loopback SAP system for tests and benchmarks: a real HTTP server speaking OData V2.

``SapServer`` serves ``API_BUSINESS_PARTNER`` (generated partners) and any service mounted
with :meth:`SapServer.mount`; faults are switched on through ``server.faults``.
"""

from __future__ import annotations

from crmkit_erp_sap.testing.business_partners import BusinessPartners, partner_number
from crmkit_erp_sap.testing.edmx import samples_dir
from crmkit_erp_sap.testing.sap_server import (
    Faults,
    SapRequest,
    SapResponse,
    SapServer,
    Service,
    json_answer,
    odata_error,
)

__all__ = [
    "BusinessPartners",
    "Faults",
    "SapRequest",
    "SapResponse",
    "SapServer",
    "Service",
    "json_answer",
    "odata_error",
    "partner_number",
    "samples_dir",
]
