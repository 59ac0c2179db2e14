"""A labelled test set for identity matching: people and organisations, their duplicates, the truth.

Deterministic from a seed and a :class:`Damage`. Each party (a person, a
company, a company's employee, a member of a household) appears once or
several times, each copy damaged the way real data is: typing errors,
nicknames, swapped first and last names, a full name in one column, missing
values, other spellings of phones, emails, streets and dates of birth, a move
or a new email address. The ``typed`` damage (:data:`DAMAGE_SETS`) adds what
data typed in by hand has on top: a mistyped digit (one substituted, two
transposed) in national ids, customer numbers, postcodes, house numbers and
phones, more letters dropped, added, substituted or swapped in names, and more
swapped names; the ``classic`` damage writes the same files as before it existed. Members of
one household (same address and landline) and colleagues at one company (same
address, switchboard and email domain) are different parties and must not be
matched. Countries, cities, streets and company words come from the demo data.
"""

from __future__ import annotations

import csv
import functools
import itertools
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from attrs import define, field, frozen

from crmkit.demo.countries import COUNTRIES, Country
from crmkit.demo.data import ascii_fold, number_plan

COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "name",
    "company",
    "email",
    "phone",
    "street",
    "house_number",
    "zip",
    "city",
    "country",
    "dob",
    "national_id",
    "customer_no",
)
"""The columns of the generated CSV file."""

MAPPING = {
    "given_name": "first_name",
    "family_name": "last_name",
    "name": "full_name",
    "company": "organisation",
    "house_number": "street_number",
    "zip": "postcode",
    "dob": "birth_date",
    "customer_no": "external_id",
}
"""CSV column -> crmkit field for the columns not named like their field."""

