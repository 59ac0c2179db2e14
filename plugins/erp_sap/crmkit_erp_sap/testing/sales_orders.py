"""``SalesOrders``: the ``API_SALES_ORDER_SRV`` service of the loopback SAP server.

Mount it with ``server.mount("API_SALES_ORDER_SRV", orders)``. It creates ``A_SalesOrder``
entities (with deep-inserted ``to_Item`` and ``to_Partner``) in ``$batch`` change sets,
each change set all or nothing, answers ``A_SalesOrder`` reads by key and by ``$filter``
on ``PurchaseOrderByCustomer`` or ``SalesOrder``, and lets a test move an order's
statuses. Its own fault: ``lose_answers`` commits a ``$batch`` and drops the connection
before answering (the server's ``faults`` give 429, 503 and dropped calls before anything
is done).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crmkit_erp_sap.orders.batch import (
    Answer,
    BadBatch,
    build_answers,
    header_map,
    http_messages,
    split_head,
)
from crmkit_erp_sap.testing.sap_server import SapRequest, SapResponse, json_answer, odata_error

SERVICE = "API_SALES_ORDER_SRV"
HEADER_REQUIRED = (
    "SalesOrderType",
    "SalesOrganization",
    "DistributionChannel",
    "OrganizationDivision",
    "SoldToParty",
)
STATUSES = ("OverallSDProcessStatus", "OverallTotalDeliveryStatus", "OverallOrdReltdBillgStatus")
FIRST_NUMBER = 1000000
_KEY = re.compile(r"^A_SalesOrder\('([^']*)'\)$")
_EQUALS = re.compile(r"(\w+) eq '((?:[^']|'')*)'")


class Refused(Exception):
    """A create SAP would refuse (400), with its message."""


class SalesOrders:
    """Sales orders kept in memory. ``customers`` / ``materials``, when given, are the only
    sold-to parties and materials SAP knows; others are refused as SAP refuses them."""

    def __init__(
        self, *, customers: Iterable[str] | None = None, materials: Iterable[str] | None = None
    ) -> None:
        self.customers = None if customers is None else set(customers)
        self.materials = None if materials is None else set(materials)
        self.orders: dict[str, dict[str, Any]] = {}
        self.lose_answers = 0
        """The next this-many ``$batch`` calls are carried out, then left unanswered."""
        self._lock = threading.Lock()

    def by_reference(self, reference: str) -> list[dict[str, Any]]:
        """The orders whose ``PurchaseOrderByCustomer`` is ``reference``."""
        with self._lock:
            return [o for o in self.orders.values() if o["PurchaseOrderByCustomer"] == reference]

    def set_status(self, number: str, **statuses: str) -> None:
        """Move the order's statuses (``OverallTotalDeliveryStatus="C"`` ...)."""
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise ValueError(f"not a status of A_SalesOrder: {', '.join(sorted(unknown))}")
        with self._lock:
            self.orders[number].update(statuses)

    def handle(self, request: SapRequest) -> SapResponse | None:
        if request.method == "GET" and request.path in ("", "/"):
            return json_answer({"EntitySets": ["A_SalesOrder", "A_SalesOrderItem"]})
        if request.method == "POST" and request.path == "$batch":
            return self._batch(request)
        if request.method == "GET" and request.path == "A_SalesOrder":
            return self._query(request.query)
        key = _KEY.match(request.path)
        if request.method == "GET" and key:
            with self._lock:
                found = self.orders.get(key.group(1))
            if found is None:
                return odata_error(
                    404, "SALES_ORDER/404", f"Sales order {key.group(1)} does not exist"
                )
            return json_answer(_selected(found, request.query.get("$select")))
        return odata_error(
            405, "METHOD_NOT_ALLOWED", f"{request.method} {request.path} is not served"
        )

    def _query(self, query: Mapping[str, str]) -> SapResponse:
        wanted = query.get("$filter", "")
        terms = _EQUALS.findall(wanted)
        if wanted and (not terms or " and " in wanted):
            return odata_error(400, "BAD_FILTER", f"filter not supported here: {wanted}")
        with self._lock:
            rows = [
                o
                for o in self.orders.values()
                if not terms
                or any(o.get(name) == value.replace("''", "'") for name, value in terms)
            ]
        return json_answer({"results": [_selected(o, query.get("$select")) for o in rows]})

    def _batch(self, request: SapRequest) -> SapResponse | None:
        try:
            groups = http_messages(request.body, request.headers.get("content-type", ""))
        except BadBatch as error:
            return odata_error(400, "BATCH/PARSE", str(error))
        answers = [self._change_set(group, request.base_url) for group in groups]
        with self._lock:
            if self.lose_answers:
                self.lose_answers -= 1
                return None
        body, boundary = build_answers(answers)
        return SapResponse(202, body, f"multipart/mixed; boundary={boundary}")

    def _change_set(self, requests: list[bytes], base_url: str) -> list[Answer]:
        """All creates of a change set, or none and the first refusal."""
        made: list[dict[str, Any]] = []
        try:
            for raw in requests:
                lines, body = split_head(raw)
                method, _, target = (lines[0] if lines else "").partition(" ")
                target = target.rsplit(" ", 1)[0]
                if method != "POST" or target != "A_SalesOrder":
                    raise Refused(
                        f"only POST A_SalesOrder is served in a change set, not {lines[:1]}"
                    )
                if "json" not in header_map(lines[1:]).get("content-type", ""):
                    raise Refused("a create must be JSON")
                made.append(_checked(_json(body), self.customers, self.materials))
        except Refused as refusal:
            error = {"error": {"code": "V1/302", "message": {"lang": "en", "value": str(refusal)}}}
            return [Answer(400, {"Content-Type": "application/json"}, json.dumps(error).encode())]
        with self._lock:
            created = [self._store(order, base_url) for order in made]
        return [
            Answer(201, {"Content-Type": "application/json"}, json.dumps({"d": order}).encode())
            for order in created
        ]

    def _store(self, order: dict[str, Any], base_url: str) -> dict[str, Any]:
        number = str(FIRST_NUMBER + len(self.orders) + 1)
        uri = f"{base_url}/sap/opu/odata/sap/{SERVICE}/A_SalesOrder('{number}')"
        stored = {
            "__metadata": {"id": uri, "uri": uri, "type": f"{SERVICE}.A_SalesOrderType"},
            "SalesOrder": number,
            **{name: value for name, value in order.items() if not name.startswith("to_")},
            **dict.fromkeys(STATUSES, ""),
            "OverallSDProcessStatus": "A",
            "to_Item": {"results": order["to_Item"]},
            "to_Partner": {"results": order.get("to_Partner", [])},
        }
        self.orders[number] = stored
        return stored


