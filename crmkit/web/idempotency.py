"""POST handlers that honour ``Idempotency-Key``: a retried request is answered, not repeated.

The first answer (status and body) is stored with the key, the actor and a hash
of the request in the transaction that did the work; a retry with the same key
gets that answer (marked ``Idempotency-Replayed: true``) and changes nothing,
and the same key with a different request is refused (422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crmkit.core.db import Transaction
from crmkit.core.idempotency import StoredResponse, check_key, recall, remember, request_hash
from crmkit.web.context import actor_of, crm_of

HEADER = "Idempotency-Key"


async def run_post(
    request: Request,
    work: Callable[[Transaction], Any],
    *,
    status: int | Callable[[Any], int] = 200,
    location: Callable[[Any], str | None] | None = None,
) -> Response:
    """Answer a POST with ``work``'s result (one transaction with the actor), once per key.

    ``status`` may be a function of the body of the answer (an outcome chooses it);
    ``location`` makes the ``Location`` header from the body of the answer.
    """
    status_of = status if callable(status) else lambda _body: status
    crm, actor = crm_of(request), actor_of(request)
    raw_key = request.headers.get(HEADER)
    key = None if raw_key is None else check_key(raw_key)
    fingerprint = (
        "" if key is None else request_hash(request.method, request.url.path, await request.body())
    )

    def run(tx: Transaction) -> tuple[StoredResponse, bool]:
        if key is not None:
            stored = recall(tx.conn, actor, key, fingerprint)
            if stored is not None:
                return stored, True
        body = crm.converter.unstructure(work(tx))
        answer = StoredResponse(status_of(body), body)
        if key is not None:
            remember(tx, key, fingerprint, answer)
        return answer, False

    def replay(key: str) -> StoredResponse | None:
        with crm.read() as conn:
            return recall(conn, actor, key, fingerprint)

    try:
        answer, replayed = await crm.write(run, actor)
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with this key committed first; ours rolled back whole.
        stored = await anyio.to_thread.run_sync(replay, key)
        if stored is None:
            raise
        answer, replayed = stored, True
    headers = {}
    if replayed:
        headers["Idempotency-Replayed"] = "true"
    where = None if location is None or answer.status >= 300 else location(answer.body)
    if where is not None:
        headers["Location"] = where
    return JSONResponse(answer.body, answer.status, headers=headers)
