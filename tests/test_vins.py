"""VIN checks: length, alphabet, the check digit where the market requires it, model year."""

from __future__ import annotations

import pytest

from crmkit import ValidationError, read_vin, vin_check_digit

# NHTSA's own example in 49 CFR 565 and well-known real VINs.
NHTSA_EXAMPLE = "1M8GDM9AXKP042788"
TESLA_2018 = "5YJ3E1EA2JF000316"
GOLF_1999 = "WVWZZZ1JZXW000001"


def test_a_north_american_vin_is_read() -> None:
    vin = read_vin("vin", " 1m8gdm9a-xkp042788 ")
    assert vin.text == NHTSA_EXAMPLE
    assert (vin.wmi, vin.region, vin.country) == ("1M8", "North America", "US")
    assert vin.model_year == 1989  # K, with a digit at position 7: the 1980-2009 cycle
    assert vin.check_digit_ok


def test_position_7_tells_the_model_year_cycles_apart() -> None:
    assert vin_check_digit(TESLA_2018) == TESLA_2018[8]
    assert read_vin("vin", TESLA_2018).model_year == 2018  # J with a letter at position 7


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1M8GDM9AXKP04278", "17 characters, not 16"),
        ("1M8GDM9AXKP0427888", "17 characters, not 18"),
        ("1M8GDM9AXKPO42788", "no 'O'"),
        ("IM8GDM9AXKP042788", "no 'I'"),
        ("1M8GDM9AXKP04278é", r"no 'É' \(only digits and the letters A-Z but I, O, Q\)"),
        ("1M8GDM9A1KP042788", "check digit"),
    ],
)
def test_a_wrong_vin_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as refused:
        read_vin("chassis", text)
    assert refused.value.field == "chassis"


def test_the_check_digit_is_enforced_only_in_the_markets_named() -> None:
    vin = read_vin("vin", GOLF_1999)  # a European car: position 9 is no check digit there
    assert not vin.check_digit_ok and vin.region == "Europe" and vin.model_year == 1999
    with pytest.raises(ValidationError, match="check digit"):
        read_vin("vin", GOLF_1999, market="us")
    # A US-built car sold in Germany, where the settings do not require the digit.
    assert read_vin("vin", "1M8GDM9A1KP042788", market="DE").check_digit_ok is False
    with pytest.raises(ValidationError, match="check digit"):
        read_vin("vin", GOLF_1999, market="DE", check_digit_markets=("DE",))


def test_what_is_not_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="expected text"):
        read_vin("vin", 12345678901234567)
