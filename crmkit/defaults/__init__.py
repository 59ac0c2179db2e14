"""The kernel's own default behaviour, registered as plugins so that plugins can override it.

As in datasette, these modules are registered before any installed plugin
(so installed plugins' implementations run first) under the names ``core.<module>``.
"""

from __future__ import annotations

MODULES: tuple[str, ...] = (
    "crmkit.defaults.permissions",
    "crmkit.defaults.identity",
    "crmkit.defaults.housekeeping",
    "crmkit.defaults.import_profiles",
    "crmkit.defaults.auth",
    "crmkit.defaults.work",
    "crmkit.defaults.perishability",
    "crmkit.defaults.lead_form",
    "crmkit.defaults.webhooks",
)
