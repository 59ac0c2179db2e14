"""Who may do what in the leads part.

Reading leads needs ``social:lead.read``, and each lead is seen only by whoever sees its
party (see :mod:`crmkit_social.leads.records`). Changing a form's field mapping changes where
every later lead's answers go: ``social:lead_form.write``, administrators and managers.
"""

from __future__ import annotations

from crmkit import Permission

LEAD_READ = "social:lead.read"
FORM_WRITE = "social:lead_form.write"

PERMISSIONS: list[Permission] = [
    Permission(
        LEAD_READ,
        "See Lead Ads leads (of the parties one sees) and the forms' field mappings",
        ("admin", "manager", "sales", "service", "read-only"),
    ),
    Permission(FORM_WRITE, "Change the field mapping of a Lead Ads form", ("admin", "manager")),
]
