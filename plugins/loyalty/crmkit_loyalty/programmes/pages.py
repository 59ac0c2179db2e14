"""The programmes part's pages: the list of programmes (with a form for a new one) and a
programme's page, with its rules, tiers (members per tier) and rewards, and forms to add,
change and retire each.

A refused form shows the page again with what was typed in that form and the reason,
having stored nothing (422, or 409 when someone changed the record meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, currencies, is_allowed
from crmkit.web import Refusal, actor_of, crm_of, page_response, read_as, submit
from crmkit_loyalty.programmes import forms, rewards_edit, rules_edit, service, tiers_edit
from crmkit_loyalty.programmes.access import PROGRAMME_READ, PROGRAMME_WRITE
from crmkit_loyalty.programmes.overview import members_per_programme, programme_detail
from crmkit_loyalty.programmes.programmes_edit import create_programme, update_programme
from crmkit_loyalty.programmes.routes import announced
from crmkit_loyalty.programmes.tables import DOWNGRADES, RULE_KINDS

BASE = "/p/loyalty/page/programmes"
MENU = [MenuItem("Loyalty", BASE, PROGRAMME_READ, order=70)]
NEW_PROGRAMME = {"currency": "EUR", "qualification_months": "12", "downgrade": "one_step"}


def plain(number: Decimal) -> str:
    """A decimal as people write it: 1.25, 2, 10 (not 1.250, 2.000, 1E+1)."""
    return f"{number.normalize():f}"


Act = Callable[[Transaction, int, Mapping[str, str]], Any]


def _may_write(request: Request) -> bool:
    return is_allowed(crm_of(request).host, actor_of(request), PROGRAMME_WRITE)


def _list(
    request: Request,
    values: Mapping[str, str],
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    def work(tx: Transaction) -> tuple[Any, dict[int, int]]:
        return service.list_programmes(tx.conn), members_per_programme(tx)

    programmes, members = read_as(request, PROGRAMME_READ, work)
    return page_response(
        request,
        "loyalty/programmes/list.html",
        status=status,
        programmes=programmes,
        members=members,
        may_write=_may_write(request),
        values=values,
        error=error,
        error_field=getattr(error, "field", None),
        currencies=sorted(currencies()),
        downgrades=DOWNGRADES,
    )


def programmes_page(request: Request) -> Response:
    """Every programme, with its members among the parties the reader sees."""
    return _list(request, NEW_PROGRAMME)


async def post_programme(request: Request) -> Response:
    def act(tx: Transaction, form: dict[str, str]) -> str:
        made = create_programme(tx, forms.programme_data(form, creating=True))
        return f"{BASE}/{made.id}"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _list(request, form, error, status)

    return await submit(request, PROGRAMME_WRITE, act, refused)


def _detail(
    request: Request,
    programme_id: int,
    refused: str | None = None,
    typed: Mapping[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    detail, behaviours = read_as(
        request, PROGRAMME_READ, lambda tx: (programme_detail(tx, programme_id), announced(tx))
    )
    shown: dict[str, Mapping[str, str]] = {
        "programme": forms.programme_values(detail.programme),
        "new_rule": {"kind": "spend", "active": forms.CHECKED},
        "new_tier": {"multiplier": "1"},
        "new_reward": {"min_tier_rank": "0", "active": forms.CHECKED},
    }
    shown.update({f"rule-{r.id}": forms.rule_values(r) for r in detail.rules})
    shown.update({f"tier-{t.id}": forms.tier_values(t) for t in detail.tiers})
    shown.update({f"reward-{r.id}": forms.reward_values(r) for r in detail.rewards})
    if refused is not None and typed is not None:
        shown[refused] = typed
    return page_response(
        request,
        "loyalty/programmes/page.html",
        status=status,
        detail=detail,
        members={m.tier_id: m.members for m in detail.members},
        shown=shown,
        refused=refused,
        error=error,
        error_field=getattr(error, "field", None),
        may_write=_may_write(request),
        tier_names={t.rank: t.name for t in detail.tiers},
        tier_options=[(str(t.rank), f"{t.name} and above") for t in detail.tiers],
        kind_options=[(kind, kind.replace("_", " ")) for kind in RULE_KINDS],
        behaviour_options=[(b.name, f"{b.label} ({b.name})") for b in behaviours],
        plain=plain,
    )


def programme_page(request: Request) -> Response:
    """A programme: its settings, tiers with their members, rules and rewards."""
    return _detail(request, request.path_params["programme_id"])


async def _post(request: Request, key: str, anchor: str, act: Act) -> Response:
    """Post the form ``key`` of a programme's page: ``act(tx, programme_id, form)``."""
    programme_id: int = request.path_params["programme_id"]

    def run(tx: Transaction, form: dict[str, str]) -> str:
        act(tx, programme_id, form)
        return f"{BASE}/{programme_id}#{anchor}"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _detail(request, programme_id, key, form, error, status)

    return await submit(request, PROGRAMME_WRITE, run, refused)


