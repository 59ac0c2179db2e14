"""``API_BUSINESS_PARTNER`` of the loopback server: partners generated from a seed.

Partner ``i`` is computed from ``(seed, i, its change generation)`` whenever it is asked
for, so a million partners cost no memory. The change order (``LastChangeDate``,
``LastChangeTime``, ``BusinessPartner``) puts the partners never changed first, in number
order (three share each second, to exercise tie-breaking), then those changed by each
:meth:`BusinessPartners.change`, generation by generation, each later than all before.
"""

from __future__ import annotations

import random
import threading
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from crmkit_erp_sap.connection.values import BadValue, json_date, json_time, to_datetime, to_time
from crmkit_erp_sap.testing.edmx import edmx_bytes, empty_entity
from crmkit_erp_sap.testing.odata_filter import FilterError, Predicate, parse_filter
from crmkit_erp_sap.testing.sap_server import (
    SERVICE_ROOT,
    SapRequest,
    SapResponse,
    json_answer,
    odata_error,
)

SERVICE = "API_BUSINESS_PARTNER"
FIRST_NUMBER = 1_000_000
MAX_COUNT = 8_999_999
BASE_STAMP = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
MALFORMED_KINDS = ("email", "country", "date", "key", "future", "unordered")
STAMP_PROPERTIES = frozenset({"BusinessPartner", "LastChangeDate", "LastChangeTime"})
CHANGE_ORDER = "LastChangeDate,LastChangeTime,BusinessPartner"

_FIRST = (
    "Anna",
    "Jonas",
    "Lea",
    "Lukas",
    "Marie",
    "Paul",
    "Sophie",
    "Felix",
    "Emma",
    "Noah",
    "Claire",
    "Louis",
    "Sanne",
    "Daan",
    "Oliver",
    "Amelia",
    "Mia",
    "Elias",
    "Hanna",
    "Jan",
)
_LAST = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Dubois",
    "Martin",
    "de Vries",
    "Jansen",
    "Smith",
    "Jones",
    "Gruber",
    "Huber",
    "Keller",
)
_ORG_WORDS = (
    "Nordwind",
    "Alpen",
    "Rhein",
    "Sonnen",
    "Berg",
    "Hansa",
    "Isar",
    "Elbe",
    "Main",
    "Donau",
    "Kristall",
    "Falken",
)
_ORG_TRADES = ("Logistik", "Maschinenbau", "Handel", "Elektro", "Bau", "Pharma", "Textil", "Foods")
_LEGAL = {
    "DE": "GmbH",
    "AT": "GmbH",
    "CH": "AG",
    "FR": "SARL",
    "NL": "B.V.",
    "GB": "Ltd",
    "US": "Inc.",
}
# (country, region, postcode, city, dialling code, area code with the first digits of the
# subscriber, so that the phone numbers are valid ones of the country)
_PLACES = (
    ("DE", "BE", "10115", "Berlin", "49", "30"),
    ("DE", "HH", "20095", "Hamburg", "49", "40"),
    ("DE", "BY", "80331", "München", "49", "89"),
    ("AT", "9", "1010", "Wien", "43", "15"),
    ("CH", "ZH", "8001", "Zürich", "41", "44"),
    ("FR", "75", "75001", "Paris", "33", "15"),
    ("NL", "NH", "1012", "Amsterdam", "31", "20"),
    ("GB", "", "SW1A 1AA", "London", "44", "207"),
)
_STREETS = ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Rue de Rivoli", "Damrak", "High Street")


def partner_number(index: int) -> str:
    """The BusinessPartner number of partner ``index`` (0-based)."""
    return str(FIRST_NUMBER + index)