def _json(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body)
    except ValueError:
        raise Refused("the request body is not JSON") from None
    if not isinstance(found, dict):
        raise Refused("the request body is not a JSON object")
    return found


def _checked(
    order: dict[str, Any], customers: set[str] | None, materials: set[str] | None
) -> dict[str, Any]:
    for name in HEADER_REQUIRED:
        if not order.get(name):
            raise Refused(f"Enter a value for {name}")
    if customers is not None and order["SoldToParty"] not in customers:
        raise Refused(f"Sold-to party {order['SoldToParty']} not maintained for sales area")
    items = order.get("to_Item")
    if not isinstance(items, list) or not items:
        raise Refused("Sales order has no items")
    for item in items:
        material = item.get("Material", "")
        if materials is not None and material not in materials:
            raise Refused(f"Material {material} does not exist")
        try:
            quantity = Decimal(str(item.get("RequestedQuantity")))
        except InvalidOperation:
            quantity = Decimal(0)
        if not quantity.is_finite() or quantity <= 0:
            raise Refused(f"Item {item.get('SalesOrderItem')}: enter a quantity greater than 0")
    return order


def _selected(order: Mapping[str, Any], select: str | None) -> dict[str, Any]:
    if not select:
        return dict(order)
    names = {"__metadata", *(name.strip() for name in select.split(","))}
    return {name: value for name, value in order.items() if name in names}
