"""The web application: kernel JSON API under ``/api/v1/``, server-rendered pages, plugin routes.

Build it with :func:`crmkit.web.app.create_asgi`. Plugin route handlers use the
helpers exported here: the CRM and the acting user of a request, JSON in and out,
public routes for senders that sign their requests.
"""

# Imported first: it registers the {name:id} path parameter every route module may use.
from crmkit.core.signatures import SignatureMismatch, SignatureMissing, Signed
from crmkit.web import paths  # noqa: F401
from crmkit.web.context import actor_of, crm_of
from crmkit.web.errors import RefusedForm
from crmkit.web.handlers import Refusal, check_query, read_as, submit, write_as
from crmkit.web.openapi import Param, operation
from crmkit.web.pages import page_response
from crmkit.web.payloads import json_response, optional_version, read_form, read_json, read_object
from crmkit.web.public_routes import public_route
from crmkit.web.ui import render_panels
from crmkit.web.verifiers import (
    HubChallenge,
    HubSignature,
    StandardWebhooks,
    TwilioSignature,
    Verifier,
)

__all__ = [
    "HubChallenge",
    "HubSignature",
    "Param",
    "Refusal",
    "RefusedForm",
    "SignatureMismatch",
    "SignatureMissing",
    "Signed",
    "StandardWebhooks",
    "TwilioSignature",
    "Verifier",
    "actor_of",
    "check_query",
    "crm_of",
    "json_response",
    "operation",
    "optional_version",
    "page_response",
    "public_route",
    "read_as",
    "read_form",
    "read_json",
    "read_object",
    "render_panels",
    "submit",
    "write_as",
]
