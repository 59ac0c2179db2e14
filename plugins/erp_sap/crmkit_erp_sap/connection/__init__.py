"""Systems, the OData V2 session (auth, CSRF, retries), metadata and value conversion."""

from __future__ import annotations

from crmkit_erp_sap.connection.errors import PagingLoop, SapError, SapUnavailable
from crmkit_erp_sap.connection.metadata import ServiceMetadata, read_metadata
from crmkit_erp_sap.connection.session import Page, SapSession
from crmkit_erp_sap.connection.values import BadValue

__all__ = [
    "BadValue",
    "Page",
    "PagingLoop",
    "SapError",
    "SapSession",
    "SapUnavailable",
    "ServiceMetadata",
    "read_metadata",
]