_FIRST_NAMES = {
    "DE": "Anna Lena Julia Sabine Katrin Monika Laura Sophie Petra Claudia Ursula Renate Birgit "
    "Heike Andrea Susanne Gabriele Stefanie Franziska Katharina Nina Miriam Carina Jana Leonie "
    "Lukas Jonas Thomas Michael Stefan Andreas Jürgen Markus Felix Tobias Matthias Uwe Johannes "
    "Wolfgang Friedrich Heinrich Josef Dieter Klaus Frank Bernd Ralf Sven Dirk Oliver Florian "
    "Sebastian Maximilian Alexander Christian Daniel Jan Philipp Moritz Niklas Benedikt",
    "FR": "Camille Léa Chloé Manon Inès Claire Isabelle Nathalie Sophie Sandrine Céline Aurélie "
    "Émilie Julie Mathilde Margaux Pauline Élodie Valérie Agnès Hélène Brigitte Julien Nicolas "
    "Mathieu Antoine Pierre Hugo Louis Étienne François Frédéric Guillaume Dominique Laurent "
    "Olivier Philippe Sébastien Thierry Vincent Christophe Jérôme Benoît Rémi Xavier Yves Cédric "
    "Arnaud Baptiste Maxime Théo Lucas Raphaël Gaël",
    "GB": "Olivia Amelia Emily Charlotte Sophie Jessica Hannah Lucy Chloe Rebecca Elizabeth "
    "Margaret Katherine Victoria Sarah Rachel Laura Helen Claire Emma Alice Grace Eleanor Harriet "
    "Oliver George Harry Jack Thomas William James Robert Richard Edward Charles Michael David "
    "Andrew Christopher Daniel Matthew Samuel Benjamin Alexander Nicholas Jonathan Anthony Joseph "
    "Henry Oscar Alfie Callum Gareth Rhys Owen Ian",
    "US": "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa "
    "Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Deborah Rebecca Victoria Megan "
    "James Robert John Michael David William Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy "
    "Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Benjamin Samuel",
    "ES": "María Carmen Ana Laura Isabel Dolores Pilar Lucía Elena Marta Cristina Paula Sara "
    "Raquel Rosa Teresa Beatriz Nuria Silvia Alba Concepción Montserrat Inmaculada Irene José "
    "Antonio Manuel Francisco Juan David Javier Daniel Carlos Jesús Alejandro Miguel Rafael "
    "Pedro Pablo Ángel Sergio Fernando Jorge Luis Alberto Álvaro Ignacio Diego Adrián Raúl Rubén "
    "Enrique Ramón Vicente Andrés",
    "IT": "Giulia Francesca Chiara Sara Martina Valentina Alessandra Federica Silvia Elena Laura "
    "Paola Roberta Anna Maria Giovanna Rosa Angela Lucia Simona Barbara Elisa Ilaria Marta "
    "Giuseppe Giovanni Antonio Mario Luigi Francesco Alessandro Andrea Marco Roberto Stefano "
    "Paolo Luca Matteo Lorenzo Davide Simone Federico Riccardo Gabriele Emanuele Fabio Massimo "
    "Claudio Daniele Nicola Pietro Salvatore Vincenzo Domenico Tommaso",
}
_LAST_NAMES = {
    "DE": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
    "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
    "Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler "
    "Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn "
    "Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann "
    "Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt "
    "Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich "
    "Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer",
    "FR": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre "
    "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
    "Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez "
    "Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly "
    "Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Pérez Marchand Dufour Blanchard "
    "Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland",
    "GB": "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
    "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel "
    "Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison "
    "Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths "
    "Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards "
    "Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell "
    "Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes",
    "US": "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes",
    "ES": "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez "
    "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez "
    "Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz "
    "Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano "
    "Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña Flores Cabrera Campos "
    "Vega Fuentes Carrasco Diez Caballero Reyes Nieto Aguilar Pascual Santana Herrero Lorenzo "
    "Montero Hidalgo Giménez Ibáñez Ferrer Durán Santiago Benítez Mora Vicente Vargas Arias",
    "IT": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
    "Conti De Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro "
    "Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo "
    "Serra Coppola De Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco "
    "Marini Grasso Valentini Messina Sala De Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi "
    "Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani "
    "Benedetti Barone Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore",
}
# Street name patterns per country; {} is a family name of that country.
_STREET_PATTERNS = {
    "DE": ("{}straße", "{}weg", "{}platz", "Am {}hof"),
    "FR": ("Rue {}", "Avenue {}", "Boulevard {}", "Place {}"),
    "GB": ("{} Road", "{} Street", "{} Lane", "{} Close"),
    "US": ("{} Street", "{} Avenue", "{} Road", "{} Drive"),
    "ES": ("Calle de {}", "Avenida {}", "Plaza de {}", "Calle {}"),
    "IT": ("Via {}", "Viale {}", "Piazza {}", "Via {}"),
}
# Spellings of one street that mean the same.
_STREET_VARIANTS = (
    ("straße", "str."),
    ("straße", "strasse"),
    (" Street", " St"),
    (" Road", " Rd"),
    (" Avenue", " Ave"),
    ("Avenue ", "Av. "),
    ("Avenida ", "Av. "),
)
_DATE_FORMATS = {
    "DE": ("%d.%m.%Y", "%Y-%m-%d", "%Y%m%d"),
    "FR": ("%d/%m/%Y", "%Y-%m-%d", "%Y%m%d"),
    "GB": ("%d/%m/%Y", "%Y-%m-%d", "%Y%m%d"),
    "US": ("%m/%d/%Y", "%Y-%m-%d", "%Y%m%d"),
    "ES": ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"),
    "IT": ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y"),
}
_COUNTRY_NAMES = {
    "DE": "Germany",
    "FR": "France",
    "GB": "United Kingdom",
    "US": "USA",
    "ES": "España",
    "IT": "Italia",
}
_NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Richard": "Rick",
    "Elizabeth": "Liz",
    "Margaret": "Maggie",
    "Katherine": "Kate",
    "James": "Jim",
    "Michael": "Mike",
    "Thomas": "Tom",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Anthony": "Tony",
    "Edward": "Ed",
    "Joseph": "Joe",
    "Alexander": "Alex",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Nicholas": "Nick",
    "Jonathan": "Jon",
    "Jennifer": "Jenny",
    "Susan": "Sue",
    "Johannes": "Hans",
    "Friedrich": "Fritz",
    "Heinrich": "Heinz",
    "Josef": "Sepp",
    "Franziska": "Franzi",
    "Stefanie": "Steffi",
    "Katharina": "Kathi",
    "Gabriele": "Gabi",
    "José": "Pepe",
    "Francisco": "Paco",
    "Manuel": "Manolo",
    "Ignacio": "Nacho",
    "Dolores": "Lola",
    "Giuseppe": "Beppe",
    "Giovanni": "Gianni",
}
_PROVIDERS = ("mail.example", "post.example", "inbox.example", "net.example", "web.example")

