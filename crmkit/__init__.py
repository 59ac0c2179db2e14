"""crmkit: a plugin-based, extensible CRM framework.

The public API for plugins is this module, :mod:`crmkit.web` (for route handlers)
and :mod:`crmkit.testing`; everything else is internal and may change without notice.
"""

from __future__ import annotations

from crmkit.app import Crm
from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.audit import AuditEntry
from crmkit.core.audit import history as audit_history
from crmkit.core.audit import record as record_audit
from crmkit.core.bulk import allocate_ids, bulk_insert
from crmkit.core.bulk_parties import PartyUpdate, create_parties, update_parties
from crmkit.core.consent import (
    Consent,
    consenting,
    consents_of,
    consents_of_parties,
    record_consent,
)
from crmkit.core.csv_cells import csv_cell
from crmkit.core.custom_fields import CustomField, check_custom
from crmkit.core.db import Transaction
from crmkit.core.entities import Customer, Interaction, Party, Prospect, RecordRef, User
from crmkit.core.errors import (
    ConfigurationError,
    ConflictError,
    CrmError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from crmkit.core.events import Event, EventType
from crmkit.core.external_id_changes import ExternalIdChange
from crmkit.core.external_ids import (
    ExternalId,
    external_id_history,
    external_ids_of,
    find_by_external_id,
    link_external_id,
    linked_parties,
    unlink_external_id,
)
from crmkit.core.import_profiles import ImportProfile
from crmkit.core.inputs import (
    MAX_ID,
    check_fields,
    parse_whole_number,
    read_choice,
    read_date,
    read_decimal,
    read_id,
    read_reference,
    read_text,
    read_time_zone,
    read_timestamp,
    read_whole_number,
)
from crmkit.core.intake.findings import Finding
from crmkit.core.intake.pipeline import IntakeResult, intake_prospect, take_in_prospect
from crmkit.core.intake.resolve import Resolution, resolve_party
from crmkit.core.interactions import (
    build_interaction,
    log_interaction,
    log_interactions,
    timeline,
)
from crmkit.core.jobs import Job
from crmkit.core.matching import (
    DEFAULT_MATCH_CONFIG,
    MatchConfig,
    MatchRecord,
    record_from_fields,
    record_from_party,
    score_pair,
)
from crmkit.core.notifications import Notification, notify, withdraw_notifications
from crmkit.core.pagination import Page, newest_first
from crmkit.core.parties import (
    build_party,
    convert_prospect,
    create_party,
    get_party,
    list_parties,
    load_parties,
    merge_parties,
    update_party,
)
from crmkit.core.party_visibility import (
    seen_parties,
    seen_party,
    seen_party_ids,
    sees_every_party,
)
from crmkit.core.permissions import EXTERNAL_ROLE, Permission, is_allowed, require, visible
from crmkit.core.prepared import Prepared
from crmkit.core.privacy import (
    erase_party,
    export_party,
    forget_audit_changes,
    forget_event_payloads,
)
from crmkit.core.settings import Settings
from crmkit.core.sql_dates import shifted_day
from crmkit.core.tables import Id, JSONType, UTCDateTime, metadata, utcnow
from crmkit.core.tables import consent as consent_table
from crmkit.core.tables import contact_point as contact_point_table
from crmkit.core.tables import interaction as interaction_table
from crmkit.core.tables import party as party_table
from crmkit.core.tables import user as user_table
from crmkit.core.tasks import Task, create_task
from crmkit.core.territories import clean_territory, in_territory, territory_condition
from crmkit.core.ui import MenuItem, Panel, Widget
from crmkit.core.untrusted import check_storable_text
from crmkit.core.values import (
    EmailAddress,
    Money,
    PhoneNumber,
    PostalAddress,
    currencies,
    read_currency,
)
from crmkit.core.vins import VIN_CHECK_DIGIT_MARKETS, Vin, read_vin, vin_check_digit
from crmkit.hooks.markers import hookimpl
from crmkit.hooks.parts import Parts
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.hooks.specs import spec as hookspec
from crmkit.version import API_VERSION

__all__ = [
    "API_VERSION",
    "DEFAULT_MATCH_CONFIG",
    "EXTERNAL_ROLE",
    "MAX_ID",
    "SYSTEM",
    "VIN_CHECK_DIGIT_MARKETS",
    "Actor",
    "AuditEntry",
    "ConfigurationError",
    "ConflictError",
    "Consent",
    "Crm",
    "CrmError",
    "CustomField",
    "Customer",
    "EmailAddress",
    "Event",
    "EventType",
    "ExternalId",
    "ExternalIdChange",
    "Finding",
    "Id",
    "ImportProfile",
    "IntakeResult",
    "Interaction",
    "JSONType",
    "Job",
    "MatchConfig",
    "MatchRecord",
    "MenuItem",
    "Money",
    "NotFound",
    "Notification",
    "Page",
    "Panel",
    "Parts",
    "Party",
    "PartyUpdate",
    "Permission",
    "PermissionDenied",
    "PhoneNumber",
    "PluginError",
    "PluginInfo",
    "PostalAddress",
    "Prepared",
    "Prospect",
    "RecordRef",
    "Resolution",
    "Settings",
    "Task",
    "Transaction",
    "UTCDateTime",
    "User",
    "ValidationError",
    "Vin",
    "Widget",
    "allocate_ids",
    "audit_history",
    "build_interaction",
    "build_party",
    "bulk_insert",
    "check_custom",
    "check_fields",
    "check_storable_text",
    "clean_territory",
    "consent_table",
    "consenting",
    "consents_of",
    "consents_of_parties",
    "contact_point_table",
    "convert_prospect",
    "create_parties",
    "create_party",
    "create_task",
    "csv_cell",
    "currencies",
    "erase_party",
    "export_party",
    "external_id_history",
    "external_ids_of",
    "find_by_external_id",
    "forget_audit_changes",
    "forget_event_payloads",
    "get_party",
    "hookimpl",
    "hookspec",
    "in_territory",
    "intake_prospect",
    "interaction_table",
    "is_allowed",
    "link_external_id",
    "linked_parties",
    "list_parties",
    "load_parties",
    "log_interaction",
    "log_interactions",
    "merge_parties",
    "metadata",
    "newest_first",
    "notify",
    "parse_whole_number",
    "party_table",
    "read_choice",
    "read_currency",
    "read_date",
    "read_decimal",
    "read_id",
    "read_reference",
    "read_text",
    "read_time_zone",
    "read_timestamp",
    "read_vin",
    "read_whole_number",
    "record_audit",
    "record_consent",
    "record_from_fields",
    "record_from_party",
    "require",
    "resolve_party",
    "score_pair",
    "seen_parties",
    "seen_party",
    "seen_party_ids",
    "sees_every_party",
    "shifted_day",
    "take_in_prospect",
    "territory_condition",
    "timeline",
    "unlink_external_id",
    "update_parties",
    "update_party",
    "user_table",
    "utcnow",
    "vin_check_digit",
    "visible",
    "withdraw_notifications",
]
