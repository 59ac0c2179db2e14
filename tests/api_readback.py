"""What an accepted write must read back as: the promise the property tests hold the API to.

After a 2xx answer to a POST, PUT, PATCH or DELETE, every GET the OpenAPI document
links the answer to (``/customers/{party_id}``, ``/parties/{party_id}`` …) is sent:

1. The record the write answered is the record each GET returns, field by field
   (a GET answering 404 is a path for another kind of record, e.g. a prospect's
   path for a customer; at least one must find it). A 204 to a DELETE means the
   record is gone: each linked GET answers 404.
2. Each value the request sent reads back equal, under the documented
   normalisation, decided per field:

   - ``null``, and text that is blank once trimmed, mean "not given": what the
     server makes of them (keep, clear, a default) is each operation's own rule.
   - ``version`` names the version read (a precondition, not a value).
   - text compares after Unicode NFC and collapsing runs of white space (the
     kernel's ``clean_text``; plugins strip), so a trimmed name is equal.
   - names (and street and city) typed all in capitals or all in lower case may
     get the usual capitals ("ANNA MÜLLER" -> "Anna Müller", the intake's rule).
   - ``phones``: each in E.164, read in the app's default region or in the country
     of the first address (the intake's rule), duplicates dropped.
   - ``emails``: as given but stripped, duplicates (case-insensitive) dropped.
   - ``addresses``: addresses without street, number, line 2, postcode and city dropped.
   - codes (``country``, ``currency``, ``territory``, ``territories``, ``scope_key``,
     ``postcode``) compare without spaces and case ("de-10" is "DE-10"); a user id "007" is 7.
   - a value a finding of the answer names (``phones[1]``, ``addresses[0].country``:
     the intake drops what it cannot use and says so) is not compared.
   - ``custom``: each key sent reads back with its value; a null removes the key.
   - a date and time is the same instant (the server answers UTC); a date is the same day.
   - a decimal number is the same number ("10" is "10.00"; an int 5 is "5").
   - a list of records may come back in the server's order.

Only the fields the read record has are compared: a request field the record
does not hold (``merged_id``, ``decision``) is an instruction, not a value. An
intake answer ``merged`` or ``matched`` is the party the prospect went into: its request values
are not the record's, so only promise 1 is checked for it. An answer replayed
for an ``Idempotency-Key`` is the first request's, as it was then: the record it
names is read, but neither promise is checked (it may have changed since).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from attrs import frozen

Get = Callable[[str], tuple[int, Any]]
"""``get(url)``: the status and JSON body of a GET."""

WRITES = ("post", "put", "patch", "delete")
CODES = frozenset({"country", "currency", "territory", "territories", "scope_key", "postcode"})
NAMES = frozenset({"first_name", "last_name", "organisation_name", "street", "city"})
ADDRESS_LINES = ("street", "street_number", "address_line2", "postcode", "city")
NOT_A_VALUE = frozenset({"version"})


@frozen
class Mismatch:
    """One way a write does not read back: ``where`` (the GET, or ``sent``), the field, what differs."""

    where: str
    field: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.detail}"


def read_back_problems(
    spec: Mapping[str, Any],
    method: str,
    path: str,
    status: int,
    sent: Any,
    answer: Any,
    get: Get,
    *,
    path_parameters: Mapping[str, Any],
    region: str,
    replayed: bool = False,
) -> list[Mismatch]:
    """Where an accepted write does not read back; empty when it does."""
    method = method.lower()
    if method not in WRITES or not 200 <= status < 300:
        return []
    if status == 204:
        return _still_there(spec, path, path_parameters, get) if method == "delete" else []
    links = spec["paths"][path][method]["responses"].get(str(status), {}).get("links", {})
    reads = list(_reads(spec, links))
    check_sent = not replayed and not _another_record(answer) and isinstance(sent, dict)
    if check_sent:
        sent = _flag(sent, _findings(answer))
    found: list[Mismatch] = []
    compared = False
    for target, parameter, pointer in reads:
        record = _resolve(answer, pointer)
        if not isinstance(record, dict) or record.get("id") is None:
            continue
        read_status, body = get(target.replace(f"{{{parameter}}}", str(record["id"])))
        if read_status == 404:
            continue  # a path for another kind of record
        stored = _same_record(body, record["id"]) if read_status == 200 else None
        if stored is None:
            found.append(Mismatch(f"GET {target}", "", f"answered {read_status} after the write"))
            continue
        compared = True
        if replayed:
            continue  # the first request's answer: the record may have changed since
        where = f"answered vs GET {target}"
        found += [Mismatch(where, f, d) for f, d in differences(record, stored)]
        if check_sent:
            where = f"sent vs GET {target}"
            found += [Mismatch(where, f, d) for f, d in sent_differences(sent, stored, region)]
    if reads and not compared and not found:
        found.append(Mismatch("GET", "", "no linked GET finds the record the write answered"))
    if not reads and check_sent and isinstance(answer, dict):
        found += [
            Mismatch("sent vs answered", f, d) for f, d in sent_differences(sent, answer, region)
        ]
    return found


def _reads(spec: Mapping[str, Any], links: Mapping[str, Any]) -> Any:
    """The GETs of one record a write's answer links to: (path, its parameter, pointer to the record)."""
    operations = {
        item["operationId"]: (path, method)
        for path, items in spec["paths"].items()
        for method, item in items.items()
    }
    for link in links.values():
        path, method = operations[link["operationId"]]
        for name, expression in link.get("parameters", {}).items():
            where, _, parameter = name.partition(".")
            if method == "get" and where == "path" and path.endswith(f"{{{parameter}}}"):
                yield (
                    path,
                    parameter,
                    expression.removeprefix("$response.body#").removesuffix("/id"),
                )


