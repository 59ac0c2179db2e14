"""The portal's forms as the OpenAPI document describes them (the handlers read them as posted).

Every form carries ``csrf_token``: the token of the page that showed it.
"""

from __future__ import annotations

from typing import Literal

from attrs import field, frozen

from crmkit_service.portal.ratings import MAX_COMMENT

MAX_SUBJECT = 300
MAX_BODY = 20_000
MAX_PRODUCT = 200
MAX_EMAIL = 320
TOKEN = {"maxLength": 100}


@frozen
class SignInForm:
    """The address to email a sign-in link to."""

    email: str = field(metadata={"json": {"maxLength": MAX_EMAIL}})
    csrf_token: str = field(metadata={"json": TOKEN})


@frozen
class FollowLinkForm:
    """The button of a sign-in link's page: the link's token."""

    token: str = field(metadata={"json": TOKEN})
    csrf_token: str = field(metadata={"json": TOKEN})


@frozen
class SignOutForm:
    """The sign-out button."""

    csrf_token: str = field(metadata={"json": TOKEN})


@frozen
class CaseForm:
    """A new case (a browser sends it as multipart/form-data when files are attached, as ``attachments``)."""

    kind: Literal["question", "request", "incident", "complaint"]
    subject: str = field(metadata={"json": {"maxLength": MAX_SUBJECT}})
    description: str = field(metadata={"json": {"maxLength": MAX_BODY}})
    csrf_token: str = field(metadata={"json": TOKEN})
    product: str | None = field(default=None, metadata={"json": {"maxLength": MAX_PRODUCT}})


@frozen
class ReplyForm:
    """The customer's answer on a case (multipart/form-data with ``attachments`` when files go with it)."""

    body: str = field(metadata={"json": {"maxLength": MAX_BODY}})
    csrf_token: str = field(metadata={"json": TOKEN})


@frozen
class RatingForm:
    """A rating of the case's resolution."""

    score: Literal["1", "2", "3", "4", "5"]
    csrf_token: str = field(metadata={"json": TOKEN})
    comment: str | None = field(default=None, metadata={"json": {"maxLength": MAX_COMMENT}})


@frozen
class ArticleFeedbackForm:
    """Whether a public article helped, and why."""

    helpful: Literal["yes", "no"]
    csrf_token: str = field(metadata={"json": TOKEN})
    comment: str | None = field(default=None, metadata={"json": {"maxLength": MAX_COMMENT}})
