"""Reading the query parameters of the results' routes and page, each refusal naming its
parameter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta

from starlette.datastructures import QueryParams

from crmkit import ValidationError, parse_whole_number, read_choice, read_date, read_text
from crmkit_surveys.definitions.language import LANGUAGE
from crmkit_surveys.results.aggregates import Filters

FILTERS = ("version", "language", "from", "to", "partial")
REPEATABLE = ("segment_id",)
MAX_LANGUAGE = 10
MAX_KEY = 60
MAX_LIMIT = 100


def check_params(params: QueryParams, known: Iterable[str]) -> None:
    """Refuse a parameter nobody reads, or one given twice (``segment_id`` may repeat)."""
    allowed, seen = set(known), set()
    for name, _ in params.multi_items():
        if name not in allowed:
            raise ValidationError(name, "unknown query parameter")
        if name in seen and name not in REPEATABLE:
            raise ValidationError(name, "given more than once")
        seen.add(name)


def _midnight(field: str, text: str) -> datetime:
    return datetime.combine(read_date(field, text), time(), UTC)


def read_filters(params: Mapping[str, str]) -> Filters:
    """``version`` (an id), ``language``, ``from`` and ``to`` (dates, ``to`` included),
    ``partial`` (``true`` counts partial responses too)."""
    since = _midnight("from", params["from"]) if params.get("from") else None
    until = _midnight("to", params["to"]) + timedelta(days=1) if params.get("to") else None
    if since is not None and until is not None and until <= since:
        raise ValidationError("to", "is before from")
    version = params.get("version")
    return Filters(
        version_id=parse_whole_number("version", version, minimum=1) if version else None,
        language=_language(params.get("language")),
        since=since,
        until=until,
        partial=read_choice("partial", params.get("partial") or "false", ("true", "false"))
        == "true",
    )


def _language(text: str | None) -> str | None:
    language = read_text("language", text, limit=MAX_LANGUAGE)
    if language is not None and LANGUAGE.fullmatch(language) is None:
        raise ValidationError("language", "expected a language tag such as en or de-CH")
    return language


def optional_key(params: Mapping[str, str], name: str) -> str | None:
    """A question's key, or None when not given."""
    return read_text(name, params.get(name), limit=MAX_KEY)


def required_key(params: Mapping[str, str], name: str) -> str:
    """A question's key that must be given."""
    key = read_text(name, params.get(name), limit=MAX_KEY, required=True)
    assert key is not None
    return key


def optional_number(
    params: Mapping[str, str], name: str, maximum: int, minimum: int = 0
) -> int | None:
    """A whole number from ``minimum`` to ``maximum``, or None when not given."""
    value = params.get(name)
    return parse_whole_number(name, value, minimum=minimum, maximum=maximum) if value else None
