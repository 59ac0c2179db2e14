"""Generated demo data: users, prospects and customers from several countries, their histories.

Everything comes from one seeded random generator and a reference moment
``now``, so the same seed and moment give the same data. Email addresses use the
reserved ``.example`` domain (RFC 2606) so that no demo message can reach a
real mailbox; phone numbers are valid for their country (checked with
phonenumbers through :meth:`crmkit.PhoneNumber.parse`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import phonenumbers
from attrs import frozen

from crmkit.core.entities import Customer, Direction, Party, Prospect
from crmkit.core.errors import ValidationError
from crmkit.core.text import strip_accents
from crmkit.core.values import EmailAddress, PhoneNumber, PostalAddress
from crmkit.demo.countries import COUNTRIES, Country

T = TypeVar("T")

HISTORY = timedelta(days=730)
"""How far back the demo's parties and interactions go."""
CONVERTED_SHARE = 0.3
"""The share of customers that started as prospects."""
ORGANISATION_SHARE = 0.25


@frozen
class DemoUser:
    """Someone who works in the demo company; ``manager`` is a username."""

    username: str
    display_name: str
    role: str
    team: str | None = None
    territories: tuple[str, ...] = ()
    manager: str | None = None


ADMIN_USERNAME = "admin"
"""The demo's administrator; its presence says the demo database is seeded."""
DEMO_PASSWORD = "crmkit-demo"
"""Every demo user's password, printed by ``crmkit demo`` and shown on its login page."""

USERS: tuple[DemoUser, ...] = (
    DemoUser(ADMIN_USERNAME, "Helena Vogt", "admin"),
    DemoUser("m.keller", "Martin Keller", "manager", "Sales DACH", ("DE", "AT", "CH")),
    DemoUser(
        "c.dubois", "Claire Dubois", "manager", "Sales Europe", ("FR", "GB", "US", "IT", "ES", "NL")
    ),
    DemoUser("j.weber", "Jana Weber", "sales", "Sales DACH", ("DE",), "m.keller"),
    DemoUser("l.hoffmann", "Lars Hoffmann", "sales", "Sales DACH", ("DE", "AT", "CH"), "m.keller"),
    DemoUser("s.martin", "Sophie Martin", "sales", "Sales Europe", ("FR", "NL"), "c.dubois"),
    DemoUser("o.bennett", "Oliver Bennett", "sales", "Sales Europe", ("GB", "US"), "c.dubois"),
    DemoUser("g.rossi", "Giulia Rossi", "sales", "Sales Europe", ("IT", "ES"), "c.dubois"),
    DemoUser("n.schulz", "Nina Schulz", "service", "Customer Service"),
    DemoUser("p.garcia", "Pablo García", "service", "Customer Service"),
    DemoUser("e.dejong", "Eva de Jong", "marketing", "Marketing"),
    DemoUser("r.evans", "Ruth Evans", "read-only", "Finance"),
)

PROSPECT_SOURCES = ("website", "trade fair", "referral", "campaign", "cold call", "partner")
# "expired" is not drawn: the demo expires prospects by the kernel's rule (crmkit.demo.intake).
STATUS_WEIGHTS = {"new": 40, "working": 32, "qualified": 16, "disqualified": 12}
WORKED_ON = ("working", "qualified")
RECENT_WORK = timedelta(days=21)
"""A prospect someone works on was touched within this time."""
FIRST_CONTACT_SHARE = 0.85
"""The share of prospects their owner called soon after they came in."""
FIRST_CONTACT_HOURS = 6.0
"""How soon, on average, that first call came."""
INCOMPLETE_NAME_SHARE = 0.1
"""People known by their last name only: the intake checks mark them down."""
NO_PHONE_SHARE = 0.15
EMAIL_PROVIDERS = ("mail.example", "post.example", "inbox.example", "net.example")


@frozen
class Touch:
    """One interaction in a party's history; ``owner`` is a username or None (automatic)."""

    channel: str
    direction: Direction
    occurred_at: datetime
    subject: str
    summary: str
    outcome: str | None
    owner: str | None


@frozen
class DemoParty:
    """A generated party (with its creation time), its owner (a username), what happened since."""

    entity: Party
    owner: str
    history: tuple[Touch, ...]


