"""What goes wrong when talking to SAP."""

from __future__ import annotations


class SapUnavailable(Exception):
    """SAP did not answer usefully after the retries (429, 503, dropped connections).

    ``maybe_applied`` is True when a write was sent and its answer lost: SAP may have
    carried it out, so the caller reads back before sending it again.
    """

    def __init__(self, status: int | None, reason: str, *, maybe_applied: bool = False) -> None:
        super().__init__(f"SAP unavailable ({status or 'no answer'}): {reason}")
        self.status = status
        self.reason = reason
        self.maybe_applied = maybe_applied


class SapError(Exception):
    """SAP refused the call (a 4xx or 5xx that retrying does not cure), with SAP's message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"SAP answered {status} {code}: {message}".replace("  ", " "))
        self.status = status
        self.code = code
        self.message = message


class PagingLoop(SapError):
    """The server's ``__next`` links lead back to a page already read: the collection never ends."""

    def __init__(self, url: str) -> None:
        super().__init__(200, "PAGING_LOOP", f"the next-page link {url} was already followed")
        self.url = url