class BusinessPartners:
    """``count`` partners from ``seed``; ``server_page`` rows at most per answer (more come
    through ``__next``). Faults: ``malformed[index] = kind`` (one of ``MALFORMED_KINDS``),
    ``endless_paging`` (every ``__next`` leads back to the same page)."""

    def __init__(self, seed: int = 1, count: int = 100, *, server_page: int = 1000) -> None:
        if not 0 <= count <= MAX_COUNT:
            raise ValueError(f"count must be between 0 and {MAX_COUNT}")
        self.seed = seed
        self.count = count
        self.server_page = server_page
        self.malformed: dict[int, str] = {}
        self.endless_paging = False
        self._lock = threading.Lock()
        self._generation_of: dict[int, int] = {}
        self._changed_sorted: list[int] = []
        self._groups: list[list[int]] = []
        """Per change generation (1, 2, ...), the partners whose latest change it is, by number."""
        self._group_base: list[datetime] = []

    # --- the data ---

    def change(self, percent: float, *, seed: int | None = None) -> list[int]:
        """Change ``percent`` % of the partners (new e-mail, phone, street; a new change
        stamp after every earlier one); the indexes changed."""
        rng = random.Random(f"{self.seed}:{seed if seed is not None else len(self._groups) + 1}")
        wanted = round(self.count * percent / 100)
        picked = sorted(rng.sample(range(self.count), wanted))
        with self._lock:
            generation = len(self._groups) + 1
            latest = self._latest_stamp()
            moved = set(picked)
            for group in self._groups:
                group[:] = [index for index in group if index not in moved]
            for index in picked:
                self._generation_of[index] = generation
            self._groups.append(list(picked))
            self._group_base.append(latest.replace(microsecond=0) + timedelta(hours=1))
            self._changed_sorted = sorted(self._generation_of)
        return picked

    def _latest_stamp(self) -> datetime:
        for group, base in zip(reversed(self._groups), reversed(self._group_base), strict=True):
            if group:
                return base + timedelta(seconds=(len(group) - 1) // 3)
        return BASE_STAMP + timedelta(seconds=max(0, self.count - 1) // 3)

    def stamp(self, index: int) -> datetime:
        """When partner ``index`` was last changed."""
        generation = self._generation_of.get(index, 0)
        if generation == 0:
            return BASE_STAMP + timedelta(seconds=index // 3)
        group = self._groups[generation - 1]
        return self._group_base[generation - 1] + timedelta(seconds=bisect_left(group, index) // 3)

    def index_at(self, position: int) -> int:
        """The partner at ``position`` of the change order."""
        unchanged = self.count - len(self._changed_sorted)
        if position < unchanged:
            low, high = position, position + len(self._changed_sorted)
            while low < high:  # the smallest index with position + 1 unchanged partners up to it
                middle = (low + high) // 2
                if middle + 1 - bisect_right(self._changed_sorted, middle) >= position + 1:
                    high = middle
                else:
                    low = middle + 1
            return low
        position -= unchanged
        for group in self._groups:
            if position < len(group):
                return group[position]
            position -= len(group)
        raise IndexError(position)

    def partner(
        self, index: int, base_url: str = "", expand: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """Partner ``index`` as SAP's JSON entity, with the navigation paths in ``expand``."""
        version = self._generation_of.get(index, 0)
        rng = random.Random(f"{self.seed}:{index}:{version}")
        number = partner_number(index)
        stamp = self.stamp(index)
        created = BASE_STAMP - timedelta(days=1 + rng.randrange(2000), seconds=rng.randrange(86400))
        place = _PLACES[rng.randrange(len(_PLACES))]
        person = rng.random() < 0.7
        row = dict(empty_entity("A_BusinessPartnerType"))
        row["__metadata"] = _metadata(
            base_url, f"A_BusinessPartner('{number}')", "A_BusinessPartnerType"
        )
        first, last = _FIRST[rng.randrange(len(_FIRST))], _LAST[rng.randrange(len(_LAST))]
        organisation = (
            f"{_ORG_WORDS[rng.randrange(len(_ORG_WORDS))]} {_ORG_TRADES[rng.randrange(len(_ORG_TRADES))]}"
            f" {_LEGAL[place[0]]}"
        )
        name = f"{first} {last}" if person else organisation
        is_customer = rng.random() < 0.6
        row.update(
            BusinessPartner=number,
            Customer=number if is_customer else "",
            BusinessPartnerCategory="1" if person else "2",
            BusinessPartnerFullName=name,
            BusinessPartnerName=name,
            BusinessPartnerGrouping="BP02" if person else "BP01",
            BusinessPartnerUUID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            CorrespondenceLanguage="DE" if place[0] in ("DE", "AT", "CH") else "EN",
            CreatedByUser="CC0000000002",
            CreationDate=json_date(created.date()),
            CreationTime=json_time(created.time()),
            FirstName=first if person else "",
            LastName=last if person else "",
            IsNaturalPerson="X" if person else "",
            OrganizationBPName1="" if person else organisation,
            SearchTerm1=(last if person else organisation)[:20].upper(),
            LastChangeDate=json_date(stamp.date()),
            LastChangeTime=json_time(stamp.time()),
            LastChangedByUser="CC0000000002",
            BusinessPartnerIsBlocked=rng.random() < 0.02,
            ETag=f"CC0000000002{stamp:%Y%m%d%H%M%S}",
            YY1_AddrLastCheckedOn_bus=json_date(stamp.date()) if rng.random() < 0.5 else None,
            YY1_AddrLastCheckedBy_bus="CC0000000002",
        )
        for navigation in (
            "to_BuPaIdentification",
            "to_BuPaIndustry",
            "to_BusinessPartnerBank",
            "to_BusinessPartnerContact",
            "to_BusinessPartnerRole",
            "to_BusinessPartnerTax",
            "to_Supplier",
        ):
            row[navigation] = _deferred(base_url, f"A_BusinessPartner('{number}')/{navigation}")
        row["to_BusinessPartnerAddress"] = (
            {
                "results": [
                    self._address(rng, index, place, person, first, last, name, base_url, expand)
                ]
            }
            if "to_BusinessPartnerAddress" in expand
            else _deferred(base_url, f"A_BusinessPartner('{number}')/to_BusinessPartnerAddress")
        )
        if "to_Customer" in expand:
            row["to_Customer"] = (
                self._customer(rng, number, name, base_url, expand) if is_customer else None
            )
        else:
            row["to_Customer"] = _deferred(base_url, f"A_BusinessPartner('{number}')/to_Customer")
        self._spoil(row, index)
        return row

    def _address(
        self,
        rng: random.Random,
        index: int,
        place: tuple[str, ...],
        person: bool,
        first: str,
        last: str,
        name: str,
        base_url: str,
        expand: frozenset[str],
    ) -> dict[str, Any]:
        number = partner_number(index)
        address_id = str(20000 + index)
        country, region, postcode, city, dialling, area = place
        address = dict(empty_entity("A_BusinessPartnerAddressType"))
        key = f"A_BusinessPartnerAddress(BusinessPartner='{number}',AddressID='{address_id}')"
        address.update(
            __metadata=_metadata(base_url, key, "A_BusinessPartnerAddressType"),
            BusinessPartner=number,
            AddressID=address_id,
            ValidityStartDate=json_date(BASE_STAMP - timedelta(days=365)),
            ValidityEndDate="/Date(253402300799000+0000)/",
            AddressUUID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            CityName=city,
            Country=country,
            FullName=name[:80],
            HouseNumber=str(1 + rng.randrange(180)),
            Language="DE" if country in ("DE", "AT", "CH") else "EN",
            PostalCode=postcode,
            Region=region,
            StreetName=_STREETS[rng.randrange(len(_STREETS))],
            AddressTimeZone="CET" if country != "GB" else "UTC",
        )
        local = f"{first}.{last}".lower().replace(" ", "") if person else "info"
        domain = f"example-{country.lower()}.com"
        email = dict(empty_entity("A_AddressEmailAddressType"))
        email.update(
            __metadata=_metadata(
                base_url,
                f"A_AddressEmailAddress(AddressID='{address_id}',Person='',OrdinalNumber='1')",
                "A_AddressEmailAddressType",
            ),
            AddressID=address_id,
            OrdinalNumber="1",
            IsDefaultEmailAddress=True,
            EmailAddress=f"{local}.{number}@{domain}".replace("ü", "ue"),
            SearchEmailAddress=f"{local}.{number}"[:20].upper(),
        )
        subscriber = f"{rng.randrange(1_000_000, 9_999_999)}"
        phone = dict(empty_entity("A_AddressPhoneNumberType"))
        phone.update(
            __metadata=_metadata(
                base_url,
                f"A_AddressPhoneNumber(AddressID='{address_id}',Person='',OrdinalNumber='1')",
                "A_AddressPhoneNumberType",
            ),
            AddressID=address_id,
            OrdinalNumber="1",
            DestinationLocationCountry=country,
            IsDefaultPhoneNumber=True,
            PhoneNumber=f"0{area} {subscriber}",
            InternationalPhoneNumber=f"+{dialling}{area}{subscriber}",
            PhoneNumberType="1",
        )
        for navigation, found in (("to_EmailAddress", email), ("to_PhoneNumber", phone)):
            path = f"to_BusinessPartnerAddress/{navigation}"
            address[navigation] = (
                {"results": [found]}
                if path in expand
                else _deferred(base_url, f"{key}/{navigation}")
            )
        for navigation in (
            "to_AddressUsage",
            "to_FaxNumber",
            "to_MobilePhoneNumber",
            "to_URLAddress",
        ):
            address[navigation] = _deferred(base_url, f"{key}/{navigation}")
        return address

    def _customer(
        self, rng: random.Random, number: str, name: str, base_url: str, expand: frozenset[str]
    ) -> dict[str, Any]:
        customer = dict(empty_entity("A_CustomerType"))
        customer.update(
            __metadata=_metadata(base_url, f"A_Customer('{number}')", "A_CustomerType"),
            Customer=number,
            CustomerName=name[:80],
            CustomerFullName=name,
            CustomerAccountGroup="CUST",
            CustomerClassification=("A", "B", "C")[rng.randrange(3)],
            CreatedByUser="CC0000000002",
            CreationDate=json_date(BASE_STAMP.date()),
        )
        areas = []
        for organisation in ("1010", "1710")[: 1 + rng.randrange(2)]:
            area = dict(empty_entity("A_CustomerSalesAreaType"))
            area.update(
                __metadata=_metadata(
                    base_url,
                    f"A_CustomerSalesArea(Customer='{number}',SalesOrganization='{organisation}',"
                    "DistributionChannel='10',Division='00')",
                    "A_CustomerSalesAreaType",
                ),
                Customer=number,
                SalesOrganization=organisation,
                DistributionChannel="10",
                Division="00",
                Currency="EUR" if organisation == "1010" else "USD",
                CustomerPaymentTerms="0001",
                CustomerGroup="01",
                ShippingCondition="01",
                SalesOffice="",
                IncotermsClassification="EXW",
                # Some areas blocked, derived from the number so the generator's draws stay.
                OrderIsBlockedForCustomer="01" if int(number) % 37 == 0 else "",
            )
            areas.append(area)
        customer["to_CustomerSalesArea"] = (
            {"results": areas}
            if "to_Customer/to_CustomerSalesArea" in expand
            else _deferred(base_url, f"A_Customer('{number}')/to_CustomerSalesArea")
        )
        return customer

    def _spoil(self, row: dict[str, Any], index: int) -> None:
        kind = self.malformed.get(index)
        if kind is None:
            return
        address = (row["to_BusinessPartnerAddress"].get("results") or [{}])[0]
        if (
            kind == "email"
            and "to_EmailAddress" in address
            and "results" in address["to_EmailAddress"]
        ):
            address["to_EmailAddress"]["results"][0]["EmailAddress"] = f"not-an-email-{index}"
        elif kind == "country" and "Country" in address:
            address["Country"] = "ZZ"
        elif kind == "date":
            row["LastChangeDate"] = f"/Date(yesterday-{index})/"
        elif kind == "key":
            del row["BusinessPartner"]
        elif kind == "future":  # a mistyped date, served where its real stamp sorts
            row["LastChangeDate"] = "/Date(1893456000000)/"
        elif kind == "unordered":  # changed before every other partner, served in place
            row["LastChangeDate"] = "/Date(946684800000)/"

    # --- the service ---

    def handle(self, request: SapRequest) -> SapResponse | None:
        if request.method != "GET":
            return odata_error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported here")
        if request.path == "$metadata":
            return SapResponse(200, edmx_bytes(), "application/xml")
        if request.path == "":
            return json_answer(
                {"EntitySets": ["A_BusinessPartner", "A_Customer", "A_CustomerSalesArea"]}
            )
        try:
            if request.path == "A_BusinessPartner":
                return self._partners(request)
            if request.path.startswith("A_BusinessPartner('") and request.path.endswith("')"):
                return self._one(request, request.path[19:-2])
            if request.path in ("A_Customer", "A_CustomerSalesArea"):
                return self._customers(request, areas=request.path == "A_CustomerSalesArea")
        except FilterError as error:
            return odata_error(400, "/IWBEP/CM_MGW_RT/022", str(error))
        return odata_error(404, "/IWBEP/CM_MGW_RT/020", f"resource {request.path} not found")

    def _one(self, request: SapRequest, number: str) -> SapResponse:
        index = int(number) - FIRST_NUMBER if number.isdigit() else -1
        if not 0 <= index < self.count:
            return odata_error(404, "/IWBEP/CM_MGW_RT/020", f"business partner {number} not found")
        return json_answer(self.partner(index, request.base_url, _expand(request.query)))

    def _partners(self, request: SapRequest) -> SapResponse:
        query = request.query
        order = query.get("$orderby", "").replace(" asc", "").replace(" ", "")
        if order not in ("", CHANGE_ORDER, "BusinessPartner"):
            raise FilterError(f"$orderby must be {CHANGE_ORDER} or BusinessPartner here")
        by_key = order == "BusinessPartner"
        with self._lock:
            at = self.index_at if not by_key else (lambda position: position)
            predicate, named = (
                parse_filter(query["$filter"]) if query.get("$filter") else (None, frozenset())
            )
            light = named <= STAMP_PROPERTIES
            matches = self._matcher(predicate, light, request.base_url)
            # Cursor filters on the change stamp hold from some point of the change order on,
            # so the server finds that point by halving instead of reading every partner.
            ordered = predicate is not None and not by_key and light
            top = _whole(query, "$top")
            position, served = _skiptoken(query.get("$skiptoken"))
            if query.get("$skiptoken") is None:
                position = self._first_match(at, matches) if ordered else 0
                position = self._skip(at, matches, position, _whole(query, "$skip") or 0, ordered)
            limit = self.server_page if top is None else min(self.server_page, top - served)
            expand = _expand(query)
            rows: list[dict[str, Any]] = []
            while position < self.count and len(rows) < limit:
                index = at(position)
                position += 1
                if matches(index):
                    rows.append(self.partner(index, request.base_url, expand))
            served += len(rows)
            more = (top is None or served < top) and self._any_from(at, matches, position, ordered)
        d: dict[str, Any] = {"results": [_selected(row, query.get("$select")) for row in rows]}
        if more or (self.endless_paging and "$skiptoken" in query):
            token = (
                query["$skiptoken"]
                if self.endless_paging and "$skiptoken" in query
                else f"{position}-{served}"
            )
            kept = {
                name: value
                for name, value in query.items()
                if name not in ("$skip", "$skiptoken", "$format")
            }
            d["__next"] = (
                f"{request.base_url}{SERVICE_ROOT}{SERVICE}/A_BusinessPartner?{urlencode({**kept, '$skiptoken': token})}"
            )
        return json_answer(d)

    def _matcher(
        self, predicate: Predicate | None, light: bool, base_url: str
    ) -> Callable[[int], bool]:
        if predicate is None:
            return lambda index: True
        if light:
            return lambda index: predicate(self._stamp_row(index))
        return lambda index: predicate(_typed(self.partner(index, base_url)))

    def _stamp_row(self, index: int) -> Mapping[str, Any]:
        stamp = self.stamp(index)
        return {
            "BusinessPartner": partner_number(index),
            "LastChangeDate": datetime.combine(stamp.date(), time(0), tzinfo=UTC),
            "LastChangeTime": stamp.time(),
        }

    def _first_match(self, at: Callable[[int], int], matches: Callable[[int], bool]) -> int:
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            if matches(at(middle)):
                high = middle
            else:
                low = middle + 1
        return low

    def _skip(
        self,
        at: Callable[[int], int],
        matches: Callable[[int], bool],
        position: int,
        skip: int,
        ordered: bool,
    ) -> int:
        if ordered or skip == 0:
            return min(self.count, position + skip)
        while skip and position < self.count:
            skip -= matches(at(position))
            position += 1
        while position < self.count and not matches(at(position)):
            position += 1
        return position

    def _any_from(
        self, at: Callable[[int], int], matches: Callable[[int], bool], position: int, ordered: bool
    ) -> bool:
        if ordered:
            return position < self.count
        return any(matches(at(p)) for p in range(position, self.count))

    def _customers(self, request: SapRequest, *, areas: bool) -> SapResponse:
        top = _whole(request.query, "$top") or self.server_page
        skip = _whole(request.query, "$skip") or 0
        rows: list[dict[str, Any]] = []
        with self._lock:
            for index in range(self.count):
                customer = self.partner(
                    index,
                    request.base_url,
                    frozenset({"to_Customer", "to_Customer/to_CustomerSalesArea"}),
                )["to_Customer"]
                if customer is None:
                    continue
                found = customer["to_CustomerSalesArea"]["results"] if areas else [customer]
                for row in found:
                    if skip:
                        skip -= 1
                    elif len(rows) < top:
                        rows.append(
                            {k: v for k, v in row.items() if areas or k != "to_CustomerSalesArea"}
                        )
                if len(rows) >= top:
                    break
        return json_answer({"results": rows})


def _metadata(base_url: str, key: str, entity_type: str) -> dict[str, str]:
    uri = f"{base_url}{SERVICE_ROOT}{SERVICE}/{key}"
    return {"id": uri, "uri": uri, "type": f"{SERVICE}.{entity_type}"}


def _deferred(base_url: str, path: str) -> dict[str, Any]:
    return {"__deferred": {"uri": f"{base_url}{SERVICE_ROOT}{SERVICE}/{path}"}}


def _expand(query: Mapping[str, str]) -> frozenset[str]:
    paths = {path.strip() for path in query.get("$expand", "").split(",") if path.strip()}
    # Expanding a/b expands a too.
    return frozenset(paths | {path.split("/", 1)[0] for path in paths})


def _selected(row: dict[str, Any], select: str | None) -> dict[str, Any]:
    """``row`` cut to ``$select``: ``a/b`` keeps property ``b`` of the expanded ``a`` only;
    naming a navigation alone keeps all of it."""
    if not select:
        return row
    tree: dict[str, Any] = {}
    for path in (part.strip() for part in select.split(",")):
        node = tree
        for step in path.split("/"):
            node = node.setdefault(step, {})
    return _pruned(row, tree)


def _pruned(entity: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in entity.items():
        if name == "__metadata":
            kept[name] = value
        elif name in tree:
            below = tree[name]
            if below and isinstance(value, dict) and isinstance(value.get("results"), list):
                kept[name] = {"results": [_pruned(item, below) for item in value["results"]]}
            elif below and isinstance(value, dict) and "__deferred" not in value:
                kept[name] = _pruned(value, below)
            else:
                kept[name] = value
    return kept


def _whole(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise FilterError(f"{name} must be a whole number")
    return int(value)


def _skiptoken(token: str | None) -> tuple[int, int]:
    if token is None:
        return 0, 0
    position, _, served = token.partition("-")
    if not (position.isdigit() and served.isdigit()):
        raise FilterError("bad $skiptoken")
    return int(position), int(served)


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its stamp values as Python values, for filters on other properties."""
    typed = dict(row)
    for name, convert in (("LastChangeDate", to_datetime), ("LastChangeTime", to_time)):
        try:
            typed[name] = convert(name, row.get(name))
        except BadValue:
            typed[name] = None
    return typed
