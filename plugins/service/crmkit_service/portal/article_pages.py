"""The public articles of the knowledge base on the portal: search, read, say whether one helped."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit import (
    ValidationError,
)
from crmkit.web import Param, crm_of, operation
from crmkit_service.knowledge.articles import get_article
from crmkit_service.knowledge.feedback import give_feedback
from crmkit_service.knowledge.search import search
from crmkit_service.portal import forms
from crmkit_service.portal.sessions import PortalSession
from crmkit_service.portal.web import (
    BASE,
    CSRF_FIELD,
    HTML,
    check_csrf,
    read_portal_form,
    render,
)

ARTICLES_SHOWN = 20
MAX_QUERY = 200


@operation(
    "Search the public articles",
    query=(Param("q", str, "Words to look for"),),
    response=str,
    media_type=HTML,
    answers={303: None},
)
async def articles_page(request: Request, session: PortalSession) -> Response:
    """Search the public articles of the knowledge base."""
    text = request.query_params.get("q", "").strip()[:MAX_QUERY]
    crm = crm_of(request)
    hits = []
    if text:
        hits = await crm.query(
            lambda conn: search(
                crm, conn, session.actor, text, public_only=True, limit=ARTICLES_SHOWN
            ),
            scans=True,
        )
    return render(request, "articles.html", session=session, query=text, hits=hits)


@operation(
    "A public article",
    query=(Param("thanks", str, "1 after the customer said whether it helped"),),
    response=str,
    media_type=HTML,
    answers={303: None},
)
async def article_page(request: Request, session: PortalSession) -> Response:
    """A public article, to read, and whether it helped."""
    article_id: int = request.path_params["article_id"]
    thanked = request.query_params.get("thanks") == "1"
    return await _shown_article(request, session, article_id, thanked=thanked)


async def _shown_article(
    request: Request,
    session: PortalSession,
    article_id: int,
    *,
    thanked: bool = False,
    error: ValidationError | None = None,
    status: int = 200,
) -> Response:
    found = await crm_of(request).query(
        lambda conn: get_article(conn, article_id, public_only=True)
    )
    paragraphs = [p.strip() for p in found.body.split("\n\n") if p.strip()]
    return render(
        request,
        "article.html",
        session=session,
        status=status,
        article=found,
        paragraphs=paragraphs,
        thanked=thanked,
        values={},
        error=error,
        error_field=error.field if error else None,
    )


@operation(
    "Tell whether a public article helped",
    form=forms.ArticleFeedbackForm,
    status=303,
    errors=(401, 403),
)
async def article_feedback(request: Request, session: PortalSession) -> Response:
    """Record whether the article helped (with a comment), as the customer's party."""
    article_id: int = request.path_params["article_id"]
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), session.csrf_token)
    crm = crm_of(request)
    try:
        helpful = form.fields.get("helpful", "")
        if helpful not in ("yes", "no"):
            raise ValidationError("helpful", "say whether the article helped")
        data = {"helpful": helpful == "yes", "comment": form.fields.get("comment") or None}
        await crm.write(
            lambda tx: give_feedback(tx, article_id, data, party_id=session.party_id),
            session.actor,
        )
    except ValidationError as exc:
        return await _shown_article(request, session, article_id, error=exc, status=422)
    return RedirectResponse(f"{BASE}/articles/{article_id}?thanks=1#feedback", 303)
