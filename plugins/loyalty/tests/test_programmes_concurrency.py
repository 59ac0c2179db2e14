"""Programmes created at once under one name: one is made, the others refused naming the field."""

from __future__ import annotations

import threading

from crmkit_loyalty.programmes.programmes_edit import create_programme

from crmkit import Crm, ValidationError

THREADS = 8


def test_concurrent_programmes_of_one_name_make_one_and_refuse_the_rest(crm: Crm) -> None:
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        start.wait()
        try:
            with crm.transaction() as tx:
                create_programme(tx, {"name": "Acme Rewards", "currency": "EUR"})
            outcome = "made"
        except ValidationError as refused:
            outcome = f"refused {refused.field}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["made", *["refused name"] * (THREADS - 1)]
