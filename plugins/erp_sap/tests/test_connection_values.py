"""OData V2 JSON values to Python values, and back for filters."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from crmkit_erp_sap.connection import values
from crmkit_erp_sap.connection.values import BadValue
from crmkit_erp_sap.testing import samples_dir

SAMPLE = samples_dir() / "A_BusinessPartner_1003764_expand_to_BusinessPartnerAddress.json"


def test_the_dates_and_times_of_a_real_sap_answer() -> None:
    partner = json.loads(SAMPLE.read_text())["d"]
    address = partner["to_BusinessPartnerAddress"]["results"][0]

    assert values.to_date("CreationDate", partner["CreationDate"]) == date(2018, 2, 12)
    assert values.to_time("CreationTime", partner["CreationTime"]) == time(17, 49, 5)
    assert values.to_datetime("LastChangeDate", partner["LastChangeDate"]) is None
    assert values.to_datetime("ValidityEndDate", address["ValidityEndDate"]) == datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    assert values.to_bool("BusinessPartnerIsBlocked", partner["BusinessPartnerIsBlocked"]) is False


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("/Date(1518393600000)/", datetime(2018, 2, 12, tzinfo=UTC)),
        ("/Date(1518393600000+0000)/", datetime(2018, 2, 12, tzinfo=UTC)),
        ("/Date(1518393600000+0060)/", datetime(2018, 2, 11, 23, 0, tzinfo=UTC)),
        ("/Date(1518393600000-0120)/", datetime(2018, 2, 12, 2, 0, tzinfo=UTC)),
        ("/Date(-86400000)/", datetime(1969, 12, 31, tzinfo=UTC)),
    ],
)
def test_a_date_with_or_without_an_offset_is_an_aware_utc_instant(
    text: str, instant: datetime
) -> None:
    converted = values.to_datetime("CreationDate", text)

    assert converted == instant
    assert converted is not None and converted.utcoffset() is not None


@pytest.mark.parametrize(
    ("convert", "value"),
    [
        (values.to_datetime, "2018-02-12"),
        (values.to_datetime, "/Date(yesterday)/"),
        (values.to_datetime, 1518393600000),
        (values.to_datetime, "/Date(999999999999999)/"),
        (values.to_time, "17:49:05"),
        (values.to_time, "PT25H00M00S"),
        (values.to_time, "PT"),
        (values.to_decimal, "12,50"),
        (values.to_decimal, "NaN"),
        (values.to_decimal, 1.5),
        (values.to_bool, "X"),
        (values.to_int, "4.2"),
        (values.to_text, 12),
    ],
)
def test_a_malformed_value_names_its_property_and_value(convert: Any, value: Any) -> None:
    with pytest.raises(BadValue) as raised:
        convert("Prop", value)

    assert raised.value.property == "Prop"
    assert raised.value.value == value
    assert "Prop" in str(raised.value)


def test_decimals_keep_every_digit_and_texts_their_maximum_length() -> None:
    assert values.to_decimal("NetAmount", "1234567890.123456789") == Decimal("1234567890.123456789")
    assert values.to_int("Count", "9007199254740993") == 9007199254740993
    assert values.to_text("Region", "BE", 3) == "BE"
    with pytest.raises(BadValue, match="longer than 3"):
        values.to_text("Region", "BERLIN", 3)


def test_the_split_change_stamp_is_one_instant() -> None:
    assert values.changed_at(
        "LastChangeDate", "/Date(1518393600000)/", "LastChangeTime", "PT17H49M05S"
    ) == datetime(2018, 2, 12, 17, 49, 5, tzinfo=UTC)
    assert values.changed_at("LastChangeDate", None, "LastChangeTime", "PT00H00M00S") is None


def test_values_written_back_read_the_same() -> None:
    moment = datetime(2026, 3, 1, 8, 30, 15, tzinfo=UTC)

    assert values.to_datetime("D", values.json_date(moment)) == moment
    assert values.to_date("D", values.json_date(moment.date())) == moment.date()
    assert values.to_time("T", values.json_time(moment.time())) == moment.time()
    assert values.odata_datetime(moment) == "datetime'2026-03-01T08:30:15'"
    assert values.odata_datetime(moment.date()) == "datetime'2026-03-01T00:00:00'"
    assert values.odata_time(moment.time()) == "time'PT08H30M15S'"
