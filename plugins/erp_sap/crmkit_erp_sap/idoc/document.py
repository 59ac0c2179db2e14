"""IDoc XML read safely into segments: the layout of docs/idoc.md, nothing else.

defusedxml reads it, with DTDs forbidden: a document that declares a DOCTYPE at all is refused
the moment the declaration starts, before any entity is defined, expanded or fetched. An IDoc
has no DOCTYPE; the only reason to send one is an entity trick (a "billion laughs" bomb, an
external entity reading a local file or a URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from attrs import frozen
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from crmkit import ValidationError

CONTROL = "EDI_DC40"


@frozen
class Segment:
    """A segment: its type (``E1KNA1M``), its fields by name, its child segments in order."""

    name: str
    fields: dict[str, str]
    children: tuple[Segment, ...] = ()

    def get(self, name: str) -> str:
        """The field's value, stripped; "" when absent or empty."""
        return self.fields.get(name, "")

    def each(self, name: str) -> Iterator[Segment]:
        """The child segments of type ``name``."""
        return (child for child in self.children if child.name == name)

    def first(self, name: str) -> Segment | None:
        """The first child segment of type ``name``, if any."""
        return next(self.each(name), None)


@frozen
class Idoc:
    """One ``<IDOC BEGIN="1">``: its control record and its data segments."""

    control: Segment
    segments: Segment
    """A segment named ``IDOC`` holding the data segments as children."""

    @property
    def docnum(self) -> str:
        return self.control.get("DOCNUM")

    @property
    def message_type(self) -> str:
        return self.control.get("MESTYP")

    @property
    def idoc_type(self) -> str:
        return self.control.get("IDOCTYP")

    @property
    def kind(self) -> str:
        """What the IDoc is: its message type (MESTYP), else its basic type (IDOCTYP)."""
        return self.message_type or self.idoc_type


def _local(tag: str) -> str:
    # "{urn:namespace}ORDERS05" and "ORDERS05" alike: middleware may put the root in a namespace.
    return tag.rsplit("}", 1)[-1]


def _segment(element: Element) -> Segment:
    fields: dict[str, str] = {}
    children: list[Segment] = []
    for child in element:
        name = _local(child.tag)
        if child.get("SEGMENT") is not None or len(child):
            children.append(_segment(child))
        else:
            fields[name] = (child.text or "").strip()
    return Segment(_local(element.tag), fields, tuple(children))


MAX_DEPTH = 64
"""Elements nested deeper are refused: SAP's IDoc segments nest about ten deep, and reading
a file nested thousands deep would exhaust the reader's stack."""


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValidationError("file", f"elements nested deeper than {MAX_DEPTH}: not an IDoc")
        stack.extend((child, depth + 1) for child in element)


def read_idocs(content: bytes) -> tuple[str, list[Idoc]]:
    """The root's basic type and the IDocs of an IDoc XML file; :class:`ValidationError`
    naming ``file`` when it is not one (malformed, a DOCTYPE, no IDOC, no control record)."""
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise ValidationError(
            "file", "a DOCTYPE is not accepted in an IDoc (entities are refused)"
        ) from None
    except ParseError as exc:
        raise ValidationError("file", f"not well-formed XML: {exc}") from None
    _check_depth(root)
    idocs = []
    for position, block in enumerate((e for e in root if _local(e.tag) == "IDOC"), start=1):
        segment = _segment(block)
        control = segment.first(CONTROL)
        if control is None:
            raise ValidationError("file", f"IDOC {position} has no {CONTROL} control record")
        data = tuple(child for child in segment.children if child.name != CONTROL)
        idocs.append(Idoc(control, Segment("IDOC", {}, data)))
    if not idocs:
        raise ValidationError("file", f"no <IDOC> in the document (root <{_local(root.tag)}>)")
    return _local(root.tag), idocs
