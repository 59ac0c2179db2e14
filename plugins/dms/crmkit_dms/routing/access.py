"""Who may do what in the routing part.

Staff with ``dms:lead.route`` route leads and answer any assignment; a partner user answers
the assignments of its own partner only (``crmkit_dms.partners.model.partner_of_user``), and
an assignment of another partner is NotFound to it, never Forbidden.
"""

from __future__ import annotations

from crmkit import Permission

LEAD_ROUTE = "dms:lead.route"
ASSIGNMENT_READ = "dms:assignment.read"
ASSIGNMENT_RESPOND = "dms:assignment.respond"

PERMISSIONS = [
    Permission(LEAD_ROUTE, "Route and reroute leads to partners by hand", ("admin", "manager")),
    Permission(
        ASSIGNMENT_READ,
        "See lead assignments: staff those of parties they see, partner users their partner's",
        ("admin", "manager", "sales", "read-only"),
    ),
    Permission(
        ASSIGNMENT_RESPOND,
        "Accept, decline and report the outcome of an assignment (partner users: their own)",
        ("admin", "manager"),
    ),
]
