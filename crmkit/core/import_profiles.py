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

The kernel registers its Salesforce and HubSpot profiles through the
``register_import_profiles`` hook, as plugins register theirs.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import field, frozen

from crmkit.core.consent import CHANNELS
from crmkit.core.entities import PROSPECT_STATUSES
from crmkit.core.errors import ValidationError
from crmkit.core.external_ids import check_system

OPT_OUT_PURPOSE = "marketing"
TRUE_CELLS = frozenset({"true", "1", "yes", "y", "x"})
PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


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


def _lower(names: Mapping[str, str]) -> dict[str, str]:
    """Keys in lower case: a file's column names and a vendor's statuses are compared so."""
    return {name.lower(): value for name, value in names.items()}


@frozen
class ImportProfile:
    """The column layout of another product's export; see the module's description.

    A plugin's profile is handed to the worker processes of a large import:
    ``normalise_id`` must be a module-level function. The CRM checks each
    registered profile when it starts (:func:`check_profile`).
    """

    name: str
    """What ``--profile`` names (lower case)."""
    system: str
    """The external id system the record id is linked under (``salesforce``)."""
    columns: Mapping[str, str] = field(converter=_lower)
    """Column name (any case) -> crmkit field; ``full_name`` is a combined name."""
    key: Sequence[str] = ()
    """The record id's column names, in order of preference."""
    statuses: Mapping[str, str] = field(factory=dict, converter=_lower)
    """Vendor status (any case) -> prospect status, read from the first of ``status_columns``."""
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


SALESFORCE = ImportProfile(
    name="salesforce",
    system="salesforce",
    columns={
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
    },
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
    columns={
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
    },
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


def check_profile(profile: Any) -> None:
    """:class:`ValidationError` naming the first field of ``profile`` that cannot work."""
    if not isinstance(profile, ImportProfile):
        raise ValidationError("profile", f"expected an ImportProfile, got {type(profile).__name__}")
    if not isinstance(profile.name, str) or not PROFILE_NAME.fullmatch(profile.name):
        raise ValidationError(
            "name",
            "expected lower-case letters (a-z), digits, '_' or '-', not starting with '_' or '-'",
        )
    check_system(profile.system)
    for name in ("key", "status_columns", "deleted"):
        _check_columns(name, getattr(profile, name))
    _check_columns("columns", list(profile.columns))
    _check_columns("opt_outs", list(profile.opt_outs))
    for column, channel in profile.opt_outs.items():
        if channel not in CHANNELS:
            raise ValidationError(
                f"opt_outs[{column!r}]", f"expected a channel: one of {', '.join(CHANNELS)}"
            )
    for vendor, status in profile.statuses.items():
        if status not in PROSPECT_STATUSES:
            raise ValidationError(
                f"statuses[{vendor!r}]",
                f"expected a prospect status: one of {', '.join(PROSPECT_STATUSES)}",
            )
    if profile.statuses and not profile.status_columns:
        raise ValidationError("status_columns", "statuses are read from these columns: name one")
    if not callable(profile.normalise_id) or not _picklable(profile.normalise_id):
        given = getattr(profile.normalise_id, "__qualname__", repr(profile.normalise_id))
        raise ValidationError(
            "normalise_id",
            f"expected a module-level function, got {given}: imports hand it to worker"
            " processes, which receive only what pickle can send",
        )


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _check_columns(name: str, columns: Any) -> None:
    """Column names are a sequence of non-empty text; a lone string would be read letter by letter."""
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise ValidationError(name, "expected a tuple of column names")
    if not all(isinstance(c, str) and c.strip() for c in columns):
        raise ValidationError(name, "expected column names as non-empty text")


def import_profile(profiles: Mapping[str, ImportProfile], name: str) -> ImportProfile:
    """The profile called ``name`` among ``profiles``; :class:`ValidationError` naming ``--profile`` if none is."""
    try:
        return profiles[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(profiles)) or "none"
        raise ValidationError(
            "--profile", f"unknown profile {name!r} (profiles: {known})"
        ) from None
