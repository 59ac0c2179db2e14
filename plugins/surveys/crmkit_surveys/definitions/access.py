"""Who may do what in the definitions part.

Surveys are not about parties: whoever holds ``surveys:survey.read`` sees every survey and
its versions; the responses to them follow the record rules in the answering part.
"""

from __future__ import annotations

from crmkit import Permission

SURVEY_READ = "surveys:survey.read"
SURVEY_WRITE = "surveys:survey.write"

PERMISSIONS: list[Permission] = [
    Permission(
        SURVEY_READ,
        "See surveys, their versions and questions",
        ("admin", "manager", "marketing", "sales", "service", "read-only"),
    ),
    Permission(
        SURVEY_WRITE,
        "Create, edit, publish, close and delete surveys",
        ("admin", "manager", "marketing"),
    ),
]