# Per channel: direction, subjects, outcomes, summaries. {n} is a document number.
CHANNELS: dict[str, tuple[Direction, tuple[str, ...], tuple[str | None, ...], tuple[str, ...]]] = {
    "phone": (
        "outbound",
        (
            "Follow-up call",
            "Call about the new price list",
            "Checking in after delivery",
            "Appointment request",
            "Question about invoice {n}",
        ),
        ("reached", "voicemail", "no answer", "callback requested", "order placed"),
        (
            "Talked through the open points; next steps agreed.",
            "Left a message asking for a call back.",
            "Customer asked for the updated conditions in writing.",
        ),
    ),
    "email": (
        "outbound",
        (
            "Quotation {n}",
            "Order confirmation {n}",
            "Product brochure",
            "Meeting notes",
            "Your enquiry",
        ),
        ("sent", "replied", "no reply"),
        (
            "Sent the documents as discussed.",
            "Answered the questions about delivery times.",
            "Summary of the agreements attached.",
        ),
    ),
    "meeting": (
        "internal",
        ("Annual review", "Product demonstration", "Contract negotiation", "Kick-off meeting"),
        ("positive", "follow-up agreed", "no decision yet"),
        (
            "Went through the requirements and the budget.",
            "Demonstrated the new product line; strong interest.",
            "Discussed the framework contract for next year.",
        ),
    ),
    "visit": (
        "outbound",
        ("Site visit", "Showroom visit", "Installation check"),
        ("done", "follow-up agreed"),
        ("Visited on site and checked the installation.", "Showed the new range in person."),
    ),
    "web_form": (
        "inbound",
        (
            "Contact form: product information",
            "Contact form: request for a quote",
            "Newsletter sign-up",
        ),
        (None,),
        ("Submitted through the website.",),
    ),
}


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for email local parts and domains: "Jürgen Groß" -> "jurgengross"."""
    text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    bare = strip_accents(text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9.-]", "", bare.lower())


def number_plan(region: str, kind: int) -> tuple[int, str, str]:
    """(calling code, fixed prefix, pattern of the random rest) after the region's example number."""
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None and example.country_code is not None
    significant = phonenumbers.national_significant_number(example)
    keep = max(len(significant) - 6, 1)
    return example.country_code, significant[:keep], "#" * (len(significant) - keep)


def _when(touch: Touch) -> datetime:
    return touch.occurred_at


