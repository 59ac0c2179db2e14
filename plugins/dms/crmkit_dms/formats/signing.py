"""How a sender of ADF or STAR signs: ``X-Dms-Source`` names it, ``X-Hub-Signature-256`` is the
HMAC-SHA256 of the body with that source's secret (``[plugins.dms.formats] sources``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen
from starlette.requests import Request

from crmkit import ConfigurationError
from crmkit.web import HubSignature, Param, SignatureMissing, Signed

if TYPE_CHECKING:
    from crmkit import Crm

SOURCE_HEADER = "X-Dms-Source"


def source_of(request: Request) -> str:
    """The sender a verified request came from."""
    return request.headers[SOURCE_HEADER]


@frozen
class SourceSignature:
    """HubSignature with the secret of the source the request names."""

    signs_ids: ClassVar[bool] = False
    has_secret: ClassVar[bool] = True
    parameters: ClassVar[tuple[Param, ...]] = (
        Param(
            SOURCE_HEADER,
            str,
            "The sender, as named in the CRM's settings",
            required=True,
            location="header",
        ),
        *HubSignature.parameters,
    )

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        sources: dict[str, str] = crm.settings_of["dms"].formats.sources
        if not sources:
            raise ConfigurationError("dms.formats.sources", "no source is configured")
        source = request.headers.get(SOURCE_HEADER, "")
        if source not in sources:
            raise SignatureMissing(SOURCE_HEADER, "not a source this CRM knows")
        return HubSignature(lambda _: sources[source]).verify(crm, request, body, now)
