"""The portal's routes: public routes (no staff login), each finding its customer by the portal's cookie."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from crmkit.web import public_route
from crmkit_service.portal.article_pages import article_feedback, article_page, articles_page
from crmkit_service.portal.case_pages import (
    answer_case,
    attachment_download,
    case_page,
    cases_page,
    file_case,
    new_case_page,
    rate_case,
)
from crmkit_service.portal.sign_in_pages import (
    ask_for_link,
    follow_link,
    home,
    link_page,
    sign_in_page,
    sign_out,
)
from crmkit_service.portal.web import PortalCookie, signed_in

_COOKIE = PortalCookie()


def _route(path: str, endpoint: Callable[[Request], Any], method: str, name: str) -> BaseRoute:
    return public_route(f"/portal{path}", endpoint, verifier=_COOKIE, methods=(method,), name=name)


ROUTES: list[BaseRoute] = [
    _route("", home, "GET", "portal"),
    _route("/sign-in", sign_in_page, "GET", "portal_sign_in_page"),
    _route("/sign-in", ask_for_link, "POST", "portal_sign_in"),
    _route("/sign-in/link", link_page, "GET", "portal_link_page"),
    _route("/sign-in/link", follow_link, "POST", "portal_follow_link"),
    _route("/sign-out", signed_in(sign_out), "POST", "portal_sign_out"),
    _route("/cases", signed_in(cases_page), "GET", "portal_cases"),
    _route("/cases", signed_in(file_case), "POST", "portal_file_case"),
    _route("/cases/new", signed_in(new_case_page), "GET", "portal_new_case"),
    _route("/cases/{case_id:id}", signed_in(case_page), "GET", "portal_case"),
    _route("/cases/{case_id:id}/replies", signed_in(answer_case), "POST", "portal_reply"),
    _route("/cases/{case_id:id}/rating", signed_in(rate_case), "POST", "portal_rate"),
    _route(
        "/cases/{case_id:id}/attachments/{attachment_id:id}",
        signed_in(attachment_download),
        "GET",
        "portal_attachment",
    ),
    _route("/articles", signed_in(articles_page), "GET", "portal_articles"),
    _route("/articles/{article_id:id}", signed_in(article_page), "GET", "portal_article"),
    _route(
        "/articles/{article_id:id}/feedback",
        signed_in(article_feedback),
        "POST",
        "portal_article_feedback",
    ),
]
