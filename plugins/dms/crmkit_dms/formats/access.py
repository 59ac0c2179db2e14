"""Who may do what in the formats part."""

from __future__ import annotations

from crmkit import Permission

DOCUMENT_READ = "dms:document.read"
DOCUMENT_IMPORT = "dms:document.import"

PERMISSIONS = [
    Permission(
        DOCUMENT_READ,
        "See the log of ADF and STAR documents received and sent, and export leads as ADF",
        ("admin", "manager"),
    ),
    Permission(DOCUMENT_IMPORT, "Take in an ADF or STAR document by hand", ("admin",)),
]
