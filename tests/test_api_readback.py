"""The read-back promise the API property tests hold writes to (tests.api_readback).

A value stored otherwise than it was answered or sent is caught; a value the
documented normalisation changed (E.164, trimmed text, UTC, "10" as "10.00")
is not a false alarm.
"""

from __future__ import annotations

from typing import Any

from tests.api_readback import read_back_problems


def spec(pointer: str = "") -> dict[str, Any]:
    """POST /notes linking its answer (the note at ``pointer``) to GET /notes/{note_id}."""
    read = {
        "operationId": "read_note",
        "parameters": {"path.note_id": f"$response.body#{pointer}/id"},
    }
    return {
        "paths": {
            "/notes": {
                "post": {
                    "operationId": "create_note",
                    "responses": {"201": {"links": {"read_note": read}}},
                }
            },
            "/notes/{note_id}": {
                "get": {"operationId": "read_note", "responses": {}},
                "delete": {"operationId": "delete_note", "responses": {}},
            },
        }
    }


def check(
    sent: Any, answer: Any, stored: Any, status: int = 201, pointer: str = "", **options: Any
) -> list[str]:
    def get(url: str) -> tuple[int, Any]:
        assert url == "/notes/7"
        return (200, stored) if stored is not None else (404, None)

    method, path = ("delete", "/notes/{note_id}") if status == 204 else ("post", "/notes")
    found = read_back_problems(
        spec(pointer),
        method,
        path,
        status,
        sent,
        answer,
        get,
        path_parameters={"note_id": 7},
        region="DE",
        **options,
    )
    return [str(m) for m in found]


def test_a_value_stored_otherwise_than_answered_and_sent_is_caught():
    answer = {"id": 7, "text": "Call Anna back on Monday", "version": 1}
    stored = {"id": 7, "text": "Call Anna back on Mond", "version": 1}

    found = check({"text": "Call Anna back on Monday"}, answer, stored)

    assert found == [
        'answered vs GET /notes/{note_id}: text: answered "Call Anna back on Monday", '
        'read "Call Anna back on Mond"',
        'sent vs GET /notes/{note_id}: text: sent "Call Anna back on Monday", '
        'read "Call Anna back on Mond"',
    ]


def test_what_the_documented_normalisation_makes_of_a_value_reads_back_equal():
    sent = {
        "last_name": "  Anna   Müller ",
        "city": "BERLIN",
        "phones": ["030 901820", "+49 30 901820", "+44 20 7946 0958"],
        "emails": [" anna@example.com ", "ANNA@example.com"],
        "territory": " de-10",
        "occurred_at": "2024-05-01T12:00:00+02:00",
        "amount": "10",
        "custom": {"colour": "red", "gone": None},
        "version": 3,
        "merged_id": 9,
    }
    stored = {
        "id": 7,
        "last_name": "Anna Müller",
        "city": "Berlin",
        "phones": ["+4930901820", "+442079460958"],
        "emails": ["anna@example.com"],
        "territory": "DE-10",
        "occurred_at": "2024-05-01T10:00:00+00:00",
        "amount": "10.00",
        "custom": {"colour": "red"},
        "version": 4,
    }

    assert check(sent, stored, stored) == []


def test_a_value_a_finding_names_may_be_dropped_but_no_other():
    answer = {
        "outcome": "created",
        "party": {"id": 7, "phones": ["+4930901820"]},
        "findings": [{"code": "phone_invalid", "field": "phones[0]"}],
    }
    stored = answer["party"]

    kept = check({"phones": ["12", "030 901820"]}, answer, stored, pointer="/party")
    lost = check(
        {"phones": ["12", "030 901820", "0044 20 7946 0958"]}, answer, stored, pointer="/party"
    )

    assert kept == []
    assert lost == [
        'sent vs GET /notes/{note_id}: phones: sent ["12", "030 901820", "0044 20 7946 0958"], '
        'read ["+4930901820"]'
    ]


def test_a_replayed_answer_is_the_first_requests_as_it_was_then():
    answer = {"id": 7, "text": "first", "version": 1}
    # Changed since the first request (archived, say): the replay still answers as then.
    stored = {"id": 7, "text": "first", "version": 2, "active": False}

    assert check({"text": "second"}, answer, stored, replayed=True) == []
    assert check({"text": "second"}, answer, answer) != []
    assert check({"text": "first"}, answer, stored) != []


def test_a_record_deleted_with_204_must_be_gone():
    assert check(None, None, None, status=204) == []
    assert check(None, None, {"id": 7}, status=204) == [
        "GET /notes/{note_id}: : answered 200 after a DELETE answered 204"
    ]
