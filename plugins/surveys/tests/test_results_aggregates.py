"""Figures per question, filters, trends per period and cross-tabs by country, role, language
and send, over responses written as the answering part stores them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crmkit_surveys.invitations.tables import invitation, send
from sqlalchemy import insert

from crmkit import Crm, utcnow
from crmkit.testing import add_user


def seed(results_kit: Any, new_party: Any) -> tuple[int, int]:
    """Four completed responses (one in German, one anonymous) and a partial one."""
    survey = results_kit.survey()
    ada = new_party()
    bob = new_party(
        first_name="Bob",
        role="prospect",
        addresses=[{"street": "1 Rue", "postcode": "75001", "city": "Paris", "country": "FR"}],
    )
    results_kit.respond(
        survey,
        {"nps": 10, "csat": 5, "ease": 7, "topics": ["price", "service"], "why": "Great"},
        party_id=ada,
    )
    results_kit.respond(
        survey, {"nps": 9, "csat": 4, "ease": 6, "topics": (["price"], "delivery")}, party_id=bob
    )
    results_kit.respond(
        survey, {"nps": 6, "csat": 2, "ease": 2, "topics": ["service"], "why": "Slow"}
    )
    results_kit.respond(survey, {"nps": 3, "csat": 1}, party_id=ada, language="de")
    results_kit.respond(survey, {"nps": 8, "csat": 3}, party_id=bob, status="partial")
    return survey


def by_key(body: dict[str, Any]) -> dict[str, Any]:
    return {q["key"]: q["figures"] for q in body["questions"]}


def test_results_give_each_question_its_distribution_and_figures(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey_id, _ = seed(results_kit, new_party)
    answer = client_as(staff.agent).get(f"/p/surveys/surveys/{survey_id}/results")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["responses"] == 4
    found = by_key(body)
    nps = found["nps"]
    assert nps["answered"] == 4
    assert [s["count"] for s in nps["scores"]] == [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1]
    # 2 promoters, 2 detractors of 4: NPS 0, var = (0.5 + 0.5 - 0) / 4, margin 1.96 * 0.5.
    assert nps["nps"] == {
        "n": 4,
        "promoters": 2,
        "passives": 0,
        "detractors": 2,
        "score": 0.0,
        "low": -98.0,
        "high": 98.0,
    }
    assert found["csat"]["csat"]["hits"] == 2 and found["csat"]["csat"]["n"] == 4
    assert found["csat"]["mean"]["mean"] == 3.0
    assert [s["score"] for s in found["ease"]["scores"]] == [1, 2, 3, 4, 5, 6, 7]
    assert found["ease"]["mean"]["mean"] == 5.0 and found["ease"]["nps"] is None
    assert found["topics"]["options"] == [
        {"key": "price", "label": "Price", "count": 2},
        {"key": "service", "label": "Service", "count": 2},
    ]
    assert found["topics"]["other"] == 1
    assert found["why"]["texts"] == 2 and found["why"]["scores"] == []


def test_filters_narrow_by_language_partial_responses_version_and_dates(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey_id, version_id = seed(results_kit, new_party)
    client = client_as(staff.marketer)
    url = f"/p/surveys/surveys/{survey_id}/results"
    german = by_key(client.get(url, params={"language": "de"}).json())
    assert german["nps"]["nps"]["n"] == 1 and german["nps"]["nps"]["detractors"] == 1
    with_partial = by_key(client.get(url, params={"partial": "true"}).json())
    assert with_partial["nps"]["nps"]["passives"] == 1 and with_partial["nps"]["answered"] == 5
    assert by_key(client.get(url, params={"version": version_id}).json())["nps"]["answered"] == 4
    today = utcnow().date()
    assert client.get(url, params={"from": str(today)}).json()["responses"] == 4
    later = client.get(url, params={"from": f"{today.year + 1}-01-01"}).json()
    assert later["responses"] == 0 and by_key(later)["nps"]["nps"] is None


def test_bad_parameters_are_refused_naming_them(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    survey_id, _ = results_kit.survey()
    client = client_as(staff.marketer)
    base = f"/p/surveys/surveys/{survey_id}"
    for path, params, field in (
        ("/results", {"colour": "red"}, "colour"),
        ("/results", {"from": "yesterday"}, "from"),
        ("/results", {"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ("/results", {"partial": "yes"}, "partial"),
        ("/results", {"version": "x"}, "version"),
        ("/results", {"version": "999999"}, "version"),
        ("/results/trend", {"period": "day"}, "period"),
        ("/results/trend", {"question": "shoe_size"}, "question"),
        ("/results/trend", {"from": "2000-01-01", "to": "2026-01-01", "period": "week"}, "from"),
        ("/results/crosstab", {"by": "language"}, "question"),
        ("/results/crosstab", {"question": "nps", "by": "star_sign"}, "by"),
        ("/results/crosstab", {"question": "nps", "by": "segment", "segment_id": "1"}, "by"),
        ("/results/crosstab", {"question": "nps", "by": "role", "segment_id": "1"}, "segment_id"),
        ("/answers/search", {}, "q"),
        ("/answers/search", {"q": "a", "limit": "0"}, "limit"),
        ("/answers/search", {"q": "a", "cursor": "nonsense"}, "cursor"),
        ("/results", {"language": "EN!"}, "language"),
        ("/results/trend", {"language": "e n"}, "language"),
        (
            "/answers/search",
            {"q": "a", "score_question": "topics", "max_score": "6"},
            "score_question",
        ),
        ("/answers/search", {"q": "a", "score_question": "shoe_size"}, "score_question"),
    ):
        answer = client.get(base + path, params=params)
        assert answer.status_code == 422, (path, params, answer.text)
        assert answer.json()["field"] == field, (path, params, answer.json())
    twice = client.get(f"{base}/results?language=en&language=de")
    assert twice.status_code == 422 and twice.json()["field"] == "language"
    assert client.get("/p/surveys/surveys/999999/results").status_code == 404
    assert client.get("/p/surveys/surveys/999999/export.csv").status_code == 404


def test_results_are_for_roles_holding_results_read(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    survey_id, _ = results_kit.survey()
    reader = add_user(crm, "rita", "read-only")
    for actor in (staff.outsider, reader):
        client = client_as(actor)
        assert client.get(f"/p/surveys/surveys/{survey_id}/results").status_code == 403
        assert client.get(f"/p/surveys/surveys/{survey_id}/export.csv").status_code == 403
    assert (
        client_as(staff.manager).get(f"/p/surveys/surveys/{survey_id}/results").status_code == 200
    )


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_trends_per_month_quarter_and_week_cross_the_year_boundary(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any
) -> None:
    survey = results_kit.survey()
    for when, score in (
        (at(2025, 12, 15, 12), 10),
        (at(2025, 12, 31, 23, 30), 0),
        (at(2026, 1, 1, 0, 10), 9),
        (at(2026, 3, 2, 8), 5),
    ):
        results_kit.respond(survey, {"nps": score, "csat": 5}, at=when)
    client = client_as(staff.marketer)
    url = f"/p/surveys/surveys/{survey[0]}/results/trend"

    def points(**params: str) -> list[tuple[str, str, int, Any]]:
        answer = client.get(url, params={"question": "nps", **params})
        assert answer.status_code == 200, answer.text
        [trend] = answer.json()["trends"]
        return [
            (
                p["period"],
                p["starts_on"],
                p["figures"]["answered"],
                p["figures"]["nps"] and p["figures"]["nps"]["score"],
            )
            for p in trend["points"]
        ]

    assert points() == [
        ("2025-12", "2025-12-01", 2, 0.0),
        ("2026-01", "2026-01-01", 1, 100.0),
        ("2026-02", "2026-02-01", 0, None),
        ("2026-03", "2026-03-01", 1, -100.0),
    ]
    assert points(period="quarter") == [
        ("2025-Q4", "2025-10-01", 2, 0.0),
        ("2026-Q1", "2026-01-01", 2, 0.0),
    ]
    weeks = points(period="week")
    # Wednesday 31 December 2025 and Thursday 1 January 2026: ISO week 1 of 2026, from Monday 29.
    assert weeks[0] == ("2025-W51", "2025-12-15", 1, 100.0)
    assert weeks[2] == ("2026-W01", "2025-12-29", 2, 0.0)
    assert len(weeks) == 12 and weeks[-1][:3] == ("2026-W10", "2026-03-02", 1)
    # The dates asked for bound the periods, empty ones included.
    assert [p[0] for p in points(**{"from": "2025-11-20", "to": "2026-01-05"})] == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]
    both = client.get(url, params={"period": "quarter"}).json()["trends"]
    assert [t["question"] for t in both] == ["nps", "csat", "ease"]
    assert both[1]["points"][0]["figures"]["csat"]["percent"] == 100.0


def test_crosstabs_by_language_role_country_and_send(
    crm: Crm, staff: Any, client_as: Any, results_kit: Any, new_party: Any
) -> None:
    survey_id, version_id = seed(results_kit, new_party)
    client = client_as(staff.agent)
    url = f"/p/surveys/surveys/{survey_id}/results/crosstab"

    def cells(by: str, whole: int = 4) -> dict[str, tuple[str, int, Any]]:
        answer = client.get(url, params={"question": "nps", "by": by})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["whole"]["answered"] == whole
        return {
            c["key"]: (c["label"], c["figures"]["answered"], c["figures"]["nps"]["score"])
            for c in body["cells"]
        }

    assert cells("language") == {"de": ("de", 1, -100.0), "en": ("en", 3, 33.33)}
    assert cells("role") == {
        "customer": ("customer", 2, 0.0),
        "prospect": ("prospect", 1, 100.0),
        "none": ("anonymous", 1, -100.0),
    }
    assert cells("country") == {
        "DE": ("DE", 2, 0.0),
        "FR": ("FR", 1, 100.0),
        "none": ("no address", 1, -100.0),
    }
    now = utcnow()
    with crm.transaction() as tx:
        send_id = tx.conn.execute(
            insert(send)
            .values(
                survey_id=survey_id,
                version_id=version_id,
                channel="email",
                audience={"party_ids": []},
                message={},
                status="sent",
                invited=1,
                skipped=0,
                expires_at=now,
                created_at=now,
            )
            .returning(send.c.id)
        ).scalar_one()
        invitation_id = tx.conn.execute(
            insert(invitation)
            .values(
                survey_id=survey_id,
                version_id=version_id,
                send_id=send_id,
                dedupe_key="results-test",
                token_hash="0" * 64,
                channel="email",
                language="en",
                status="completed",
                expires_at=now,
                created_at=now,
            )
            .returning(invitation.c.id)
        ).scalar_one()
    results_kit.respond((survey_id, version_id), {"nps": 10}, invitation_id=invitation_id)
    sent = cells("send", whole=5)
    assert sent[f"send:{send_id}"] == (f"Send {send_id} (email, {now:%Y-%m-%d})", 1, 100.0)
    assert sent["none"][:2] == ("no send or rule", 4)
