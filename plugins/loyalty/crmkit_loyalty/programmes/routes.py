"""The programmes part's JSON API under /p/loyalty/: programmes, their rules, tiers and
rewards, the behaviours rules may reward, and a member's tier changed by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, parse_whole_number
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_loyalty.ledger.model import Member
from crmkit_loyalty.programmes import (
    programmes_edit,
    rewards_edit,
    rules_edit,
    service,
    tiers_edit,
)
from crmkit_loyalty.programmes.access import PROGRAMME_READ, PROGRAMME_WRITE
from crmkit_loyalty.programmes.behaviours import behaviours
from crmkit_loyalty.programmes.bodies import (
    ProgrammeChanges,
    ProgrammeInput,
    RewardChanges,
    RewardInput,
    RuleChanges,
    RuleInput,
    TierChangeInput,
    TierChanges,
    TierInput,
)
from crmkit_loyalty.programmes.manual import change_tier
from crmkit_loyalty.programmes.model import Programme, Reward, Rule, Tier
from crmkit_loyalty.programmes.overview import ProgrammeDetail, programme_detail

T = TypeVar("T")
VERSION = (Param("version", int, "The version last read", required=True),)


@frozen
class BehaviourInfo:
    """A behaviour a plugin announces, which a behaviour rule may reward."""

    name: str
    label: str
    event_type: str


def _id(request: Request, name: str = "programme_id") -> int:
    value: int = request.path_params[name]
    return value


def _version(request: Request) -> int | None:
    check_query(request, ("version",))
    raw = request.query_params.get("version")
    return None if raw is None else parse_whole_number("version", raw, minimum=1)


async def _changes(request: Request) -> tuple[dict[str, Any], int | None]:
    body = await read_object(request)
    version = optional_version(body)
    body.pop("version", None)
    return body, version


def _read(request: Request, work: Callable[[Transaction], T]) -> Response:
    check_query(request, ())
    return json_response(crm_of(request), read_as(request, PROGRAMME_READ, work))


async def _write(request: Request, work: Callable[[Transaction], T], status: int = 200) -> Response:
    return json_response(crm_of(request), await write_as(request, PROGRAMME_WRITE, work), status)


@operation("Loyalty programmes, active ones first", response=list[Programme])
def loyalty_list_programmes(request: Request) -> Response:
    return _read(request, lambda tx: service.list_programmes(tx.conn))


@operation(
    "Create a loyalty programme (with its entry tier)",
    request=ProgrammeInput,
    response=Programme,
    status=201,
)
async def loyalty_post_programme(request: Request) -> Response:
    body = await read_object(request)
    return await _write(request, lambda tx: programmes_edit.create_programme(tx, body), 201)


@operation(
    "A programme with its rules, tiers, rewards and members per tier (among the parties you see)",
    response=ProgrammeDetail,
    errors=(404,),
)
def loyalty_get_programme(request: Request) -> Response:
    return _read(request, lambda tx: programme_detail(tx, _id(request)))


@operation("Change a programme", request=ProgrammeChanges, response=Programme, errors=(404, 409))
async def loyalty_patch_programme(request: Request) -> Response:
    body, version = await _changes(request)
    programme_id = _id(request)
    return await _write(
        request, lambda tx: programmes_edit.update_programme(tx, programme_id, body, version)
    )


@operation(
    "Delete a programme nobody is a member of (close one that has members)",
    query=VERSION,
    status=204,
    errors=(404, 409),
)
async def loyalty_delete_programme(request: Request) -> Response:
    version, programme_id = _version(request), _id(request)
    await write_as(
        request,
        PROGRAMME_WRITE,
        lambda tx: programmes_edit.delete_programme(tx, programme_id, version),
    )
    return Response(status_code=204)


def _rules(tx: Transaction, programme_id: int) -> list[Rule]:
    service.get_programme(tx.conn, programme_id)
    return service.rules_of(tx.conn, programme_id)


@operation("A programme's point rules, by kind", response=list[Rule], errors=(404,))
def loyalty_list_rules(request: Request) -> Response:
    return _read(request, lambda tx: _rules(tx, _id(request)))


@operation(
    "Add a point rule to a programme", request=RuleInput, response=Rule, status=201, errors=(404,)
)
async def loyalty_post_rule(request: Request) -> Response:
    body, programme_id = await read_object(request), _id(request)
    return await _write(request, lambda tx: rules_edit.create_rule(tx, programme_id, body), 201)


@operation(
    "Change a point rule; active false retires it",
    request=RuleChanges,
    response=Rule,
    errors=(404, 409),
)
async def loyalty_patch_rule(request: Request) -> Response:
    body, version = await _changes(request)
    programme_id, rule_id = _id(request), _id(request, "rule_id")
    return await _write(
        request, lambda tx: rules_edit.update_rule(tx, programme_id, rule_id, body, version)
    )


@operation("Delete a point rule", query=VERSION, status=204, errors=(404, 409))
async def loyalty_delete_rule(request: Request) -> Response:
    version, programme_id, rule_id = _version(request), _id(request), _id(request, "rule_id")
    await write_as(
        request,
        PROGRAMME_WRITE,
        lambda tx: rules_edit.delete_rule(tx, programme_id, rule_id, version),
    )
    return Response(status_code=204)


def _tiers(tx: Transaction, programme_id: int) -> list[Tier]:
    service.get_programme(tx.conn, programme_id)
    return service.tiers_of(tx.conn, programme_id)


@operation("A programme's tiers, the entry tier first", response=list[Tier], errors=(404,))
def loyalty_list_tiers(request: Request) -> Response:
    return _read(request, lambda tx: _tiers(tx, _id(request)))


@operation("Add a tier to a programme", request=TierInput, response=Tier, status=201, errors=(404,))
async def loyalty_post_tier(request: Request) -> Response:
    body, programme_id = await read_object(request), _id(request)
    return await _write(request, lambda tx: tiers_edit.create_tier(tx, programme_id, body), 201)


@operation("Change a tier", request=TierChanges, response=Tier, errors=(404, 409))
async def loyalty_patch_tier(request: Request) -> Response:
    body, version = await _changes(request)
    programme_id, tier_id = _id(request), _id(request, "tier_id")
    return await _write(
        request, lambda tx: tiers_edit.update_tier(tx, programme_id, tier_id, body, version)
    )


@operation(
    "Delete a tier nobody is or was in (never the entry tier)",
    query=VERSION,
    status=204,
    errors=(404, 409),
)
async def loyalty_delete_tier(request: Request) -> Response:
    version, programme_id, tier_id = _version(request), _id(request), _id(request, "tier_id")
    await write_as(
        request,
        PROGRAMME_WRITE,
        lambda tx: tiers_edit.delete_tier(tx, programme_id, tier_id, version),
    )
    return Response(status_code=204)


def _rewards(tx: Transaction, programme_id: int) -> list[Reward]:
    service.get_programme(tx.conn, programme_id)
    return service.rewards_of(tx.conn, programme_id)


@operation("A programme's rewards, cheapest first", response=list[Reward], errors=(404,))
def loyalty_list_rewards(request: Request) -> Response:
    return _read(request, lambda tx: _rewards(tx, _id(request)))


@operation(
    "Add a reward to a programme", request=RewardInput, response=Reward, status=201, errors=(404,)
)
async def loyalty_post_reward(request: Request) -> Response:
    body, programme_id = await read_object(request), _id(request)
    return await _write(request, lambda tx: rewards_edit.create_reward(tx, programme_id, body), 201)


@operation(
    "Change a reward; active false retires it",
    request=RewardChanges,
    response=Reward,
    errors=(404, 409),
)
async def loyalty_patch_reward(request: Request) -> Response:
    body, version = await _changes(request)
    programme_id, reward_id = _id(request), _id(request, "reward_id")
    return await _write(
        request,
        lambda tx: rewards_edit.update_reward(tx, programme_id, reward_id, body, version),
    )


@operation("Delete a reward never redeemed", query=VERSION, status=204, errors=(404, 409))
async def loyalty_delete_reward(request: Request) -> Response:
    version, programme_id = _version(request), _id(request)
    reward_id = _id(request, "reward_id")
    await write_as(
        request,
        PROGRAMME_WRITE,
        lambda tx: rewards_edit.delete_reward(tx, programme_id, reward_id, version),
    )
    return Response(status_code=204)


def announced(tx: Transaction) -> list[BehaviourInfo]:
    """The behaviours plugins announce, by name."""
    found = behaviours(tx.hooks)
    return [
        BehaviourInfo(name, found[name].label, found[name].event_type) for name in sorted(found)
    ]


@operation(
    "The behaviours plugins announce, which behaviour rules may reward",
    response=list[BehaviourInfo],
)
def loyalty_list_behaviours(request: Request) -> Response:
    return _read(request, announced)


@operation(
    "Put a member in another tier of its programme by hand (recorded as manual)",
    request=TierChangeInput,
    response=Member,
    errors=(404, 409),
)
async def loyalty_post_member_tier(request: Request) -> Response:
    body, member_id = await read_object(request), _id(request, "member_id")
    return await _write(request, lambda tx: change_tier(tx, member_id, body))


PROGRAMME = "/programmes/{programme_id:id}"

ROUTES: list[BaseRoute] = [
    Route("/programmes", loyalty_list_programmes),
    Route("/programmes", loyalty_post_programme, methods=["POST"]),
    Route(PROGRAMME, loyalty_get_programme),
    Route(PROGRAMME, loyalty_patch_programme, methods=["PATCH"]),
    Route(PROGRAMME, loyalty_delete_programme, methods=["DELETE"]),
    Route(f"{PROGRAMME}/rules", loyalty_list_rules),
    Route(f"{PROGRAMME}/rules", loyalty_post_rule, methods=["POST"]),
    Route(f"{PROGRAMME}/rules/{{rule_id:id}}", loyalty_patch_rule, methods=["PATCH"]),
    Route(f"{PROGRAMME}/rules/{{rule_id:id}}", loyalty_delete_rule, methods=["DELETE"]),
    Route(f"{PROGRAMME}/tiers", loyalty_list_tiers),
    Route(f"{PROGRAMME}/tiers", loyalty_post_tier, methods=["POST"]),
    Route(f"{PROGRAMME}/tiers/{{tier_id:id}}", loyalty_patch_tier, methods=["PATCH"]),
    Route(f"{PROGRAMME}/tiers/{{tier_id:id}}", loyalty_delete_tier, methods=["DELETE"]),
    Route(f"{PROGRAMME}/rewards", loyalty_list_rewards),
    Route(f"{PROGRAMME}/rewards", loyalty_post_reward, methods=["POST"]),
    Route(f"{PROGRAMME}/rewards/{{reward_id:id}}", loyalty_patch_reward, methods=["PATCH"]),
    Route(f"{PROGRAMME}/rewards/{{reward_id:id}}", loyalty_delete_reward, methods=["DELETE"]),
    Route("/behaviours", loyalty_list_behaviours),
    Route("/members/{member_id:id}/tier", loyalty_post_member_tier, methods=["POST"]),
]
