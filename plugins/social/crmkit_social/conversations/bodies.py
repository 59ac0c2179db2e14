"""The JSON request bodies of the conversations routes, as the OpenAPI document describes them."""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

from crmkit_social.conversations.service import MAX_POST, MAX_TEXT


@frozen
class ReplyInput:
    """A reply to a thread's sender, or to a comment."""

    __json_input__: ClassVar[bool] = True
    text: str = field(metadata={"json": {"minLength": 1, "maxLength": MAX_TEXT}})


@frozen
class PostInput:
    """A post on a connected Facebook page."""

    __json_input__: ClassVar[bool] = True
    account_id: int
    text: str = field(metadata={"json": {"minLength": 1, "maxLength": MAX_POST}})
    link: str | None = field(default=None, metadata={"json": {"maxLength": 2000}})
