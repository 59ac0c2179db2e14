"""Who may record and change assets and contracts.

An asset, a contract or a dispatch is exactly as visible as its party, by the
rule cases follow (:mod:`crmkit_service.cases.access`): a party the actor may
not see makes its records "not found", never "forbidden".
"""

from __future__ import annotations

from crmkit import Permission

ASSET_READ = "service:asset.read"
ASSET_WRITE = "service:asset.write"
CONTRACT_WRITE = "service:contract.write"

PERMISSIONS = [
    Permission(
        ASSET_READ,
        "See customers' assets, service contracts and entitlements",
        ("admin", "manager", "service", "sales", "read-only"),
    ),
    Permission(ASSET_WRITE, "Record and change customers' assets", ("admin", "manager", "service")),
    Permission(CONTRACT_WRITE, "Record and change service contracts", ("admin", "manager")),
]
