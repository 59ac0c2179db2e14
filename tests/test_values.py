"""Value objects: emails, phone numbers, postal addresses and money are validated when made."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmkit import EmailAddress, Money, PhoneNumber, PostalAddress, ValidationError
from crmkit.core.values import clean_text


def test_email_is_kept_as_given_and_normalised_for_matching() -> None:
    email = EmailAddress.parse("  Anna.Berg@Example.COM ")
    assert email.original == "Anna.Berg@Example.COM"
    assert email.normalised == "anna.berg@example.com"
    assert str(email) == "Anna.Berg@Example.COM"


def test_emails_differing_only_in_case_normalise_alike() -> None:
    assert EmailAddress.parse("JO@x.org").normalised == EmailAddress.parse("jo@X.ORG").normalised


def test_invalid_email_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        EmailAddress.parse("not-an-address", field_name="emails[1]")
    assert caught.value.field == "emails[1]"
    assert "not-an-address" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("+49 (30) 123-4567", None, "+49301234567"),
        ("0044 20 7946 0958", "DE", "+442079460958"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw: str, region: str | None, e164: str) -> None:
    assert PhoneNumber.parse(raw, region=region).e164 == e164


def test_phone_number_formats_internationally_for_people() -> None:
    assert PhoneNumber.parse("+49301234567").international() == "+49 30 1234567"


@pytest.mark.parametrize("raw", ["12", "+49 30", "call me", "030 1234567"])
def test_unparseable_or_invalid_phone_is_refused(raw: str) -> None:
    # Without a region, a national number cannot be placed in any country.
    with pytest.raises(ValidationError) as caught:
        PhoneNumber.parse(raw, field_name="phones[0]")
    assert caught.value.field == "phones[0]"


def test_postal_address_normalises_country_and_prints_on_one_line() -> None:
    address = PostalAddress(
        street="Hauptstraße", street_number="5", postcode="10115", city="Berlin", country="de"
    )
    assert address.country == "DE"
    assert address.one_line() == "Hauptstraße 5, 10115 Berlin, DE"
    assert not address.is_empty()
    assert PostalAddress(country="DE").is_empty()


def test_postal_address_refuses_unknown_country() -> None:
    with pytest.raises(ValidationError) as caught:
        PostalAddress(city="Atlantis", country="XX")
    assert caught.value.field == "country"


def test_money_is_a_decimal_with_a_currency_never_a_float() -> None:
    price = Money("19.99", "eur")
    assert price.amount == Decimal("19.99")
    assert price.currency == "EUR"
    assert Money(Decimal("1.10"), "EUR") == Money("1.10", "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "field"), [("abc", "EUR", "amount"), ("1", "EURO", "currency")]
)
def test_bad_money_names_the_field(amount: str, currency: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(amount, currency)
    assert caught.value.field == field


def test_clean_text_normalises_unicode_and_white_space() -> None:
    decomposed = "Mu\u0308ller \t  GmbH\n"
    assert clean_text(decomposed) == "Müller GmbH"


@pytest.mark.parametrize("amount", [0.1, "NaN", "Infinity", True])
def test_money_refuses_floats_and_non_finite_amounts(amount: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(amount, "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "amount"
