"""The SMS gateway: Twilio's Messages API (or one shaped like it) over one reused HTTP connection.

``POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`` with the form
fields ``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` and ``StatusCallback``,
authenticated with HTTP basic auth. The answer places a failure:

- 2xx with a ``sid``: accepted (``sent``), the SID kept for the status callbacks;
- 429, 5xx, 401 (the credentials: the same for every message), or no connection:
  the gateway did not take it, tried again later;
- any other 4xx (21211: not a valid number, 21610: the recipient replied STOP):
  refused for good;
- a connection lost after the request went out: the gateway may have it (``unknown``).
"""

from __future__ import annotations

from typing import Any

import httpx

from crmkit_channels.handover import Handover
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.sms_status import callback_url

RETRIED_STATUSES = frozenset({401, 429})


def _error(response: httpx.Response) -> str:
    """``HTTP 400, code 21211: The 'To' number … is not a valid phone number.``"""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and ("code" in data or "message" in data):
        text = f"HTTP {response.status_code}, code {data.get('code')}: {data.get('message')}"
    else:
        text = f"HTTP {response.status_code}: {response.text[:300]}"
    return text[:1000]


class Gateway:
    """An HTTP client of the Messages API that keeps its connection for the next message."""

    def __init__(self, settings: ChannelsSettings) -> None:
        self.settings = settings
        sms = settings.sms
        self.path = f"/2010-04-01/Accounts/{sms.account_sid}/Messages.json"
        self._client = httpx.Client(
            base_url=sms.base_url,
            auth=(sms.account_sid, sms.auth_token),
            timeout=sms.timeout,
            headers={"Accept": "application/json"},
        )

    def _form(self, row: Any) -> dict[str, str]:
        sms = self.settings.sms
        form = {
            "To": row.recipient,
            "Body": row.body,
            "StatusCallback": callback_url(self.settings, row.id),
        }
        if sms.messaging_service_sid:
            form["MessagingServiceSid"] = sms.messaging_service_sid
        else:
            form["From"] = sms.from_number or ""
        return form

    def hand_over(self, row: Any) -> Handover:
        """Send one SMS of the outbox; never raises for what the gateway or the network does."""
        try:
            response = self._client.post(self.path, data=self._form(row))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return Handover(
                "retry", f"cannot reach the gateway: {type(exc).__name__}: {exc}"[:1000]
            )
        except httpx.TransportError as exc:
            # The request may have reached the gateway before the connection broke.
            return Handover("unknown", f"{type(exc).__name__} after the request: {exc}"[:1000])
        status = response.status_code
        if 200 <= status < 300:
            try:
                sid = response.json().get("sid")
            except (ValueError, AttributeError):
                sid = None
            if not isinstance(sid, str) or not sid:
                return Handover("unknown", f"HTTP {status} without a message sid")
            return Handover("sent", receipt=sid)
        if status in RETRIED_STATUSES or status >= 500:
            return Handover("retry", _error(response))
        return Handover("failed", _error(response))

    def close(self) -> None:
        self._client.close()
