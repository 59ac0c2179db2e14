"""Sanity checks: is a prospect plausible, reachable and not test data?

Each rule returns findings under its own code; ``[intake] disabled_rules``
switches codes off, and plugins add rules through the ``sanity_check`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from importlib.resources import files

import phonenumbers
from attrs import frozen
from phonenumbers import PhoneNumberType

from crmkit.core.entities import Prospect
from crmkit.core.intake.findings import Finding
from crmkit.core.values import parsed_phone, phone_type

FAKE_WORDS = frozenset(
    [
        "test",
        "tester",
        "testing",
        "asdf",
        "asdfg",
        "asdfgh",
        "qwer",
        "qwert",
        "qwerty",
        "qwertz",
        "yxcv",
        "xyz",
        "abcd",
        "foo",
        "bar",
        "baz",
        "dummy",
        "sample",
        "example",
        "nobody",
        "none",
        "null",
        "n/a",
        "xxx",
        "aaa",
        "unknown",
        "fake",
    ]
)
FAKE_PEOPLE = frozenset({"max mustermann", "erika mustermann", "john doe", "jane doe"})
FAKE_EMAIL_DOMAINS = frozenset({"example.com", "example.org", "example.net", "test.com", "test.de"})
REACHABLE_PHONE_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
    }
)
PENALTIES = {
    "email_disposable": 30,
    "email_fake": 30,
    "email_invalid": 15,
    "phone_invalid": 15,
    "phone_fake": 30,
    "phone_type": 20,
    "phone_region": 5,
    "country_unknown": 5,
    "name_incomplete": 10,
}
"""Quality points a soft finding costs; a code not listed (e.g. a plugin's) costs 15."""
DEFAULT_PENALTY = 15


@frozen
class SanityContext:
    """What the rules need besides the prospect."""

    region: str
    """Where the prospect is assumed to live when no address says otherwise."""
    disposable_domains: frozenset[str]


Rule = Callable[[Prospect, SanityContext], Iterable[Finding]]


@cache
def builtin_disposable_domains() -> frozenset[str]:
    """The domains of the shipped list (``disposable_domains.txt``)."""
    text = files(__package__).joinpath("disposable_domains.txt").read_text(encoding="utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_fake_word(word: str) -> bool:
    letters = word.casefold().strip(".-'")
    return letters in FAKE_WORDS or (len(letters) > 1 and len(set(letters)) == 1)


def fake_name(prospect: Prospect, context: SanityContext) -> Iterable[Finding]:
    """Test data: "test test", "asdf", "Max Mustermann", a name without a letter."""
    field = "organisation_name" if prospect.kind == "organisation" else "last_name"
    name = prospect.display_name
    words = name.split()
    if not any(c.isalpha() for c in name):
        yield Finding("fake_name", "hard", field, f"{name!r} has no letters")
    elif all(_is_fake_word(w) for w in words) or name.casefold() in FAKE_PEOPLE:
        yield Finding("fake_name", "hard", field, f"{name!r} looks like test data")


def incomplete_name(prospect: Prospect, context: SanityContext) -> Iterable[Finding]:
    if prospect.kind == "person" and not (prospect.first_name and prospect.last_name):
        missing = "first_name" if prospect.last_name else "last_name"
        yield Finding("name_incomplete", "soft", missing, "only part of the name is known")


def _email_is_fake(local: str, domain: str) -> bool:
    return domain in FAKE_EMAIL_DOMAINS or _is_fake_word(local)


def email_checks(prospect: Prospect, context: SanityContext) -> Iterable[Finding]:
    for i, email in enumerate(prospect.emails):
        local, _, domain = email.normalised.rpartition("@")
        labels = domain.split(".")
        if any(".".join(labels[i:]) in context.disposable_domains for i in range(len(labels))):
            yield Finding(
                "email_disposable",
                "soft",
                f"emails[{i}]",
                f"{domain} hands out throw-away mailboxes",
            )
        elif _email_is_fake(local, domain):
            yield Finding("email_fake", "soft", f"emails[{i}]", f"{email} looks like test data")


_SEQUENCES = ("0123456789", "9876543210")


@lru_cache(maxsize=8192)
def _phone_is_fake(e164: str) -> bool:
    """The subscriber's digits (after the area or network code) run 1234567 or repeat one digit."""
    number = parsed_phone(e164)
    national = str(number.national_number)
    if len(set(national)) == 1:
        return True
    # Where the subscriber's digits begin takes formatting the whole number to find out; only
    # a number ending in a repeated digit or in five of a run can be fake, and few do.
    if national[-1] != national[-2] and not any(national[-5:] in s for s in _SEQUENCES):
        return False
    subscriber = national[phonenumbers.length_of_national_destination_code(number) :]
    if len(set(subscriber)) == 1:
        return True
    return len(subscriber) >= 5 and any(subscriber in s for s in _SEQUENCES)


def phone_checks(prospect: Prospect, context: SanityContext) -> Iterable[Finding]:
    home = next((a.country for a in prospect.addresses if a.country), None) or context.region
    for i, phone in enumerate(prospect.phones):
        if _phone_is_fake(phone.e164):
            yield Finding("phone_fake", "soft", f"phones[{i}]", f"{phone} looks like test data")
            continue
        if phone_type(phone.e164) not in REACHABLE_PHONE_TYPES:
            yield Finding(
                "phone_type",
                "soft",
                f"phones[{i}]",
                f"{phone} is no personal line (premium rate, toll free, shared cost or similar)",
            )
        country = phonenumbers.region_code_for_number(parsed_phone(phone.e164))
        if country and country != home:
            yield Finding(
                "phone_region", "soft", f"phones[{i}]", f"{phone} is from {country}, not {home}"
            )


def contact_route(
    prospect: Prospect, findings: Iterable[Finding], context: SanityContext
) -> Iterable[Finding]:
    """At least one way to reach the prospect that is not itself test data."""
    unusable = {f.field for f in findings if f.code in ("email_fake", "phone_fake")}
    emails = [i for i in range(len(prospect.emails)) if f"emails[{i}]" not in unusable]
    phones = [i for i in range(len(prospect.phones)) if f"phones[{i}]" not in unusable]
    if not (emails or phones or prospect.addresses):
        yield Finding(
            "no_contact_route", "hard", "emails", "no usable email, phone number or address"
        )


RULES: tuple[Rule, ...] = (fake_name, incomplete_name, email_checks, phone_checks)
"""The kernel's rules; ``contact_route`` runs after them, as it weighs their findings."""


def kernel_findings(prospect: Prospect, context: SanityContext) -> list[Finding]:
    """The findings of the kernel's rules (:data:`RULES`) on ``prospect``."""
    return [finding for rule in RULES for finding in rule(prospect, context)]


def check(
    prospect: Prospect,
    context: SanityContext,
    *,
    earlier: Iterable[Finding] = (),
    extra: Iterable[Finding] = (),
    disabled: Iterable[str] = (),
    ruled: Iterable[Finding] | None = None,
) -> list[Finding]:
    """Every finding on ``prospect``: ``earlier`` ones (from normalising), the kernel's rules,
    ``extra`` ones (from plugins), less the ``disabled`` codes. ``ruled``: the kernel's rules'
    findings where they were found beforehand (:func:`kernel_findings`, in an import's worker
    processes)."""
    off = set(disabled)
    found = [*earlier]
    found.extend(kernel_findings(prospect, context) if ruled is None else ruled)
    found.extend(extra)
    found = [f for f in found if f.code not in off]
    if "no_contact_route" not in off:
        found.extend(contact_route(prospect, found, context))
    return found


def quality(findings: Iterable[Finding]) -> int:
    """0 with a hard finding; else 100 less the penalty of every soft one, at least 0."""
    penalty = 0
    for finding in findings:
        if finding.severity == "hard":
            return 0
        penalty += PENALTIES.get(finding.code, DEFAULT_PENALTY)
    return max(0, 100 - penalty)
