"""What a VIN says of itself: refusals that name what is wrong, and the model year of a
North American VIN from its position 10."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Staff

ACCORD_2003 = "1HGCM82633A004352"  # position 10 '3', position 7 a digit: 2003
GOLF = "WVWZZZ1KZAW000001"  # European: position 10 is no reliable year code


def test_a_vin_with_a_letter_outside_the_alphabet_says_so(client_as: Any, staff: Staff) -> None:
    answer = client_as(staff.admin).put("/p/dms/vehicles", json={"vin": "WVWZZZ1KZAW00000é"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "vin"
    assert "no 'É' (only digits and the letters A-Z but I, O, Q)" in answer.json()["detail"]


@pytest.mark.parametrize(("given", "stored"), [(None, 2003), (2003, 2003)])
def test_a_north_american_vin_gives_its_model_year(
    client_as: Any, staff: Staff, given: int | None, stored: int
) -> None:
    body: dict[str, Any] = {"vin": ACCORD_2003, "make": "Honda"}
    if given is not None:
        body["model_year"] = given
    answer = client_as(staff.admin).put("/p/dms/vehicles", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model_year"] == stored


def test_a_model_year_the_vin_contradicts_is_refused(client_as: Any, staff: Staff) -> None:
    admin = client_as(staff.admin)
    answer = admin.put("/p/dms/vehicles", json={"vin": ACCORD_2003, "model_year": 2020})
    assert (answer.status_code, answer.json()["field"]) == (422, "model_year")
    assert "2003 (position 10)" in answer.json()["detail"]
    assert admin.get(f"/p/dms/vehicles?vin={ACCORD_2003}").json()["items"] == []


def test_a_european_vin_keeps_the_year_given(client_as: Any, staff: Staff) -> None:
    answer = client_as(staff.admin).put("/p/dms/vehicles", json={"vin": GOLF, "model_year": 2010})
    assert answer.status_code == 200, answer.text
    assert answer.json()["model_year"] == 2010
