"""$batch bodies: the parser reads a real SAP Gateway answer, and what we build round-trips."""

from __future__ import annotations

import json

import pytest
from crmkit_erp_sap.orders.batch import (
    Answer,
    BadBatch,
    Create,
    build_answers,
    build_creates,
    http_messages,
    parse_batch,
)
from crmkit_erp_sap.testing import samples_dir

SAMPLE = samples_dir() / "pyodata_tests_enormous_batch_response.multipart"


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared/data is not here")
def test_the_real_enormous_batch_response_parses_to_one_200_with_its_json() -> None:
    body = SAMPLE.read_bytes()

    [[answer]] = parse_batch(body, "multipart/mixed; boundary=16804F9C063D8720EACA19F7DFB3CD4A0")

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["dataserviceversion"] == "2.0"
    rows = answer.json()["d"]["results"]
    assert len(rows) == 1016
    assert rows[0]["EntityType"] == "olrpbqwncfwb"


def test_creates_go_one_per_change_set_and_read_back_as_sent() -> None:
    orders = [{"SoldToParty": "1", "to_Item": [{"Material": "Ä-1"}]}, {"SoldToParty": "2"}]
    body, boundary = build_creates([Create("A_SalesOrder", order) for order in orders])

    groups = http_messages(body, f"multipart/mixed; boundary={boundary}")

    assert len(groups) == 2
    for [raw], order in zip(groups, orders, strict=True):
        head, _, payload = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"POST A_SalesOrder HTTP/1.1\r\n")
        assert json.loads(payload) == order


def test_answers_round_trip_committed_and_refused_change_sets() -> None:
    created = Answer(201, {"Content-Type": "application/json"}, b'{"d":{"SalesOrder":"7"}}')
    refused = Answer(400, {}, b'{"error":{"code":"V1/302","message":{"value":"No items"}}}')
    body, boundary = build_answers([[created], [refused]])

    [[first], [second]] = parse_batch(body, f"multipart/mixed; boundary={boundary}")

    assert (first.status, first.json()) == (201, {"d": {"SalesOrder": "7"}})
    assert (second.status, second.error_message()) == (400, "No items")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"d": {}}', "application/json"),
        (
            b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n",
            "multipart/mixed; boundary=b",
        ),
        (
            b"--b\r\nContent-Type: application/http\r\n\r\nnot http at all\r\n--b--\r\n",
            "multipart/mixed; boundary=b",
        ),
    ],
)
def test_what_is_not_a_batch_answer_is_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(BadBatch):
        parse_batch(body, content_type)