async def post_edit_programme(request: Request) -> Response:
    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        data = forms.programme_data(form, creating=False)
        return update_programme(tx, programme_id, data, forms.version_of(form))

    return await _post(request, "programme", "settings", act)


async def post_new_rule(request: Request) -> Response:
    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        return rules_edit.create_rule(tx, programme_id, forms.rule_data(form, None))

    return await _post(request, "new_rule", "rules", act)


async def post_edit_rule(request: Request) -> Response:
    rule_id: int = request.path_params["rule_id"]

    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        kind = service.get_rule(tx.conn, programme_id, rule_id).kind
        data = forms.rule_data(form, kind)
        return rules_edit.update_rule(tx, programme_id, rule_id, data, forms.version_of(form))

    return await _post(request, f"rule-{rule_id}", "rules", act)


async def post_rule_active(request: Request) -> Response:
    rule_id: int = request.path_params["rule_id"]

    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        data = {"active": form.get("active") == forms.CHECKED}
        return rules_edit.update_rule(tx, programme_id, rule_id, data, forms.version_of(form))

    return await _post(request, f"rule-{rule_id}", "rules", act)


async def post_new_tier(request: Request) -> Response:
    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        return tiers_edit.create_tier(tx, programme_id, forms.tier_data(form, entry=False))

    return await _post(request, "new_tier", "tiers", act)


async def post_edit_tier(request: Request) -> Response:
    tier_id: int = request.path_params["tier_id"]

    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        entry = service.get_tier(tx.conn, tier_id).rank == 0
        data = forms.tier_data(form, entry=entry)
        return tiers_edit.update_tier(tx, programme_id, tier_id, data, forms.version_of(form))

    return await _post(request, f"tier-{tier_id}", "tiers", act)


async def post_new_reward(request: Request) -> Response:
    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        return rewards_edit.create_reward(tx, programme_id, forms.reward_data(form))

    return await _post(request, "new_reward", "rewards", act)


async def post_edit_reward(request: Request) -> Response:
    reward_id: int = request.path_params["reward_id"]

    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        data = forms.reward_data(form)
        version = forms.version_of(form)
        return rewards_edit.update_reward(tx, programme_id, reward_id, data, version)

    return await _post(request, f"reward-{reward_id}", "rewards", act)


async def post_reward_active(request: Request) -> Response:
    reward_id: int = request.path_params["reward_id"]

    def act(tx: Transaction, programme_id: int, form: Mapping[str, str]) -> Any:
        data = {"active": form.get("active") == forms.CHECKED}
        version = forms.version_of(form)
        return rewards_edit.update_reward(tx, programme_id, reward_id, data, version)

    return await _post(request, f"reward-{reward_id}", "rewards", act)


PAGE = "/page/programmes/{programme_id:id}"

ROUTES: list[BaseRoute] = [
    Route("/page/programmes", programmes_page),
    Route("/page/programmes", post_programme, methods=["POST"]),
    Route(PAGE, programme_page),
    Route(PAGE, post_edit_programme, methods=["POST"]),
    Route(f"{PAGE}/rules", post_new_rule, methods=["POST"]),
    Route(f"{PAGE}/rules/{{rule_id:id}}", post_edit_rule, methods=["POST"]),
    Route(f"{PAGE}/rules/{{rule_id:id}}/active", post_rule_active, methods=["POST"]),
    Route(f"{PAGE}/tiers", post_new_tier, methods=["POST"]),
    Route(f"{PAGE}/tiers/{{tier_id:id}}", post_edit_tier, methods=["POST"]),
    Route(f"{PAGE}/rewards", post_new_reward, methods=["POST"]),
    Route(f"{PAGE}/rewards/{{reward_id:id}}", post_edit_reward, methods=["POST"]),
    Route(f"{PAGE}/rewards/{{reward_id:id}}/active", post_reward_active, methods=["POST"]),
]
