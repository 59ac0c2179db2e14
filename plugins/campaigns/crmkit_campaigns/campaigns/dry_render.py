"""A campaign's own message texts rendered once with made-up values, before anything is stored.

The channels plugin renders each message in Jinja2's immutable sandbox with undefined
variables as errors; a text that would fail there for every member is refused here, when
the campaign is defined, naming the field. The made-up values are exactly the variables
the channels plugin gives a message of that channel: an email's ``party`` has its
``email`` and the email an ``unsubscribe_url``; an SMS's ``party`` has its ``phone`` and
no ``unsubscribe_url``. Named templates are the channels plugin's and are tried with a
real member when the campaign is started (see :mod:`.lifecycle`).

A text is untrusted, and the sandbox bounds neither time nor size (``"x" * 10**9``), so
the trial render is bounded: repetitions, powers, calls and filters spend from a budget of
:data:`MAX_RENDERED` characters and are refused before they would build past it, the
output is read piece by piece and refused past :data:`MAX_RENDERED`, and a render still
running after :data:`MAX_SECONDS` is stopped. Any failure is "does not render", naming the
field. The bounds are for message texts, not a general sandbox: a text refused by them
(``namespace``, a width of a million) has no place in a campaign message anyway.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from crmkit import ValidationError

MAX_RENDERED = 1_000_000
"""The most characters a message text may render to (with the made-up values)."""
MAX_SECONDS = 1.0
"""The longest a trial render may run."""
_TEMPLATE_FILE = "<template>"
"""The file name of the code Jinja2 compiles from a string: the frames the time bound watches."""


_BUDGET: ContextVar[list[int]] = ContextVar("dry_render_budget")
"""The characters the trial render may still build by repetition, filters and formatting."""
_LONG_WIDTH = re.compile(r"[0-9]{7,}")
"""A width or precision of a million or more in a format (``%9999999s``, ``{:>9999999}``)."""


def _spend(size: int) -> None:
    """Take ``size`` characters from the render's budget; SecurityError past it."""
    budget = _BUDGET.get()
    budget[0] -= max(size, 0)
    if budget[0] < 0:
        raise SecurityError(f"it would build more than {MAX_RENDERED} characters")


