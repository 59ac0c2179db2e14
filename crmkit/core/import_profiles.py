"""Import profiles: how another CRM's export columns become crmkit's fields.

A profile is data: the vendor's column names (API names and the labels report
exports use, compared without regard to case, so Data Loader's ``FIRSTNAME``
matches too) and the field each feeds, plus the vendor's quirks:

- a combined name column (``Name``, ``Full Name``) read only when the file has
  no first and last name columns, split at its last space;
- a status picklist translated into prospect statuses (values not listed are
  left out, and the prospect is ``new``);
- the record id: the import key (so a re-import skips rows already taken), and
  an external id of the vendor's system linked to the party
  (:func:`crmkit.core.external_ids.link_external_id`);
- opt-out columns recorded as withdrawn ``marketing`` consent on their channel;
- rows the vendor marks deleted, refused with the reason;

Columns the profile does not read are listed as ignored after the import, as
for any CSV file; ``--map`` options still apply on top of a profile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import field, frozen

from crmkit.core.errors import ValidationError

OPT_OUT_PURPOSE = "marketing"
TRUE_CELLS = frozenset({"true", "1", "yes", "y", "x"})


def salesforce_id(value: str) -> str:
    """A Salesforce record id in its 18-character, case-insensitive form.

    A 15-character id (as reports show them) gets its three checksum characters:
    for each 5-character chunk, bit i is set when character i is an upper-case letter.
    """
    if len(value) != 15 or not value.isalnum():
        return value
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for start in (0, 5, 10):
        chunk = value[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += alphabet[bits]
    return value + suffix


def _as_is(value: str) -> str:
    return value


@frozen
class ImportProfile:
    """The column layout of another product's export; see the module's description."""

    name: str
    system: str
    """The external id system the record id is linked under (``salesforce``)."""
    columns: Mapping[str, str]
    """Column name (any case) -> crmkit field; ``full_name`` is a combined name."""
    key: Sequence[str] = ()
    """The record id's column names, in order of preference."""
    statuses: Mapping[str, str] = field(factory=dict)
    """Vendor status (lower case) -> prospect status, read from the first of ``status_columns``."""
    status_columns: Sequence[str] = ()
    opt_outs: Mapping[str, str] = field(factory=dict)
    """Column name -> consent channel withdrawn when the cell is true."""
    deleted: Sequence[str] = ()
    """Columns that mark a record deleted in the vendor's system."""
    normalise_id: Callable[[str], str] = _as_is


@frozen
class ProfilePlan:
    """A profile matched to one file's header: column indexes of what it reads itself."""

    profile: ImportProfile
    mapping: dict[str, str]
    """Header column -> field, for :func:`crmkit.core.import_mapping.plan_columns`."""
    key: str | None
    """The record id's column, the import key."""
    key_index: int | None
    full_name: int | None
    status: int | None
    opt_outs: tuple[tuple[int, str], ...]
    deleted: tuple[int, ...]
    read: frozenset[str]
    """The header columns the profile reads itself (so none of them is reported ignored)."""

    def refusal(self, values: Sequence[str]) -> str | None:
        """Why a row is not imported at all, if it is not."""
        for i in self.deleted:
            if values[i].strip().lower() in TRUE_CELLS:
                return f"deleted in {self.profile.name}"
        return None

    def apply(self, values: Sequence[str], data: dict[str, Any], role: str) -> None:
        """Add what the profile reads itself to the row's ``data`` (as built from the mapping)."""
        names = ("first_name", "last_name", "organisation_name")
        if self.full_name is not None and not any(data.get(n) for n in names):
            first, _, last = values[self.full_name].strip().rpartition(" ")
            data.update({k: v for k, v in (("first_name", first), ("last_name", last)) if v})
        if self.status is not None and role == "prospect":  # only prospects have a status
            # The column may also be named like the field: its raw value is no status of ours.
            data.pop("status", None)
            status = self.profile.statuses.get(values[self.status].strip().lower())
            if status is not None:
                data["status"] = status

    def link(self, values: Sequence[str]) -> tuple[str, str] | None:
        """The (system, id) of the row's record in the vendor's system, if the file has ids."""
        if self.key_index is None:
            return None
        value = values[self.key_index].strip()
        return (self.profile.system, self.profile.normalise_id(value)) if value else None

    def withdrawn(self, values: Sequence[str]) -> tuple[str, ...]:
        """The channels the row opted out of."""
        return tuple(
            channel for i, channel in self.opt_outs if values[i].strip().lower() in TRUE_CELLS
        )