DUPLICATE_SHARE = 0.3
"""Share of parties that appear more than once."""


@frozen
class Damage:
    """How likely each kind of damage is in one copy of a party."""

    typo: float = 0.12
    nickname: float = 0.3
    swapped_names: float = 0.05
    full_name_only: float = 0.08
    upper_case: float = 0.05
    no_birth_date: float = 0.1
    birth_date_typo: float = 0.02
    no_email: float = 0.15
    new_email: float = 0.08
    no_phone: float = 0.2
    new_phone: float = 0.05
    no_address: float = 0.08
    moved: float = 0.04
    no_country: float = 0.2
    digit_typo: float = 0.0
    """Each of national id, customer number, postcode, house number and phone, apart."""
    customer_number: float = 0.0
    """Share of parties with a customer number from an earlier system (in about half their copies)."""


DAMAGE_SETS = {
    "classic": Damage(),
    "typed": Damage(
        typo=0.2,
        swapped_names=0.08,
        no_birth_date=0.12,
        no_email=0.2,
        digit_typo=0.06,
        customer_number=0.3,
    ),
}
"""The named kinds of damage a test set is made with; ``typed`` is the harder one."""


@define
class _Party:
    """One real person or organisation, before it is written (possibly several times)."""

    country: Country
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    emails: list[str] = field(factory=list)
    phones: list[str] = field(factory=list)
    street: str = ""
    number: str = ""
    postcode: str = ""
    city: str = ""
    birth_date: date | None = None
    national_id: str = ""
    customer_number: str = ""


@frozen
class TestSet:
    """The CSV file written and the true duplicate pairs (all pairs within one party)."""

    csv_path: Path
    pairs_path: Path
    records: int
    true_pairs: int


def _weighted(rng: random.Random, names: tuple[str, ...]) -> str:
    # Roughly Zipf (the k-th name 1/(k+5) as common): a few names are common, most are rare.
    return rng.choices(names, cum_weights=_zipf(len(names)))[0]


@functools.cache
def _zipf(count: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 5) for rank in range(count)))


