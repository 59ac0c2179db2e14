"""The JSON request bodies of the knowledge-base routes, as the OpenAPI document describes them.

The services validate the bodies themselves, naming the wrong field; these classes
tell API clients what to send, and every text's ``maxLength`` is enforced when the
body is read.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from attrs import field, frozen

from crmkit_service.knowledge.articles import MAX_BODY, MAX_NOTE, MAX_TITLE
from crmkit_service.knowledge.categories import MAX_NAME
from crmkit_service.knowledge.feedback import MAX_COMMENT
from crmkit_service.web import text_field

Visibility = Literal["internal", "public"]
MAX_CASE_TEXT = 100_000


@frozen
class ArticleInput:
    """A new article (version 1): a draft, or live at once with ``publish``."""

    __json_input__: ClassVar[bool] = True

    title: str = field(metadata={"json": {"maxLength": MAX_TITLE}})
    body: str = field(metadata={"json": {"maxLength": MAX_BODY}})
    category_id: int | None = None
    visibility: Visibility = "internal"
    note: str | None = text_field(MAX_NOTE)
    publish: bool = False


@frozen
class ArticleChange:
    """The next version: the fields to change, and ``version``, the newest one the writer read."""

    __json_input__: ClassVar[bool] = True

    version: int
    title: str | None = text_field(MAX_TITLE)
    body: str | None = text_field(MAX_BODY)
    category_id: int | None = None
    visibility: Visibility | None = None
    note: str | None = text_field(MAX_NOTE)
    publish: bool = False


@frozen
class PublishInput:
    """Version ``number`` goes live; ``version`` is the newest one the writer read."""

    __json_input__: ClassVar[bool] = True

    number: int
    version: int


@frozen
class ArchiveInput:
    """``version``: the newest one the writer read."""

    __json_input__: ClassVar[bool] = True

    version: int


@frozen
class FeedbackInput:
    """Whether the article helped; on its published version unless ``version`` names another."""

    __json_input__: ClassVar[bool] = True

    helpful: bool
    comment: str | None = text_field(MAX_COMMENT)
    version: int | None = None


@frozen
class CategoryInput:
    """A category, under ``parent_id`` if given."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": MAX_NAME}})
    parent_id: int | None = None


@frozen
class SuggestInput:
    """A case's subject and body, for the articles that may answer it."""

    __json_input__: ClassVar[bool] = True

    subject: str = field(metadata={"json": {"maxLength": 300}})
    body: str = text_field(MAX_CASE_TEXT, "")
    public_only: bool = False
    limit: int | None = None