def plan_profile(profile: ImportProfile, header: Sequence[str]) -> ProfilePlan:
    """Match ``profile`` to ``header``: which columns it maps, and which it reads itself."""
    lower = {name.strip().lower(): i for i, name in enumerate(header)}

    def find(names: Sequence[str]) -> int | None:
        return next((lower[n.lower()] for n in names if n.lower() in lower), None)

    mapping: dict[str, str] = {}
    full_name = None
    taken: set[str] = set()
    for i, column in enumerate(header):
        target = profile.columns.get(column.strip().lower())
        if target is None:
            continue
        if target == "full_name":
            full_name = i if full_name is None else full_name
        elif target in ("emails", "phones") or target not in taken:
            # The first of several columns for one field wins (Street before Mailing Street).
            mapping[column] = target
            taken.add(target)
    key = find(profile.key)
    status = find(profile.status_columns)
    opt_outs = tuple(
        (lower[c.lower()], ch) for c, ch in profile.opt_outs.items() if c.lower() in lower
    )
    deleted = tuple(lower[c.lower()] for c in profile.deleted if c.lower() in lower)
    read = {full_name, status, *(i for i, _ in opt_outs), *deleted} - {None}
    return ProfilePlan(
        profile=profile,
        mapping=mapping,
        key=header[key].strip() if key is not None else None,
        key_index=key,
        full_name=full_name,
        status=status,
        opt_outs=opt_outs,
        deleted=deleted,
        read=frozenset(header[i] for i in read if i is not None),
    )


def _lower(columns: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): target for name, target in columns.items()}


SALESFORCE = ImportProfile(
    name="salesforce",
    system="salesforce",
    columns=_lower(
        {
            # Lead and Contact API names (Weekly Data Export, API tools, Data Loader).
            "FirstName": "first_name",
            "LastName": "last_name",
            "Name": "full_name",
            "Company": "organisation_name",
            "Email": "emails",
            "Phone": "phones",
            "MobilePhone": "phones",
            "HomePhone": "phones",
            "OtherPhone": "phones",
            "Street": "street",
            "City": "city",
            "State": "region",
            "PostalCode": "postcode",
            "Country": "country",
            "MailingStreet": "street",
            "MailingCity": "city",
            "MailingState": "region",
            "MailingPostalCode": "postcode",
            "MailingCountry": "country",
            "Birthdate": "birth_date",
            "LeadSource": "source",
            # Field labels (report and UI exports).
            "First Name": "first_name",
            "Last Name": "last_name",
            "Full Name": "full_name",
            "Account Name": "organisation_name",
            "Mobile": "phones",
            "Mobile Phone": "phones",
            "Home Phone": "phones",
            "Other Phone": "phones",
            "State/Province": "region",
            "Zip/Postal Code": "postcode",
            "Mailing Street": "street",
            "Mailing City": "city",
            "Mailing State/Province": "region",
            "Mailing Zip/Postal Code": "postcode",
            "Mailing Country": "country",
            "Lead Source": "source",
        }
    ),
    key=("Id", "Lead ID", "Contact ID"),
    statuses={
        "open - not contacted": "new",
        "working - contacted": "working",
        "closed - converted": "qualified",
        "closed - not converted": "disqualified",
    },
    status_columns=("Status", "Lead Status"),
    opt_outs={
        "HasOptedOutOfEmail": "email",
        "Email Opt Out": "email",
        "DoNotCall": "phone",
        "Do Not Call": "phone",
    },
    deleted=("IsDeleted", "Deleted"),
    normalise_id=salesforce_id,
)

HUBSPOT = ImportProfile(
    name="hubspot",
    system="hubspot",
    columns=_lower(
        {
            # Internal property names.
            "firstname": "first_name",
            "lastname": "last_name",
            "email": "emails",
            "phone": "phones",
            "mobilephone": "phones",
            "company": "organisation_name",
            "address": "street",
            "city": "city",
            "state": "region",
            "zip": "postcode",
            "country": "country",
            # Export and import labels.
            "First Name": "first_name",
            "Last Name": "last_name",
            "Phone Number": "phones",
            "Mobile Phone Number": "phones",
            "Company Name": "organisation_name",
            "Street Address": "street",
            "State/Region": "region",
            "Postal Code": "postcode",
            "Country/Region": "country",
        }
    ),
    key=("Record ID", "hs_object_id"),
    statuses={
        # Lifecycle stages, by label and by internal value; customers and evangelists
        # are no prospects' stage, so they keep the default status.
        "subscriber": "new",
        "lead": "new",
        "marketing qualified lead": "qualified",
        "marketingqualifiedlead": "qualified",
        "sales qualified lead": "qualified",
        "salesqualifiedlead": "qualified",
        "opportunity": "qualified",
    },
    status_columns=("Lifecycle Stage", "lifecyclestage"),
)

PROFILES: dict[str, ImportProfile] = {p.name: p for p in (SALESFORCE, HUBSPOT)}
"""The profiles ``crmkit import --profile`` knows, by name."""


def import_profile(name: str) -> ImportProfile:
    """The profile called ``name``; :class:`ValidationError` naming ``--profile`` if none is."""
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValidationError(
            "--profile", f"unknown profile {name!r} (profiles: {known})"
        ) from None
