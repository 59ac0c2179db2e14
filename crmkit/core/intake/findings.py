"""What the intake checks found wrong with a prospect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from attrs import frozen

Severity = Literal["hard", "soft"]


@frozen
class Finding:
    """One problem with a prospect: ``hard`` rejects it, ``soft`` lowers its quality."""

    code: str
    severity: Severity
    field: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(data["code"], data["severity"], data.get("field"), data["message"])


def hard(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "hard"]
