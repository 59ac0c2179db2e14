"""A service's metadata document (EDMX): the types of each entity type's properties.

Read with lxml rather than pyodata: pyodata installs a top-level ``tests`` package that
shadows crmkit's own ``tests`` (``from tests import live_server``) in the kernel's test
suite. The parser resolves no entities and reaches no network, so a hostile ``$metadata``
cannot expand or fetch anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import frozen
from lxml import etree

from crmkit_erp_sap.connection import values
from crmkit_erp_sap.connection.values import BadValue

_EDM = "http://schemas.microsoft.com/ado/2008/09/edm"
_SAP = "http://www.sap.com/Protocols/SAPData"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


@frozen
class Property:
    name: str
    edm_type: str
    max_length: int | None
    nullable: bool
    date_only: bool
    """``sap:display-format="Date"``: an Edm.DateTime that is a calendar day."""


@frozen
class EntityType:
    name: str
    keys: tuple[str, ...]
    properties: Mapping[str, Property]
    navigations: Mapping[str, tuple[str, bool]]
    """Navigation property -> (target entity type, whether it leads to many)."""


@frozen
class ServiceMetadata:
    namespace: str
    entity_types: Mapping[str, EntityType]
    entity_sets: Mapping[str, str]
    """Entity set -> its entity type."""

    def of_set(self, entity_set: str) -> EntityType:
        return self.entity_types[self.entity_sets[entity_set]]

    def convert(
        self, entity_type: str, row: Mapping[str, Any], only: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """``row`` with its values as Python values (``only`` those properties when given),
        expanded navigations converted too; ``BadValue`` for the first malformed value."""
        described = self.entity_types[entity_type]
        converted: dict[str, Any] = {}
        for name in only if only is not None else row:
            if name not in row:
                continue
            value = row[name]
            prop = described.properties.get(name)
            if prop is not None:
                converted[name] = convert_value(prop, value)
            elif name in described.navigations:
                target, many = described.navigations[name]
                converted[name] = self._navigation(target, many, value)
            elif not name.startswith("__"):
                converted[name] = value  # an extension field the metadata does not describe
        return converted

    def _navigation(self, target: str, many: bool, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict) and "__deferred" in value:
            return None
        if many:
            rows = value.get("results") if isinstance(value, dict) else value
            if not isinstance(rows, list):
                raise BadValue(target, value, "not a collection")
            return [self.convert(target, row) for row in rows]
        if not isinstance(value, dict):
            raise BadValue(target, value, "not an entity")
        return self.convert(target, value)


_CONVERTERS: dict[str, Callable[[str, Any], Any]] = {
    "Edm.DateTime": values.to_datetime,
    "Edm.DateTimeOffset": values.to_datetime,
    "Edm.Time": values.to_time,
    "Edm.Decimal": values.to_decimal,
    "Edm.Boolean": values.to_bool,
    "Edm.Byte": values.to_int,
    "Edm.Int16": values.to_int,
    "Edm.Int32": values.to_int,
    "Edm.Int64": values.to_int,
}


def convert_value(prop: Property, value: Any) -> Any:
    """One value of ``prop`` as a Python value; ``BadValue`` when it does not fit."""
    if prop.edm_type == "Edm.DateTime" and prop.date_only:
        return values.to_date(prop.name, value)
    convert = _CONVERTERS.get(prop.edm_type)
    if convert is not None:
        return convert(prop.name, value)
    return values.to_text(prop.name, value, prop.max_length)


def read_metadata(document: bytes) -> ServiceMetadata:
    """The entity types and sets of an OData V2 metadata document."""
    try:
        root = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"not a metadata document: {error}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise ValueError("not a metadata document: it declares a DTD (entities are refused)")
    schemas = root.findall(f".//{{{_EDM}}}Schema")
    if not schemas:
        raise ValueError("not a metadata document: no Schema")
    namespace = schemas[0].get("Namespace", "")
    ends: dict[tuple[str, str], tuple[str, bool]] = {}
    for schema in schemas:
        prefix = schema.get("Namespace", "")
        for association in schema.iter(f"{{{_EDM}}}Association"):
            for end in association.iter(f"{{{_EDM}}}End"):
                target = end.get("Type", "").rpartition(".")[2]
                ends[(f"{prefix}.{association.get('Name')}", end.get("Role", ""))] = (
                    target,
                    end.get("Multiplicity") == "*",
                )
    types: dict[str, EntityType] = {}
    sets: dict[str, str] = {}
    for schema in schemas:
        for found in schema.iter(f"{{{_EDM}}}EntityType"):
            name = found.get("Name", "")
            types[name] = EntityType(
                name=name,
                keys=tuple(ref.get("Name", "") for ref in found.iter(f"{{{_EDM}}}PropertyRef")),
                properties={
                    prop.name: prop for prop in map(_property, found.iter(f"{{{_EDM}}}Property"))
                },
                navigations={
                    nav.get("Name", ""): ends.get(
                        (nav.get("Relationship", ""), nav.get("ToRole", "")), ("", False)
                    )
                    for nav in found.iter(f"{{{_EDM}}}NavigationProperty")
                },
            )
        for entity_set in schema.iter(f"{{{_EDM}}}EntitySet"):
            sets[entity_set.get("Name", "")] = entity_set.get("EntityType", "").rpartition(".")[2]
    return ServiceMetadata(namespace=namespace, entity_types=types, entity_sets=sets)


def _property(element: Any) -> Property:
    length = element.get("MaxLength")
    return Property(
        name=element.get("Name", ""),
        edm_type=element.get("Type", ""),
        max_length=int(length) if length and length.isdigit() else None,
        nullable=element.get("Nullable", "true") != "false",
        date_only=element.get(f"{{{_SAP}}}display-format") == "Date",
    )
