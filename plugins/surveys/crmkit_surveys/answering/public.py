"""The answer pages, for people with no login: ``/p/surveys/a/{token}``.

The link's token is what stands in for a login: only its hash is stored, an unknown or
forged one gets the same 404 page as a wrong guess would, so a guess learns nothing. What
stands in for a CSRF token, as on the kernel's lead form: a browser's cross-site post is
refused by its ``Origin`` (a form posted from another site cannot answer for the
recipient). Each client address may load and post only so many pages a minute (429).
The pages carry no referrer and are not cached: the address holds the token.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlencode

from attrs import field, frozen
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from crmkit import Actor, utcnow
from crmkit.web import (
    Param,
    RefusedForm,
    actor_of,
    crm_of,
    operation,
    page_response,
    public_route,
    read_form,
)
from crmkit_surveys.answering import respond
from crmkit_surveys.answering.form import FORM_ERROR
from crmkit_surveys.answering.respond import Done, Invalid, Moved, Refused, Shown
from crmkit_surveys.answering.settings import AnsweringSettings
from crmkit_surveys.answering.words import WORDS, words_for
from crmkit_surveys.invitations.links import ANSWER_PATH

VISITOR = Actor(user_id=None, username="visitor", role="visitor")
"""Who the pages are rendered for: no staff navigation."""
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
PAGES_PER_MINUTE = 120
POSTS_PER_MINUTE = 60


class AnswerLink:
    """The answer pages sign nothing: the handler looks the link's token up itself; the
    public route's budget per client address applies."""

    parameters: tuple[Any, ...] = ()
    checks_signature: ClassVar[bool] = False

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


@frozen
class AnswerForm:
    """A page of answers, as the answer page's form posts it."""

    page: str = field(metadata={"json": {"maxLength": 4, "description": "the page, from 1"}})
    lang: str = field(metadata={"json": {"maxLength": 20, "description": "the form's language"}})
    action: Literal["next", "back"] = "next"
    # q.<key> (a score, an option key, "_other" or a text), q.<key>.<option> and
    # q.<key>._other (ticked choices), q.<key>._text (the text beside "Other").
    __json_more__: ClassVar[dict[str, Any]] = {"type": "string"}


PAGE_QUERY = (
    Param("page", str, "another page reached before (from 1); where they left off otherwise"),
    Param("lang", str, "another language of the survey; the invitation's otherwise"),
)
REFUSALS_TOLD = (
    "Refusals are HTML pages in the respondent's language: 404 an unknown or forged link, "
    "409 already answered, 410 expired, closed or no longer usable"
)


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    request.state.actor = VISITOR
    context.setdefault("lang", "en")
    response = page_response(request, f"surveys/answering/{template}", status=status, **context)
    response.headers.update(NO_STORE)
    return response


def refusal_page(request: Request, status: int, language: str, title: str, text: str) -> Response:
    """A refusal in the answer pages' plain layout and their words in ``language`` (``title``
    and ``text``: keys of those words)."""
    language = language if language in WORDS else "en"
    words = words_for(language)
    return _page(
        request, "message.html", status, lang=language, title=words[title], message=words[text]
    )


def _refused(request: Request, refused: Refused) -> Response:
    reason = refused.reason
    return refusal_page(
        request, refused.status, refused.language, f"{reason}_title", f"{reason}_text"
    )


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every cross-site POST; a program posting sends none.
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def _address(token: str, **query: Any) -> str:
    path = f"{ANSWER_PATH}/{quote(token, safe='')}"
    return f"{path}?{urlencode(query)}" if query else path