class PeopleGenerator:
    """Makes parties and their damaged copies from one seeded random generator."""

    def __init__(self, seed: int, damage: Damage | None = None) -> None:
        self.rng = random.Random(seed)
        self.damage = damage or Damage()
        self.used_emails: set[str] = set()
        self.first_names = {c: tuple(n.split()) for c, n in _FIRST_NAMES.items()}
        self.last_names = {c: tuple(n.split()) for c, n in _LAST_NAMES.items()}
        self.countries = [c for c in COUNTRIES if c.code in _FIRST_NAMES]
        self.plans = {
            (c.code, kind): number_plan(c.code, kind)
            for c in self.countries
            for kind in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE,
            )
        }

    # --- Parties.

    def _country(self) -> Country:
        return self.rng.choices(self.countries, weights=[c.weight for c in self.countries])[0]

    def _pattern(self, pattern: str) -> str:
        return "".join(
            str(self.rng.randrange(10))
            if c == "#"
            else chr(65 + self.rng.randrange(26))
            if c == "@"
            else c
            for c in pattern
        )

    def _phone(self, country: Country, mobile: bool) -> str:
        kind = (
            phonenumbers.PhoneNumberType.MOBILE
            if mobile
            else phonenumbers.PhoneNumberType.FIXED_LINE
        )
        code, prefix, rest = self.plans[(country.code, kind)]
        return f"+{code}{prefix}{self._pattern(rest)}"

    def _email(self, local: str, domain: str) -> str:
        base = ascii_fold(local).strip(".") or "x"
        address = f"{base}@{domain}"
        while address in self.used_emails:
            address = f"{base}{self.rng.randrange(10, 10000)}@{domain}"
        self.used_emails.add(address)
        return address

    def _personal_email(self, first: str, last: str) -> str:
        pattern = self.rng.choice(("{f}.{l}", "{f}{l}", "{i}.{l}", "{l}.{f}", "{f}_{l}"))
        local = pattern.format(f=first, l=last.replace(" ", ""), i=first[:1])
        return self._email(local, self.rng.choice(_PROVIDERS))

    def _address(self, party: _Party) -> None:
        country = party.country
        city = self.rng.choice(country.cities)
        if self.rng.random() < 0.3:
            street = self.rng.choice(country.streets)
        else:
            name = self.rng.choice(self.last_names[country.code])
            street = self.rng.choice(_STREET_PATTERNS[country.code]).format(name)
        party.street, party.city = street, city.name
        party.number = str(self.rng.randint(1, 250))
        party.postcode = self._pattern(city.postcode)

    def _birth_date(self) -> date:
        return date(1940, 1, 1) + timedelta(days=self.rng.randrange(65 * 365))

    def _national_id(self, country: Country) -> str:
        if country.code == "ES":
            digits = self.rng.randrange(10**8)
            return f"{digits:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[digits % 23]}"
        if country.code == "IT":
            return self._pattern("@@@@@@##@##@###@")
        return ""

    def person(self, country: Country | None = None, last_name: str | None = None) -> _Party:
        country = country or self._country()
        party = _Party(country=country)
        party.first_name = _weighted(self.rng, self.first_names[country.code])
        party.last_name = last_name or _weighted(self.rng, self.last_names[country.code])
        party.birth_date = self._birth_date()
        party.emails.append(self._personal_email(party.first_name, party.last_name))
        party.phones.append(self._phone(country, mobile=True))
        if self.rng.random() < 0.4:
            party.national_id = self._national_id(country)
        self._address(party)
        return party

    def household(self) -> list[_Party]:
        """Two to four people at one address with one landline: different parties."""
        first = self.person()
        landline = self._phone(first.country, mobile=False)
        members = [first]
        names = {first.first_name}
        for _ in range(self.rng.randint(1, 3)):
            same_name = self.rng.random() < 0.8
            member = self.person(first.country, first.last_name if same_name else None)
            if member.first_name in names:
                continue
            names.add(member.first_name)
            member.street, member.number = first.street, first.number
            member.postcode, member.city = first.postcode, first.city
            members.append(member)
        for member in members:
            member.phones.insert(0, landline)
        return members

    def company(self) -> list[_Party]:
        """An organisation and some of its employees: all different parties."""
        country = self._country()
        words = self.rng.sample(country.company_words, 2)
        name = f"{words[0]} {words[1]} {self.rng.choice(country.legal_forms)}"
        domain = f"{ascii_fold(words[0])}-{ascii_fold(words[1])}.example"
        organisation = _Party(country=country, company=name)
        organisation.emails.append(self._email("info", domain))
        organisation.phones.append(self._phone(country, mobile=False))
        self._address(organisation)
        members = [organisation]
        names: set[tuple[str, str]] = set()
        for _ in range(self.rng.randint(0, 5)):
            employee = self.person(country)
            if (employee.first_name, employee.last_name) in names:
                continue  # two colleagues of one name are told apart by people, not data
            names.add((employee.first_name, employee.last_name))
            employee.company = name
            employee.emails = [self._email(f"{employee.first_name}.{employee.last_name}", domain)]
            employee.phones.insert(0, organisation.phones[0])
            employee.street, employee.number = organisation.street, organisation.number
            employee.postcode, employee.city = organisation.postcode, organisation.city
            employee.birth_date = None if self.rng.random() < 0.5 else employee.birth_date
            members.append(employee)
        return members

    def parties(self) -> Iterator[_Party]:
        while True:
            draw = self.rng.random()
            if draw < 0.1:
                yield from self.company()
            elif draw < 0.3:
                yield from self.household()
            else:
                yield self.person()

    # --- Damaged copies.

    def _typo(self, text: str) -> str:
        if len(text) < 4:
            return text
        at = self.rng.randrange(1, len(text) - 1)
        kind = self.rng.randrange(4)
        letter = self.rng.choice("abcdefghijklmnopqrstuvwxyz")
        if kind == 0:
            return text[:at] + text[at + 1 :]
        if kind == 1:
            return text[:at] + letter + text[at:]
        if kind == 2:
            return text[:at] + letter + text[at + 1 :]
        return text[: at - 1] + text[at] + text[at - 1] + text[at + 1 :]

    def _digit_typo(self, text: str, start: int = 0) -> str:
        """``text`` with one digit from ``start`` on replaced or swapped with its neighbour."""
        places = [i for i, c in enumerate(text) if c.isdigit() and i >= start]
        if not places:
            return text
        at = self.rng.choice(places)
        swappable = at + 1 in places and text[at] != text[at + 1]
        if swappable and self.rng.random() < 0.5:
            return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        digit = self.rng.choice([d for d in "0123456789" if d != text[at]])
        return text[:at] + digit + text[at + 1 :]

    def _phone_text(self, e164: str) -> str:
        number = phonenumbers.parse(e164)
        style = self.rng.randrange(4)
        if style == 0:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if style == 1:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if style == 2:
            return e164.replace("+", "00", 1)
        return e164

    def _date_text(self, value: date, country: Country, typo: bool) -> str:
        if typo:
            value = value.replace(day=(value.day % 28) + 1)
        return value.strftime(self.rng.choice(_DATE_FORMATS[country.code]))

    def copy(self, party: _Party, first: bool) -> dict[str, str]:
        """One record of ``party``; copies after the first are damaged."""
        rng, damage = self.rng, self.damage

        def chance(probability: float) -> bool:
            # Nothing drawn for damage that cannot happen: sets made before it existed stay the same.
            return not first and probability > 0 and rng.random() < probability

        def typed(text: str, start: int = 0) -> str:
            return self._digit_typo(text, start) if text and chance(damage.digit_typo) else text

        country = party.country
        row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        given, family = party.first_name, party.last_name
        if given and chance(damage.nickname) and given in _NICKNAMES:
            given = _NICKNAMES[given]
        if chance(damage.typo):
            given = self._typo(given)
        if chance(damage.typo):
            family = self._typo(family)
        if chance(damage.upper_case):
            given, family = given.upper(), family.upper()
        if given and chance(damage.full_name_only):
            row["name"] = rng.choice((f"{given} {family}", f"{family}, {given}"))
        elif chance(damage.swapped_names):
            row["given_name"], row["family_name"] = family, given
        else:
            row["given_name"], row["family_name"] = given, family
        row["company"] = party.company
        if party.birth_date and not chance(damage.no_birth_date):
            row["dob"] = self._date_text(party.birth_date, country, chance(damage.birth_date_typo))
        emails = (
            party.emails
            if not chance(damage.new_email)
            else [self._personal_email(party.first_name or "info", party.last_name or "contact")]
        )
        if not chance(damage.no_email):
            row["email"] = ";".join(e.upper() if chance(0.1) else e for e in emails)
        phones = party.phones if not chance(damage.new_phone) else [self._phone(country, True)]
        if not chance(damage.no_phone):
            # Past "+" and the country code (at most three digits), which nobody mistypes unnoticed.
            row["phone"] = ";".join(self._phone_text(typed(p, start=5)) for p in phones)
        if not chance(damage.no_address):
            moved = _Party(country=country)
            if chance(damage.moved):
                self._address(moved)
            else:
                moved.street, moved.number = party.street, party.number
                moved.postcode, moved.city = party.postcode, party.city
            street, number = moved.street, typed(moved.number)
            for long, short in _STREET_VARIANTS:
                if long in street and rng.random() < 0.3:
                    street = street.replace(long, short)
            if rng.random() < 0.3:
                row["street"] = (
                    f"{number} {street}"
                    if country.code in ("US", "GB", "FR")
                    else f"{street} {number}"
                )
            else:
                row["street"], row["house_number"] = street, number
            row["zip"], row["city"] = typed(moved.postcode), moved.city
        if not chance(damage.no_country):
            row["country"] = rng.choice((country.code, _COUNTRY_NAMES[country.code]))
        row["national_id"] = (
            typed(party.national_id) if party.national_id and rng.random() < 0.7 else ""
        )
        if party.customer_number and rng.random() < 0.5:
            row["customer_no"] = typed(party.customer_number)
        return row


