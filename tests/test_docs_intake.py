"""The prospect intake page is true: its findings are the kernel's, its HTTP examples answer as shown."""

from __future__ import annotations

import ast
import json
import re
import shlex
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core.intake import sanity
from crmkit.core.intake.findings import Finding
from crmkit.testing import http_client, register_plugin

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "prospect-intake.md"
INTAKE = ROOT / "crmkit" / "core" / "intake"
ROW = re.compile(r"^\| `(\w+)` \| (hard|soft) \| (\d+|-) \|", re.M)


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def findings_in_code() -> dict[str, str]:
    """``{code: severity}`` of every ``Finding("code", "severity", ...)`` the intake modules make."""
    found: dict[str, str] = {}
    for module in INTAKE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Finding"
            ):
                code, severity = (
                    arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant)
                )
                found[code] = severity
    return found


def findings_in_doc() -> dict[str, tuple[str, str]]:
    """``{code: (severity, penalty)}`` of the page's table of findings."""
    return {code: (severity, penalty) for code, severity, penalty in ROW.findall(page())}


def test_the_code_is_read_for_findings() -> None:
    # Guards the comparison below against two empty sets agreeing.
    assert {"fake_name", "no_contact_route", "phone_type", "email_invalid"} <= set(
        findings_in_code()
    )


def test_every_finding_of_the_code_is_documented_and_every_documented_one_exists() -> None:
    assert set(findings_in_doc()) == set(findings_in_code())


def test_documented_severity_and_penalty_are_those_applied() -> None:
    code_severity = findings_in_code()
    for code, (severity, penalty) in findings_in_doc().items():
        assert severity == code_severity[code], code
        charged = 100 - sanity.quality([Finding(code, "soft", None, "")])
        assert penalty == ("-" if severity == "hard" else str(charged)), code


def test_the_penalty_of_a_plugins_code_is_documented() -> None:
    assert f"{sanity.DEFAULT_PENALTY} for a plugin's code" in page()


def json_blocks() -> list[Any]:
    return [json.loads(b) for b in re.findall(r"^```json\n(.*?)\n```$", page(), re.M | re.S)]


def posted_body(path: str = "/api/v1/prospects") -> Any:
    """The body of the page's ``curl -X POST`` example to ``path``."""
    [command] = [
        block.replace("\\\n", " ")
        for block in re.findall(r"^```sh\n(.*?)\n```$", page(), re.M | re.S)
        if f"{path} " in block
    ]
    words = shlex.split(command)
    return json.loads(words[words.index("-d") + 1])


def timeless(value: Any) -> Any:
    """``value`` without its timestamps (``*_at``), which differ on every run."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if not k.endswith("_at")}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def test_http_examples_answer_as_shown(make_crm: Callable[..., Crm]) -> None:
    admin = Actor(user_id=None, username="anna.admin", role="admin")
    login = register_plugin(
        types.SimpleNamespace(actor_from_request=hookimpl(lambda app, request: admin)),
        name="signon",
    )
    created, soft, rejected, queue, merges, resolved = (timeless(b) for b in json_blocks())
    address = {"street": "Hauptstr. 12", "postcode": "10115", "city": "Berlin", "country": "DE"}
    with http_client(make_crm([login])) as client:
        first = client.post("/api/v1/prospects", json=posted_body())
        assert (first.status_code, first.headers["location"]) == (201, "/api/v1/prospects/1")
        assert timeless(first.json()) == created

        maybe = client.post(
            "/api/v1/prospects",
            json={
                "first_name": "Jonas",
                "last_name": "Webber",
                "phones": ["+49 30 901820"],
                "addresses": [address],
            },
        ).json()
        assert (maybe["outcome"], maybe["reviews"]) == ("review", [1])

        same = client.post(
            "/api/v1/prospects",
            json={"first_name": "JONAS", "last_name": "WEBER", "emails": ["Jonas.Weber@web.de"]},
        )
        assert same.status_code == 200
        assert (same.json()["outcome"], same.json()["party"]["version"]) == ("matched", 1)

        mia = client.post(
            "/api/v1/prospects",
            json={
                "first_name": "Mia",
                "last_name": "Roth",
                "emails": ["mia@mailinator.com"],
                "phones": ["+44 20 7946 0958"],
            },
        ).json()
        assert {k: mia[k] for k in soft} == soft

        test = client.post(
            "/api/v1/prospects",
            json={"first_name": "Test", "last_name": "Test", "emails": ["test@example.com"]},
        )
        assert test.status_code == 422
        assert test.json() == rejected

        assert timeless(client.get("/api/v1/match-reviews").json()) == queue
        decided = client.post("/api/v1/match-reviews/1", json={"decision": "merge"})
        assert decided.status_code == 200 and decided.json()["status"] == "merged"
        assert timeless(client.get("/api/v1/parties/1/merges").json()) == merges

        event = posted_body("/api/v1/parties/resolve")
        taken_in = client.post("/api/v1/parties/resolve", json=event)
        assert taken_in.status_code == 201
        assert taken_in.headers["location"] == f"/api/v1/parties/{resolved['party_id']}"
        assert taken_in.json() == resolved
        again = client.post("/api/v1/parties/resolve", json={**event, "emails": []})
        assert again.status_code == 200
        assert again.json() == {
            **resolved,
            "outcome": "found",
            "found_by": "external_id",
            "findings": [],
            "quality": None,
            "score": None,
            "band": None,
        }
