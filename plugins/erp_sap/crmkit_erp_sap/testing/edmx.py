"""The real ``API_BUSINESS_PARTNER`` metadata document the loopback server serves, and the
empty value of each property (what SAP sends for an unset field)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"


def samples_dir() -> Path:
    """The real SAP samples (EDMX, JSON answers, a $batch answer): ``CRMKIT_SAP_SAMPLES``, or
    ``shared/data/sap_odata`` beside the project checkout. They are not shipped with the
    plugin (their licence asks for attribution where they are copied)."""
    configured = os.environ.get("CRMKIT_SAP_SAMPLES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[5] / "shared" / "data" / "sap_odata"


def edmx_path() -> Path:
    return samples_dir() / "API_BUSINESS_PARTNER.edmx"


@cache
def edmx_bytes() -> bytes:
    return edmx_path().read_bytes()


@cache
def empty_entity(entity_type: str) -> dict[str, Any]:
    """Every property of ``entity_type`` with its unset value: "" for texts, null for dates,
    false for booleans, "PT00H00M00S" for times."""
    root = ET.fromstring(edmx_bytes())
    for found in root.iter(f"{EDM}EntityType"):
        if found.get("Name") == entity_type:
            return {
                prop.get("Name", ""): _unset(prop.get("Type", ""))
                for prop in found.iter(f"{EDM}Property")
            }
    raise KeyError(entity_type)


def _unset(edm_type: str) -> Any:
    if edm_type == "Edm.Boolean":
        return False
    if edm_type == "Edm.Time":
        return "PT00H00M00S"
    if edm_type in ("Edm.DateTime", "Edm.DateTimeOffset", "Edm.Guid", "Edm.Decimal"):
        return None
    return ""
