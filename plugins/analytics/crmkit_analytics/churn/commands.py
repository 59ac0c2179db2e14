"""``crmkit analytics churn``: score every customer now, or ``--evaluate`` the model against the
plain recency rule on the last window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import NoReturn

import click

from crmkit import Crm, utcnow
from crmkit_analytics.churn import service


@click.command("churn")
@click.option(
    "--evaluate",
    is_flag=True,
    help="Fit one window back and report the AUC of the model and of the recency rule on the "
    "last window; stores nothing",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Take this day (YYYY-MM-DD, midnight UTC) as today  [default: now]",
)
@click.pass_obj
def churn(app: Crm, evaluate: bool, as_of: datetime | None) -> None:
    """Score every customer's risk of leaving (or --evaluate); a JSON object on the last line.

    A day after today or before the first purchase is refused (exit code 2); a run that finds
    nobody to score keeps the stored scores and exits 2 saying so."""
    now = None if as_of is None else as_of.replace(tzinfo=UTC)
    if now is not None:
        with app.read() as conn:
            try:
                service.check_moment(conn, now)
            except service.ChurnError as exc:
                _fail(f"--as-of: {exc}")
    if evaluate:
        found = service.evaluate(app, now)
        better = service.beats(found)
        _say_quality(found.model_auc, found.recency_auc, better)
        click.echo(
            json.dumps(
                {
                    "model_auc": found.model_auc,
                    "recency_auc": found.recency_auc,
                    "beats_recency": better,
                    "trained_on": found.trained_on,
                    "tested_on": found.tested_on,
                    "defected": found.defected,
                    "fitted": found.model.fitted,
                }
            )
        )
        return
    done = service.refresh(app, now)
    if not done["replaced"]:
        _fail(
            "nobody bought within active_days before "
            f"{(now or utcnow()).date().isoformat()}: nothing was scored and the "
            f"{done['kept']} stored score(s) are kept"
        )
    _say_quality(done["model_auc"], done["recency_auc"], done["beats_recency"])
    if now is not None and now.date() < utcnow().date():
        click.echo(
            f"Note: the stored work list is now the one of {now.date().isoformat()} until the "
            "next run (--evaluate looks back without storing)",
            err=True,
        )
    click.echo(
        json.dumps(
            {
                "scored": done["scored"],
                "trained_on": done["trained_on"],
                "fitted": done["fitted"],
                "model_auc": done["model_auc"],
                "recency_auc": done["recency_auc"],
                "beats_recency": done["beats_recency"],
                "coefficients": dict(zip(done["features"], done["coefficients"], strict=True)),
            }
        )
    )


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


def _say_quality(model_auc: float | None, recency_auc: float | None, better: bool | None) -> None:
    """A warning line when the model does not rank the held-out window better than the plain
    recency rule (or that cannot be measured): the scores are then no better than sorting by
    days since the last order."""
    if better is None:
        click.echo(
            "Warning: the model could not be checked against the recency rule (too little "
            "history one window back, or nobody or everybody defected in the last window)",
            err=True,
        )
    elif not better:
        click.echo(
            f"Warning: on this data the model does not beat the plain recency rule "
            f"(AUC {model_auc:.3f} against {recency_auc:.3f} on the last window): rank by "
            "days since the last order, or wait for more history and signals",
            err=True,
        )


COMMANDS = [churn]