class Generator:
    """Produces deterministic demo parties; one instance per seeding run."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.used_emails: set[str] = set()
        self.owners = {
            code: [u.username for u in USERS if u.role == "sales" and code in u.territories]
            for code in (c.code for c in COUNTRIES)
        }
        self.managers = {
            code: [u.username for u in USERS if u.role == "manager" and code in u.territories]
            for code in (c.code for c in COUNTRIES)
        }
        self.service = [u.username for u in USERS if u.role == "service"]
        self.number_plans = {
            (country.code, kind): number_plan(country.code, kind)
            for country in COUNTRIES
            for kind in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE,
            )
        }

    def _pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def _moment(self, start: datetime, end: datetime) -> datetime:
        seconds = max((end - start).total_seconds(), 0)
        return (start + timedelta(seconds=self.rng.uniform(0, seconds))).replace(microsecond=0)

    def _pattern(self, pattern: str) -> str:
        """``pattern`` with each ``#`` a random digit and each ``@`` a random capital letter."""

        def fill(ch: str) -> str:
            if ch == "#":
                return str(self.rng.randrange(10))
            if ch == "@":
                return chr(ord("A") + self.rng.randrange(26))
            return ch

        return "".join(fill(ch) for ch in pattern)

    def phone(self, country: Country, kind: int) -> PhoneNumber:
        """A valid number of ``country``: its example number's prefix, then random digits."""
        calling_code, prefix, random_digits = self.number_plans[country.code, kind]
        for _ in range(100):
            try:
                return PhoneNumber.parse(f"+{calling_code}{prefix}{self._pattern(random_digits)}")
            except ValidationError:
                continue
        raise RuntimeError(f"no valid {country.code} phone number found after {prefix}")

    def email(self, local: str, domain: str) -> EmailAddress:
        """A unique address at ``domain``: a number is added when the local part is taken."""
        address, n = f"{local}@{domain}", 1
        while address in self.used_emails:
            n += 1
            address = f"{local}{n}@{domain}"
        self.used_emails.add(address)
        return EmailAddress.parse(address)

    def address(self, country: Country) -> PostalAddress:
        city = self._pick(country.cities)
        return PostalAddress(
            street=self._pick(country.streets),
            street_number=str(self.rng.randint(1, 180)),
            postcode=self._pattern(city.postcode),
            city=city.name,
            region=city.region,
            country=country.code,
        )

    def _identity(self, country: Country) -> dict[str, Any]:
        mobile, fixed = phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE
        if self.rng.random() < ORGANISATION_SHARE:
            words = self.rng.sample(country.company_words, 2)
            first = self._pick((words[0], self._pick(country.last_names)))
            name = f"{first} {words[1]} {self._pick(country.legal_forms)}"
            domain = f"{ascii_fold(first.replace(' ', '-'))}-{ascii_fold(words[1])}.example"
            return dict(
                kind="organisation",
                organisation_name=name,
                emails=(self.email(self._pick(("info", "office", "sales")), domain),),
                phones=(self.phone(country, fixed),),
            )
        first, last = self._pick(country.first_names), self._pick(country.last_names)
        local = self._pick((f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}"))
        emails = [self.email(ascii_fold(local.replace(" ", "")), self._pick(EMAIL_PROVIDERS))]
        phones = [self.phone(country, mobile)]
        if self.rng.random() < 0.3:
            phones.append(self.phone(country, fixed))
        born = None
        if self.rng.random() < 0.3:
            born = date(
                self.now.year - self.rng.randint(22, 75),
                self.rng.randint(1, 12),
                self.rng.randint(1, 28),
            )
        return dict(
            kind="person",
            first_name=first,
            last_name=last,
            birth_date=born,
            emails=tuple(emails),
            phones=tuple(phones),
        )

    def _country(self) -> Country:
        return self.rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]

    def _owner(self, country: Country) -> str:
        pool = (
            self.owners[country.code] if self.rng.random() < 0.85 else self.managers[country.code]
        )
        return self._pick(pool)

    def history(self, owner: str, start: datetime, end: datetime, count: int) -> list[Touch]:
        """``count`` interactions between ``start`` and ``end``, oldest first."""
        touches = []
        for moment in sorted(self._moment(start, end) for _ in range(count)):
            channel = self.rng.choices(list(CHANNELS), weights=(35, 35, 12, 8, 10))[0]
            direction, subjects, outcomes, summaries = CHANNELS[channel]
            if channel in ("phone", "email") and self.rng.random() < 0.4:
                direction = "inbound"
            who: str | None = owner
            if channel == "web_form":
                who = None
            elif direction == "inbound" and self.rng.random() < 0.4:
                who = self._pick(self.service)
            touches.append(
                Touch(
                    channel=channel,
                    direction=direction,
                    occurred_at=moment,
                    subject=self._pick(subjects).format(n=self.rng.randint(10000, 99999)),
                    summary=self._pick(summaries),
                    outcome=self._pick(outcomes),
                    owner=who,
                )
            )
        return touches

    def first_call(self, owner: str, moment: datetime) -> Touch:
        """The owner's first call to a new prospect."""
        return Touch(
            channel="phone",
            direction="outbound",
            occurred_at=moment.replace(microsecond=0),
            subject="First call about the enquiry",
            summary=self._pick(CHANNELS["phone"][3]),
            outcome=self._pick(("reached", "voicemail", "callback requested")),
            owner=owner,
        )

    def _party(
        self, cls: type[Party], created: datetime, touches: list[Touch], **values: Any
    ) -> Party:
        last = max([created, *(t.occurred_at for t in touches)])
        return cls(created_at=created, updated_at=last, version=1, **values)

    def prospect(self) -> DemoParty:
        country = self._country()
        owner = self._owner(country)
        # Prospects are perishable: most of them are recent.
        age = min(self.rng.expovariate(1 / 150), HISTORY.days)
        created = (self.now - timedelta(days=age)).replace(microsecond=0)
        status = self.rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        touches = self.history(owner, created, self.now, self.rng.randint(0, 4))
        if status in WORKED_ON:
            # Someone works on it: it was touched lately, whenever it came in.
            recent = max(created, self.now - RECENT_WORK)
            touches += self.history(owner, recent, self.now, 1)
        if self.rng.random() < FIRST_CONTACT_SHARE:
            called = created + timedelta(hours=self.rng.expovariate(1 / FIRST_CONTACT_HOURS))
            if called < self.now:
                touches.append(self.first_call(owner, called))
        touches.sort(key=_when)
        identity = self._identity(country)
        # Prospects come in less complete than customers: the intake's checks find it.
        if identity["kind"] == "person" and self.rng.random() < INCOMPLETE_NAME_SHARE:
            identity["first_name"] = None
        if self.rng.random() < NO_PHONE_SHARE:
            identity["phones"] = ()
        entity = self._party(
            Prospect,
            created,
            touches,
            **identity,
            addresses=(self.address(country),) if self.rng.random() < 0.6 else (),
            source=self._pick(PROSPECT_SOURCES),
            status=status,
        )
        return DemoParty(entity, owner, tuple(touches))

    def customer(self, number: int) -> DemoParty:
        country = self._country()
        owner = self._owner(country)
        created = self._moment(self.now - HISTORY, self.now - timedelta(days=7))
        touches: list[Touch] = []
        source, converted = None, None
        if self.rng.random() < CONVERTED_SHARE:
            # Its time as a prospect, then the rest of its history as a customer.
            source = self._pick(PROSPECT_SOURCES)
            converted = min(created + timedelta(days=self.rng.randint(5, 120)), self.now)
            touches = self.history(owner, created, converted, self.rng.randint(1, 3))
        touches += self.history(owner, converted or created, self.now, self.rng.randint(2, 6))
        entity = self._party(
            Customer,
            created,
            touches,
            **self._identity(country),
            addresses=(self.address(country),),
            customer_number=f"C-{100000 + number}",
            source=source,
            converted_at=converted,
        )
        return DemoParty(entity, owner, tuple(touches))

    def parties(self, customers: int, prospects: int) -> Iterator[DemoParty]:
        """``customers`` customers, then ``prospects`` prospects."""
        for number in range(1, customers + 1):
            yield self.customer(number)
        for _ in range(prospects):
            yield self.prospect()