def _answer_page(
    request: Request,
    shown: Shown,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    token = request.path_params["token"]
    settings: AnsweringSettings = crm_of(request).settings_of["surveys"].answering
    number, pages = shown.position
    lang = shown.language
    return _page(
        request,
        "page.html",
        status,
        shown=shown,
        lang=lang,
        words=words_for(lang),
        title=shown.definition.title[lang],
        intro=shown.definition.intro.get(lang) if shown.first else None,
        number=number,
        pages=pages,
        values=values,
        errors=errors,
        limit=settings.text_limit,
        action=_address(token),
        languages=[
            (other, _address(token, page=shown.index + 1, lang=other))
            for other in shown.definition.languages
            if other != lang
        ],
    )


@operation(
    "Show the answer page of an invitation's link",
    response=str,
    media_type="text/html",
    query=PAGE_QUERY,
    errors=(404, 409, 410),
    description=f"For people with no login: the link's token is their proof. {REFUSALS_TOLD}.",
)
def answer_page(request: Request) -> Response:
    """The page of the survey the link's invitation asks, where the respondent left off
    (``page``: another page they reached; ``lang``: another language of the survey)."""
    crm = crm_of(request)
    actor = actor_of(request)
    token, params, now = request.path_params["token"], request.query_params, utcnow()
    with crm.read() as conn:
        shown = respond.page_of(conn, token, params.get("page"), params.get("lang"), now)
    if isinstance(shown, Refused):
        return _refused(request, shown)
    if shown.invitation.status in respond.UNOPENED:
        with crm.transaction(actor) as tx:
            respond.mark_opened(tx, shown.invitation.id, now)
    return _answer_page(request, shown, respond.form_values(shown.questions, shown.given), {})


@operation(
    "Send a page of answers",
    form=AnswerForm,
    response=str,
    media_type="text/html",
    answers={303: None},
    errors=(403, 404, 409, 410, 422),
    description=(
        "Fields: page, lang, action (next or back) and the answers: q.<key> (a score, an "
        "option key, _other, or a text), q.<key>.<option> and q.<key>._other (a ticked choice "
        "of a multiple choice), q.<key>._text (the text beside Other). 303 to the next or "
        "previous page; 200 the thanks page after the last one; 422 the page again with each "
        "error beside its question, nothing saved; 403 a post from another site. "
        f"{REFUSALS_TOLD}."
    ),
)
async def post_answers(request: Request) -> Response:
    """Save the page's answers and go on (303) or back, or complete after the last page; the
    page again with what was typed and why (422) when an answer is refused."""
    if not _same_origin(request):
        wanted = request.query_params.get("lang", "")
        return refusal_page(request, 403, wanted, "cross_site_title", "cross_site_text")
    crm, actor, token = crm_of(request), actor_of(request), request.path_params["token"]
    settings: AnsweringSettings = crm.settings_of["surveys"].answering
    try:
        form = await read_form(request)
    except RefusedForm as exc:
        return await _unreadable(request, token, exc)
    outcome = await crm.write(
        lambda tx: respond.post_page(tx, token, form, settings, utcnow()), actor
    )
    if isinstance(outcome, Refused):
        return _refused(request, outcome)
    if isinstance(outcome, Invalid):
        return _answer_page(request, outcome.shown, outcome.form, outcome.errors, 422)
    if isinstance(outcome, Moved):
        target = _address(token, page=outcome.index + 1, lang=outcome.language)
        return RedirectResponse(target, status_code=303, headers=NO_STORE)
    return _thanks(request, outcome)


async def _unreadable(request: Request, token: str, exc: RefusedForm) -> Response:
    """The page again when the form holds text no database stores; nothing is saved."""
    crm = crm_of(request)
    fields = exc.fields
    shown = await crm.query(
        lambda conn: respond.page_of(conn, token, fields.get("page"), fields.get("lang"), utcnow())
    )
    if isinstance(shown, Refused):
        return _refused(request, shown)
    parts = exc.field.split(".")
    where = parts[1] if len(parts) > 1 and parts[0] == "q" else FORM_ERROR
    return _answer_page(request, shown, fields, {where: exc.reason}, 422)


def _thanks(request: Request, done: Done) -> Response:
    words = words_for(done.language)
    return _page(
        request,
        "thanks.html",
        lang=done.language,
        words=words,
        title=done.definition.title[done.language],
        thanks=done.definition.thanks.get(done.language) or words["thanks"],
    )


_LINK = AnswerLink()

ROUTES: list[BaseRoute] = [
    public_route(
        "/a/{token}",
        answer_page,
        verifier=_LINK,
        methods=("GET",),
        per_minute=PAGES_PER_MINUTE,
        name="surveys_answer_page",
    ),
    public_route(
        "/a/{token}",
        post_answers,
        verifier=_LINK,
        methods=("POST",),
        per_minute=POSTS_PER_MINUTE,
        name="surveys_answer_post",
    ),
]