def _cost(value: Any) -> int:
    """What ``value`` weighs in the budget: its length, or the size of a number."""
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    if isinstance(value, int):
        return abs(value).bit_length() // 3
    return 1


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing what would build a huge value before it is built:
    repetitions and powers, string formatting with a huge width, filters given a huge
    number; without ``namespace`` (the only way a loop carries a value on) and ``lipsum``."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        del self.globals["namespace"], self.globals["lipsum"]
        self.filters = {name: _bounded(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int | float):
            # The power has about bits(left) * right bits, a third as many digits.
            _spend(int(max(abs(left).bit_length(), 1) * abs(right)) // 3)
        elif operator == "*":
            _spend(_product_size(left, right))
        elif operator == "%" and isinstance(left, str) and _LONG_WIDTH.search(left):
            raise SecurityError("a width of a million or more is not allowed")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and _LONG_WIDTH.search(owner):
            raise SecurityError("a width of a million or more is not allowed")
        found = super().call(__context, __obj, *args, **kwargs)
        _spend(_cost(found))
        return found


def _product_size(left: Any, right: Any) -> int:
    """About how large ``left * right`` is: a repeated sequence's length, a product's digits."""
    sequences = str | list | tuple
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, sequences) and isinstance(times, int):
            return len(sequence) * times
    if isinstance(left, int) and isinstance(right, int):
        return (abs(left).bit_length() + abs(right).bit_length()) // 3
    return 1


MULTIPLYING = frozenset({"indent", "join", "replace", "wordwrap"})
"""Filters whose result can be about the product of their arguments' sizes (each line
indented, each item joined with the separator): their cost is counted before they run."""


def _bounded(name: str, function: Any) -> Any:
    """The filter ``name``, refusing a number past :data:`MAX_RENDERED` (a width, a count) and
    spending its result from the budget (a :data:`MULTIPLYING` one before it runs)."""

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = [*args, *kwargs.values()]
        numbers = [abs(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if any(n > MAX_RENDERED for n in numbers):
            raise SecurityError(f"a number above {MAX_RENDERED} is not allowed")
        if any(isinstance(v, str) and _LONG_WIDTH.search(v) for v in values):
            raise SecurityError("a width of a million or more is not allowed")
        if name in MULTIPLYING:
            sizes = sorted(
                [*numbers, *(len(v) for v in values if isinstance(v, str | list | tuple | range))]
            )
            _spend(sizes[-1] * sizes[-2] if len(sizes) > 1 else sum(sizes))
            return function(*args, **kwargs)
        found = function(*args, **kwargs)
        _spend(_cost(found))
        return found

    return bounded


_TEXT = _BoundedSandbox(undefined=StrictUndefined, autoescape=False)
_HTML = _BoundedSandbox(undefined=StrictUndefined, autoescape=True)

SAMPLE_PARTY = {
    "id": 1,
    "name": "Ada Lovelace",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "organisation_name": "",
}
SAMPLE_CONTACT = {"email": {"email": "ada@example.org"}, "sms": {"phone": "+4930123456"}}
"""The address or number the channels plugin adds to ``party`` for each channel."""


def sample_variables(campaign_name: str, channel: str) -> dict[str, Any]:
    """What a campaign message on ``channel`` is given, with made-up values for the party and
    the member: the channels plugin's variables for that channel and the campaign's own."""
    variables: dict[str, Any] = {
        "party": {**SAMPLE_PARTY, **SAMPLE_CONTACT[channel]},
        **message_variables(0, campaign_name, 0),
        "response_url": "https://crm.example/p/campaigns/public/respond?t=sample",
    }
    if channel == "email":
        # A campaign's email is never transactional: channels adds the unsubscribe link.
        variables["unsubscribe_url"] = "https://crm.example/p/channels/unsubscribe?token=sample"
    return variables


def message_variables(campaign_id: int, campaign_name: str, member_id: int) -> dict[str, Any]:
    """A member's own variables, beside ``party``: the campaign and the member."""
    return {"campaign": {"id": campaign_id, "name": campaign_name}, "member_id": member_id}


def check_renders(field: str, source: str, variables: dict[str, Any], *, html: bool) -> None:
    """Refuse (naming ``field``) a text that does not parse or render with ``variables``, or
    that renders to more than :data:`MAX_RENDERED` characters or for longer than
    :data:`MAX_SECONDS`."""
    environment = _HTML if html else _TEXT
    budget = _BUDGET.set([MAX_RENDERED])
    try:
        with _time_bound(field, time.monotonic() + MAX_SECONDS):
            rendered = 0
            for piece in environment.from_string(source).generate(variables):
                rendered += len(piece)
                if rendered > MAX_RENDERED:
                    raise ValidationError(field, f"renders to more than {MAX_RENDERED} characters")
    except ValidationError:
        raise
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ValidationError(field, f"does not render{where}: {exc.message or exc}") from None
    except Exception as exc:  # untrusted text: any failure at all is a refusal
        raise ValidationError(
            field, f"does not render: {type(exc).__name__}: {exc}"[:300]
        ) from None
    finally:
        _BUDGET.reset(budget)


@contextmanager
def _time_bound(field: str, deadline: float) -> Iterator[None]:
    """Stop the template's code (and only it) once ``deadline`` has passed, at its next line,
    refusing ``field``. A loop that writes nothing (nested ``range``) is bounded by neither
    size check."""

    def on_line(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise ValidationError(field, f"does not render within {MAX_SECONDS} s")
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        # Only the compiled template's frames are traced line by line: the rest runs as usual.
        return on_line if frame.f_code.co_filename == _TEMPLATE_FILE else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)
