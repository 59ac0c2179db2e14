"""Who may do what in the results part.

Aggregated figures (NPS, CSAT, counts, trends, cross-tabs by country, role, language or
send) count every response, as seat counts do. Whatever shows single responses (text
search, the CSV export) and a cross-tab cell by segment obeys the record rules.
"""

from __future__ import annotations

from crmkit import Permission

RESULTS_READ = "surveys:results.read"

PERMISSIONS = [
    Permission(
        RESULTS_READ,
        "See survey results: NPS, CSAT, distributions, trends, cross-tabs, answers' texts, CSV",
        ("admin", "manager", "marketing", "service"),
    ),
]