def _still_there(
    spec: Mapping[str, Any], path: str, parameters: Mapping[str, Any], get: Get
) -> list[Mismatch]:
    """After a 204 to a DELETE, a GET of the same path answers 404."""
    if "get" not in spec["paths"][path]:
        return []
    url = path
    for name, value in parameters.items():
        url = url.replace(f"{{{name}}}", str(value))
    read_status, _body = get(url)
    if read_status == 404:
        return []
    return [Mismatch(f"GET {path}", "", f"answered {read_status} after a DELETE answered 204")]


def _resolve(document: Any, pointer: str) -> Any:
    for part in filter(None, pointer.split("/")):
        if isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        elif isinstance(document, dict) and part in document:
            document = document[part]
        else:
            return None
    return document


def _same_record(body: Any, record_id: Any) -> dict[str, Any] | None:
    """The record ``record_id`` in a GET's answer: the answer itself or one of its properties."""
    if isinstance(body, dict) and body.get("id") == record_id:
        return body
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and value.get("id") == record_id:
                return value
    return None


def _another_record(answer: Any) -> bool:
    # POST /api/v1/prospects answers ``merged`` (or ``matched``: it added nothing) with the
    # party the prospect went into.
    return isinstance(answer, dict) and answer.get("outcome") in ("merged", "matched")


def _findings(answer: Any) -> list[str]:
    """The fields the answer's findings name (``phones[1]``, ``addresses[0].country``)."""
    findings = answer.get("findings") if isinstance(answer, dict) else None
    if not isinstance(findings, list):
        return []
    return [f["field"] for f in findings if isinstance(f, dict) and isinstance(f.get("field"), str)]


@frozen
class Flagged:
    """A value a finding of the answer names: the server may have kept it or dropped it."""

    value: Any