def write_test_set(
    directory: Path, count: int, *, seed: int = 1, damage: Damage | None = None
) -> TestSet:
    """Write ``people.csv`` (about ``count`` records) and ``people.pairs.csv`` (``id_a,id_b``) to ``directory``."""
    generator = PeopleGenerator(seed, damage)
    rng = generator.rng
    rows: list[tuple[int, dict[str, str]]] = []
    numbers = generator.damage.customer_number
    for party_number, party in enumerate(generator.parties()):
        if numbers and rng.random() < numbers:
            # Distinct for each party (37 and the range are coprime), drawn from no generator.
            party.customer_number = f"{10_000_000 + party_number * 37 % 90_000_000}"
        copies = 1
        if rng.random() < DUPLICATE_SHARE:
            copies += rng.choice((1, 1, 1, 2, 2, 3))
        for index in range(copies):
            rows.append((party_number, generator.copy(party, first=index == 0)))
        if len(rows) >= count:
            break
    rng.shuffle(rows)
    width = len(str(len(rows)))
    members: dict[int, list[str]] = {}
    csv_path, pairs_path = directory / "people.csv", directory / "people.pairs.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for number, (party_number, row) in enumerate(rows, 1):
            row["id"] = f"R{number:0{width}d}"
            members.setdefault(party_number, []).append(row["id"])
            writer.writerow([row[c] for c in COLUMNS])
    true_pairs = 0
    with pairs_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("id_a", "id_b"))
        for ids in members.values():
            for a, b in itertools.combinations(sorted(ids), 2):
                writer.writerow((a, b))
                true_pairs += 1
    return TestSet(csv_path, pairs_path, len(rows), true_pairs)


@frozen
class Quality:
    """Precision, recall and F1 of found duplicate pairs against the true ones."""

    found: int
    true: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs(path: Path) -> set[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as text:
        rows = csv.reader(text)
        next(rows)
        return {(row[0], row[1]) for row in rows}


def evaluate(found_path: Path, test_set: TestSet) -> Quality:
    """How well the pairs in ``found_path`` (``id_a,id_b[,score]``) match the truth of ``test_set``."""
    found, true = _pairs(found_path), _pairs(test_set.pairs_path)
    return Quality(len(found), len(true), len(found & true))
