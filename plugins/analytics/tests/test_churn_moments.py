"""``crmkit analytics churn``: a day after today or before the data is refused without touching
the stored work list, a run that finds nobody to score keeps it, and the command says so when
the model does not beat the plain recency rule (both AUCs reported)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from crmkit_analytics.churn import service
from crmkit_analytics.churn.tables import model as model_table
from crmkit_analytics.churn.tables import risk
from sqlalchemy import func, select

from crmkit import Crm, utcnow
from crmkit.testing import invoke

from .conftest import PartyMaker, PurchaseAdder


def counts(crm: Crm) -> tuple[int, int]:
    with crm.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(risk)).scalar_one(),
            conn.execute(select(func.count()).select_from(model_table)).scalar_one(),
        )


@pytest.fixture
def scored_book(crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder) -> list[int]:
    """Three monthly buyers, the first purchase 400 days ago, scored once."""
    parties = []
    for silence in (20, 60, 100):
        party = new_party(last_name=f"Buyer {silence}")
        add_purchases(party, [(silence + 30 * k, 50.0) for k in range(int((400 - silence) / 30))])
        parties.append(party)
    assert service.refresh(crm)["scored"] == 3
    assert counts(crm) == (3, 1)
    return parties


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (lambda: (utcnow() + timedelta(days=2)).date().isoformat(), "is in the future"),
        (lambda: "2030-01-01", "is in the future"),
        (lambda: "1990-01-01", "is before the first purchase"),
        (lambda: (utcnow() - timedelta(days=500)).date().isoformat(), "before the first purchase"),
    ],
)
@pytest.mark.parametrize("evaluate", [False, True])
def test_as_of_outside_the_data_is_refused_and_keeps_the_list(
    crm: Crm, scored_book: list[int], day: Any, says: str, evaluate: bool
) -> None:
    args = ["analytics", "churn", "--as-of", day(), *(["--evaluate"] if evaluate else [])]
    result = invoke(crm, *args)
    assert result.exit_code == 2
    assert says in result.output
    assert "--as-of" in result.output
    assert "Traceback" not in result.output
    assert counts(crm) == (3, 1)


def test_as_of_today_and_within_the_data_is_taken(crm: Crm, scored_book: list[int]) -> None:
    result = invoke(crm, "analytics", "churn", "--as-of", utcnow().date().isoformat())
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["scored"] == 3
    assert "Note" not in result.output
    past = (utcnow() - timedelta(days=50)).date().isoformat()
    result = invoke(crm, "analytics", "churn", "--as-of", past)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["scored"] == 3
    assert f"the stored work list is now the one of {past}" in result.output


def test_a_run_that_scores_nobody_keeps_the_stored_list(
    make_analytics: Any, new_party: Any
) -> None:
    from .conftest import insert_purchases

    crm = make_analytics(analytics={"churn": {"active_days": 30}})
    party = new_party(last_name="Quiet buyer")
    insert_purchases(crm, party, [(10, 20.0), (40, 20.0)])
    assert service.refresh(crm)["scored"] == 1
    assert counts(crm) == (1, 1)
    # 25 days on, nobody has bought within active_days: nothing to score, nothing replaced.
    later = utcnow() + timedelta(days=25)
    done = service.refresh(crm, later)
    assert done == {**done, "scored": 0, "replaced": False, "kept": 1}
    assert counts(crm) == (1, 1)


def test_job_and_command_keep_the_list_when_nobody_is_active(
    make_analytics: Any, new_party: Any
) -> None:
    from .conftest import insert_purchases

    crm = make_analytics(analytics={"churn": {"active_days": 30}})
    party = new_party(last_name="Quiet buyer")
    insert_purchases(crm, party, [(10, 20.0), (40, 20.0)])
    assert service.refresh(crm, utcnow() - timedelta(days=5))["scored"] == 1
    # Everyone falls silent: push their purchases back beyond active_days.
    from crmkit_analytics.transactions.tables import purchase

    with crm.transaction() as tx:
        tx.conn.execute(purchase.delete())
    insert_purchases(crm, party, [(110, 20.0), (140, 20.0)])
    run = crm.jobs.run("analytics.churn")
    assert run.ok
    assert counts(crm) == (1, 1)
    result = invoke(crm, "analytics", "churn")
    assert result.exit_code == 2
    assert "nothing was scored" in result.output and "1 stored score(s) are kept" in result.output
    assert counts(crm) == (1, 1)


def _signal_poor_book(crm: Crm, new_party: PartyMaker) -> None:
    """Twenty customers, no complaint, answer or contact: ten quick buyers a month late (four
    times their usual gap) who come back, ten slow ones who leave. Too few to fit, so the
    starting weights rank by rhythm and get it wrong; days since the last order get it right."""
    from .conftest import insert_purchases

    for i in range(10):
        quick = new_party(last_name=f"Quick {i}")
        insert_purchases(crm, quick, [(30, 25.0)] + [(120 + 10 * k, 25.0) for k in range(28)])
        slow = new_party(last_name=f"Slow {i}")
        insert_purchases(crm, slow, [(280 + i, 90.0), (490 + i, 90.0), (700 + i, 90.0)])


def test_evaluate_says_when_the_model_does_not_beat_the_recency_rule(
    crm: Crm, new_party: PartyMaker, staff: Any, client_as: Any
) -> None:
    _signal_poor_book(crm, new_party)
    result = invoke(crm, "analytics", "churn", "--evaluate")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output.strip().splitlines()[-1])
    assert found["recency_auc"] > found["model_auc"]
    assert found["beats_recency"] is False
    assert "does not beat the plain recency rule" in result.output
    # Scoring reports the same check, stores it with the model, and the page shows it.
    result = invoke(crm, "analytics", "churn")
    assert result.exit_code == 0, result.output
    done = json.loads(result.output.strip().splitlines()[-1])
    assert done["beats_recency"] is False
    assert done["recency_auc"] == found["recency_auc"]
    assert "does not beat the plain recency rule" in result.output
    with crm.read() as conn:
        assert service.latest_quality(conn) == {
            "model_auc": done["model_auc"],
            "recency_auc": done["recency_auc"],
            "beats_recency": False,
        }
    page = client_as(staff.admin).get("/p/analytics/page/churn")
    assert page.status_code == 200
    assert "did not rank better than days since the last purchase" in page.text


def test_no_warning_when_the_model_beats_the_rule(generated_crm: Any) -> None:
    made = generated_crm(customers=400, seed=5)
    result = invoke(made.crm, "analytics", "churn")
    assert result.exit_code == 0, result.output
    done = json.loads(result.output.strip().splitlines()[-1])
    assert done["beats_recency"] is True and done["model_auc"] > done["recency_auc"]
    assert "Warning" not in result.output
    with made.crm.read() as conn:
        assert service.latest_quality(conn) == {
            "model_auc": done["model_auc"],
            "recency_auc": done["recency_auc"],
            "beats_recency": True,
        }
