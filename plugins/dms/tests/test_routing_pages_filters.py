"""A page asked with a filter it does not know (a stale link, a typed address) answers with
the page and the error beside the filter, not with a JSON problem."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Dealers


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/p/dms/page/assignments?state=bogus", "state"),
        ("/p/dms/page/documents?direction=sideways", "direction"),
        ("/p/dms/page/partners/{north}?period=bogus", "period"),
    ],
)
def test_a_bad_filter_shows_the_page_with_the_error(
    client_as: Any, dealers: Dealers, url: str, field: str
) -> None:
    answer = client_as(dealers.admin).get(url.format(north=dealers.north))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in answer.text and f"{field}: expected" in answer.text
    assert "<form" in answer.text  # the filter, to choose again


def test_a_good_filter_shows_no_error(client_as: Any, dealers: Dealers) -> None:
    answer = client_as(dealers.admin).get("/p/dms/page/assignments?state=offered")
    assert answer.status_code == 200 and 'role="alert"' not in answer.text