def _flag(sent: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """``sent`` with the values ``fields`` name wrapped in :class:`Flagged`."""
    copy = json.loads(json.dumps(sent))
    for name in fields:
        parent: Any = copy
        parts = [p for p in name.replace("[", ".").replace("]", "").split(".") if p]
        for part in parts[:-1]:
            parent = _resolve(parent, part)
        last = parts[-1] if parts else ""
        if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
            parent[int(last)] = Flagged(parent[int(last)])
        elif isinstance(parent, dict) and last in parent:
            parent[last] = Flagged(parent[last])
    return copy


# --- Promise 1: the record answered is the record read.


def differences(answered: Any, read: Any, where: str = "") -> list[tuple[str, str]]:
    """Where two answers for one record differ (field, how), beyond spelling an instant or a number two ways."""
    if isinstance(answered, dict) and isinstance(read, dict):
        found = []
        for key in sorted(set(answered) | set(read)):
            if key not in answered or key not in read:
                side = "the GET" if key in read else "the answer"
                found.append((f"{where}{key}", f"only in {side}"))
            else:
                found += differences(answered[key], read[key], f"{where}{key}.")
        return found
    if isinstance(answered, list) and isinstance(read, list) and len(answered) == len(read):
        return [
            difference
            for i, (a, r) in enumerate(zip(answered, read, strict=True))
            for difference in differences(a, r, f"{where}[{i}].")
        ]
    if answered == read and type(answered) is type(read):
        return []
    both_text = isinstance(answered, str) and isinstance(read, str)
    if both_text and (_same_instant(answered, read) or _same_number(answered, read)):
        return []
    return [(where.rstrip(".") or "body", f"answered {_show(answered)}, read {_show(read)}")]


# --- Promise 2: what was sent is what is read.


def sent_differences(
    sent: Mapping[str, Any], read: Mapping[str, Any], region: str
) -> list[tuple[str, str]]:
    """The fields of a request body whose value the record read does not hold (see the module)."""
    regions = (region, *_first_country(sent))
    return [
        (name, f"sent {_show(value)}, read {_show(read[name])}")
        for name, value in sent.items()
        if name not in NOT_A_VALUE and name in read and not _holds(name, value, read[name], regions)
    ]


def _first_country(sent: Mapping[str, Any]) -> list[str]:
    addresses = sent.get("addresses")
    for address in addresses if isinstance(addresses, list) else []:
        if isinstance(address, dict) and isinstance(address.get("country"), str):
            return [address["country"].strip().upper()]
    return []


def _holds(name: str, sent: Any, read: Any, regions: tuple[str, ...]) -> bool:
    """Whether the value ``read`` for field ``name`` is what ``sent`` becomes once stored."""
    if isinstance(sent, Flagged):
        return read is None or _holds(name, sent.value, read, regions)
    if sent is None or (isinstance(sent, str) and not clean_text(sent)):
        return True
    if name == "phones" and isinstance(sent, list):
        return any(
            _kept_in_order([_mapped(p, lambda v, r=r: _e164(v, r)) for p in sent], read)
            for r in regions
        )
    if name == "emails" and isinstance(sent, list):
        stripped = [_mapped(e, lambda v: v.strip() if isinstance(v, str) else v) for e in sent]
        return _kept_in_order(stripped, read, key=lambda e: str(e).casefold())
    if name == "addresses" and isinstance(sent, list):
        kept = [a for a in sent if not isinstance(a, dict) or _has_a_line(a)]
        return _same_records(name, kept, read, regions)
    if name == "custom" and isinstance(sent, dict):
        return isinstance(read, dict) and all(
            (k not in read) if v is None else (k in read and _holds(k, v, read[k], regions))
            for k, v in sent.items()
        )
    if isinstance(sent, dict):
        held = all(_holds(k, v, read[k], regions) for k, v in sent.items() if k in read)
        return isinstance(read, dict) and held
    if isinstance(sent, list):
        if name in CODES:
            return _is_list(read) and [_code(s) for s in sent] == [_code(r) for r in read]
        return _same_records(name, sent, read, regions)
    if isinstance(sent, bool) or isinstance(read, bool):
        return sent is read
    if isinstance(sent, int | float):
        return _same_number(str(sent), str(read)) if isinstance(read, int | float | str) else False
    if not isinstance(read, str):
        return _same_number(sent, str(read)) if isinstance(read, int | float) else False
    if name in CODES and _code(sent) == _code(read):
        return True
    if name in NAMES and clean_text(read) == clean_text(sent).title():
        return True
    return (
        clean_text(sent) == clean_text(read)
        or _same_instant(sent, read)
        or _same_day(sent, read)
        or _same_number(sent, read)
    )


def _mapped(item: Any, convert: Callable[[Any], Any]) -> Any:
    return Flagged(convert(item.value)) if isinstance(item, Flagged) else convert(item)


def _kept_in_order(sent: list[Any], read: Any, key: Callable[[Any], Any] = lambda v: v) -> bool:
    """``read`` is ``sent`` without later duplicates (by ``key``) and without some flagged items."""
    if not _is_list(read):
        return False
    seen: set[Any] = set()
    position = 0
    for item in sent:
        flagged = isinstance(item, Flagged)
        value = item.value if flagged else item
        if key(value) in seen:
            continue
        if position < len(read) and key(read[position]) == key(value) and read[position] == value:
            seen.add(key(value))
            position += 1
        elif not flagged:
            return False
    return position == len(read)


def _same_records(name: str, sent: list[Any], read: Any, regions: tuple[str, ...]) -> bool:
    """The same items, in order or in any order the server keeps them in; flagged ones may be gone."""
    if not _is_list(read):
        return False
    unmatched = list(read)
    for item in sent:
        flagged = isinstance(item, Flagged)
        value = item.value if flagged else item
        match = next((r for r in unmatched if _holds(name, value, r, regions)), None)
        if match is not None:
            unmatched.remove(match)
        elif not flagged:
            return False
    return not unmatched


def clean_text(value: str) -> str:
    """Text as the kernel stores it: NFC, runs of white space collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def _code(value: Any) -> str:
    # Stored as text is (white space such as a tab or U+001E collapsed), then compared as a code.
    text = clean_text(str(value)).replace(" ", "").upper()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def _e164(raw: Any, region: str) -> Any:
    try:
        number = phonenumbers.parse(raw, region)
    except (phonenumbers.NumberParseException, TypeError):
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _has_a_line(address: Mapping[str, Any]) -> bool:
    return any(isinstance(address.get(k), str) and clean_text(address[k]) for k in ADDRESS_LINES)


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _same_instant(a: str, b: str) -> bool:
    try:
        first, second = datetime.fromisoformat(a), datetime.fromisoformat(b)
    except ValueError:
        return False
    if (first.tzinfo is None) != (second.tzinfo is None):
        return False
    try:
        return first == second
    except OverflowError:
        return False


def _same_day(a: str, b: str) -> bool:
    try:
        return date.fromisoformat(a) == date.fromisoformat(b)
    except ValueError:
        return False


def _same_number(a: str, b: str) -> bool:
    try:
        first, second = Decimal(a.strip()), Decimal(b.strip())
    except (InvalidOperation, ValueError):
        return False
    return first.is_finite() and second.is_finite() and first == second


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=lambda v: getattr(v, "value", str(v)))
    text = text.encode("utf-8", "backslashreplace").decode()  # a lone surrogate prints escaped
    return text if len(text) <= 120 else f"{text[:100]}… ({len(text)} characters)"
