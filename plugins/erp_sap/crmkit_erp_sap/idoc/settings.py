"""``[plugins.erp_sap.idoc]``."""

from __future__ import annotations

from attrs import field, frozen
from attrs.validators import ge


@frozen
class IdocSettings:
    """How the idoc part behaves: the folders it watches and files into, the SAP system its files
    come from; off while ``inbox`` is empty."""

    inbox: str = ""
    """Folder SAP (or its middleware) drops IDoc XML files into; empty: the part is off."""
    done: str = ""
    """Where imported files go; empty: ``<inbox>/done``."""
    failed: str = ""
    """Where refused files go; empty: ``<inbox>/failed``."""
    system: str = ""
    """The SAP system id the files come from (``S4P``; parties are linked through its external
    ids); empty: the only system of ``[plugins.erp_sap.connection.systems]``."""
    max_file_bytes: int = field(default=50_000_000, validator=[ge(1)])
    """A larger file is refused unread."""
