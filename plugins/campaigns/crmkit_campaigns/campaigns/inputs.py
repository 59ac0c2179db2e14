"""Reading untrusted campaign input, each refusal naming its field (``variants[1].split``)."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from crmkit import ValidationError, read_text

KEYWORD = re.compile(r"[a-z][a-z0-9-]{0,49}")
"""A consent purpose, as the channels plugin takes it."""
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD
    MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 - a table of codes, read as text
)
"""The ISO 4217 codes of currencies in use (list one, 2025), without the precious metals,
bond units and the codes for testing and for no currency. Python has no such list built in."""


def required_text(name: str, value: Any, *, limit: int) -> str:
    """Text that must be given: see ``crmkit.read_text``."""
    found = read_text(name, value, limit=limit, required=True)
    assert found is not None  # read_text refused a blank one
    return found


def purpose(name: str, value: Any) -> str:
    """A consent purpose: a lower-case name such as ``newsletter``."""
    if not isinstance(value, str) or KEYWORD.fullmatch(value) is None:
        raise ValidationError(name, "expected a lower-case name such as newsletter or marketing")
    return value


def clock(name: str, value: Any) -> str:
    """A time of day written ``HH:MM`` (24 hours)."""
    if not isinstance(value, str) or CLOCK.fullmatch(value) is None:
        raise ValidationError(name, "expected a time of day HH:MM, e.g. 21:00")
    return value


def time_of(clock_text: str) -> time:
    """The time of day of a checked ``HH:MM``."""
    hours, minutes = clock_text.split(":")
    return time(int(hours), int(minutes))


def currency(name: str, value: Any) -> str:
    """An ISO 4217 currency code such as ``EUR``."""
    if not isinstance(value, str) or value not in ISO_4217:
        raise ValidationError(name, "expected an ISO 4217 currency code such as EUR")
    return value
