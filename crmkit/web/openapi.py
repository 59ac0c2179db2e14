"""The OpenAPI 3.1 document of a CRM, generated from its routes and their attrs types.

A route takes part by declaring its operation on the endpoint; kernel and
plugin routes do it the same way::

    from crmkit.web.openapi import Param, operation

    @operation(
        "Log a visit",
        request=VisitInput,          # an attrs class: the JSON body
        response=Visit,              # an attrs class, list[X], Page[X] or a union
        status=201,
        query=(Param("limit", int, "Most items per page"),),
        errors=(404, 409),           # statuses beyond the ones every operation has
    )
    async def log_visit(request: Request) -> Response: ...

    Route("/visits", log_visit, methods=["POST"])

A plugin's routes from ``register_routes`` appear under ``/p/<plugin>/``. Path
parameters come from the route's path (``{visit_id:id}``, a record id, is an integer).
Routes without a declaration are served but left out of the document.

Links (OpenAPI ``links``) are derived from the paths and answers, not declared:
a record is what ``/visits/{visit_id}`` names, its schemas those answered by the
operations on that path, by ``POST /visits`` and as the items of ``GET /visits``
(the ones with an ``id``). Every answer holding such a record (itself, in a
property, as the first item of a list or page) links to each operation on
``/visits/{visit_id}`` and below it, passing the ``id`` (and the ``version``
when the target takes one), and to each operation without path parameters
that takes a ``visit_id`` query parameter or body field.

Every operation needs a bearer token, except on the paths served to anyone
(:func:`crmkit.web.public.is_public`) and the plugins' signed routes
(:func:`crmkit.web.public_route`, with the headers their verifier reads), whose
``security`` is empty. An operation that also takes a browser's form (``form=``,
an attrs class of its fields) answers such a post with an HTML page: 200 when it
succeeded, else the page of the error's status. A 429 always carries ``Retry-After``.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs
from attrs import frozen
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from crmkit.core.entities import Party
from crmkit.core.inputs import MAX_ID
from crmkit.core.pagination import Page
from crmkit.core.values import EmailAddress, PhoneNumber
from crmkit.web.context import site_of
from crmkit.web.csrf import FORM_TYPE
from crmkit.web.problems import PROBLEM_JSON
from crmkit.web.public import is_public
from crmkit.web.sizes import OPERATION
from crmkit.web.templating import render

if TYPE_CHECKING:
    from crmkit.app import Crm

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = OPERATION
COMMON_ERRORS = (400, 401, 403, 413, 422)
"""Statuses any operation may answer: bad JSON, no login, forbidden, too large, invalid."""
PUBLIC_ERRORS = (400, 413, 422)
"""Statuses any public operation may answer: nobody logs in, so nobody is refused for who they are."""
HTML = "text/html"
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ID_CONVERTORS = ("IdConvertor", "IntegerConvertor")
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


@frozen
class Param:
    """A query parameter or request header of an operation."""

    name: str
    type: Any = str
    description: str = ""
    required: bool = False
    location: Literal["query", "header"] = "query"


@frozen
class Operation:
    """What the document says about one endpoint."""

    summary: str
    request: Any = None
    response: Any = None
    status: int = 200
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    form: Any = None
    answers: tuple[tuple[int, Any], ...] = ()
    """Statuses beyond ``status`` answered with a body of a type rather than a problem."""
    description: str = ""
    media_type: str = "application/json"
    """The content type of the ``response`` body (``text/vcard`` for a ``str``)."""
    public: bool = False
    """Served without a login, as a plugin's signed route is (:mod:`crmkit.web.public_routes`)."""

    def request_schema(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The JSON schema of the request body, if any, and the component schemas it refers to."""
        return None if self.request is None else _request_schema(self.request)


@functools.cache
def _request_schema(tp: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    # Once per body class: read_json holds every body to it (crmkit.web.sizes).
    builder = _Builder()
    return builder.schema(tp), builder.schemas


def operation(
    summary: str,
    *,
    request: Any = None,
    response: Any = None,
    status: int = 200,
    query: Sequence[Param] = (),
    errors: Sequence[int] = (),
    form: Any = None,
    answers: Mapping[int, Any] | None = None,
    description: str = "",
    media_type: str = "application/json",
) -> Callable[[F], F]:
    """Declare an endpoint's operation for the OpenAPI document.

    ``form``: an attrs class of the fields of an
    ``application/x-www-form-urlencoded`` body, taken besides (or instead of) ``request``;
    its ``__json_more__`` (a JSON schema), if set, is that of further fields it takes.
    ``answers``: further statuses whose body is of a type (``{503: Health}``), not a problem.
    ``description``: what the summary leaves out, such as when each error is answered.
    ``media_type``: the content type of the ``response`` body, when it is not JSON.
    """

    def mark(endpoint: F) -> F:
        declared = Operation(
            summary,
            request,
            response,
            status,
            tuple(query),
            tuple(errors),
            form,
            tuple(sorted((answers or {}).items())),
            description,
            media_type,
        )
        setattr(endpoint, ATTRIBUTE, declared)
        return endpoint

    return mark


def document(app: Crm, routes: Sequence[BaseRoute], title: str = "crmkit") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation among ``routes``."""
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    for path, methods, endpoint, params in _walk(routes, ""):
        declared: Operation | None = getattr(endpoint, ATTRIBUTE, None)
        if declared is None:
            continue
        for method in sorted(methods - {"HEAD"}):
            name = _operation_name(endpoint, method, builder.operation_ids, path)
            builder.operation_ids[name] = endpoint
            item = builder.operation(
                declared,
                method,
                params,
                name,
                public=declared.public or is_public(path),
            )
            paths.setdefault(path, {})[method.lower()] = item
    _add_links(paths, builder.schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": app.host.api_version},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(builder.schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _operation_name(endpoint: Any, method: str, taken: Mapping[str, Any], path: str) -> str:
    """The handler's name; its name and method where the same handler serves several methods;
    its package's or module's name before it where a handler of another plugin has the name,
    so that no operationId is given twice and none depends on a counter."""
    name, module = endpoint.__name__, endpoint.__module__
    for base in (name, f"{module.split('.')[0]}.{name}", f"{module}.{name}"):
        owner = taken.get(base)
        if owner is None:
            return base
        if owner is endpoint and f"{base}_{method.lower()}" not in taken:
            return f"{base}_{method.lower()}"
    raise ValueError(f"{method} {path}: every operationId for {module}.{name} is taken")


def _walk(
    routes: Sequence[BaseRoute], prefix: str
) -> typing.Iterator[tuple[str, set[str], Any, dict[str, str]]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.methods:
            params = {name: type(conv).__name__ for name, conv in route.param_convertors.items()}
            yield prefix + route.path_format, set(route.methods), route.endpoint, params


class _Builder:
    """Turns declarations into operations, collecting the schemas they refer to."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {
            "Problem": {
                "type": "object",
                "required": ["title", "status", "detail"],
                "properties": {
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "field": {"type": "string", "description": "Where the input is wrong"},
                },
            }
        }
        self.operation_ids: dict[str, Any] = {}
        """Each operationId given, with the handler it was given to."""
        self.schema_names: dict[type, str] = {}

    def operation(
        self,
        declared: Operation,
        method: str,
        params: Mapping[str, str],
        name: str,
        *,
        public: bool = False,
    ) -> dict[str, Any]:
        parameters: list[dict[str, Any]] = [
            {
                "name": param,
                "in": "path",
                "required": True,
                "schema": ID_SCHEMA if conv in ID_CONVERTORS else {"type": "string"},
            }
            for param, conv in params.items()
        ]
        for p in declared.query:
            parameters.append(
                {
                    "name": p.name,
                    "in": p.location,
                    "required": p.required,
                    "description": p.description,
                    "schema": self.schema(p.type),
                }
            )
        responses: dict[str, Any] = {
            str(declared.status): self._answer(
                declared.summary, declared.response, declared.media_type
            )
        }
        for status, answer in declared.answers:
            responses[str(status)] = self._answer(HTTPStatus(status).phrase, answer)
        problem = {"$ref": "#/components/schemas/Problem"}
        # A path naming a record may name one that does not exist (or is hidden).
        not_found = (404,) if params else ()
        common = PUBLIC_ERRORS if public else COMMON_ERRORS
        errors = sorted({*common, *not_found, *declared.errors})
        for status in errors:
            responses[str(status)] = {
                "description": "A problem document naming what is wrong",
                "content": {PROBLEM_JSON: {"schema": problem}},
            }
        if 429 in errors:
            responses["429"]["headers"] = {"Retry-After": RETRY_AFTER}
        item: dict[str, Any] = {
            "operationId": name,
            "summary": declared.summary,
            "responses": responses,
        }
        if declared.description:
            item["description"] = declared.description
        if public:
            item["security"] = []
        if parameters:
            item["parameters"] = parameters
        body: dict[str, Any] = {}
        if declared.request is not None:
            body["application/json"] = {"schema": self.schema(declared.request)}
        if declared.form is not None:
            body[FORM_TYPE] = {"schema": self.schema(declared.form)}
            responses.setdefault("200", {"description": "The page shown once the form is sent"})
            for code in ("200", *map(str, errors)):
                responses[code].setdefault("content", {})[HTML] = {"schema": {"type": "string"}}
        if body:
            item["requestBody"] = {"required": True, "content": body}
        item["responses"] = dict(sorted(responses.items()))
        return item

    def _answer(
        self, description: str, body: Any, media_type: str = "application/json"
    ) -> dict[str, Any]:
        if body is None:
            return {"description": description}
        schema = self.schema(body)
        return {"description": description, "content": {media_type: {"schema": schema}}}

    def schema(self, tp: Any) -> dict[str, Any]:
        """The JSON schema of a Python type, as the app's converter writes it."""
        if tp is Any or tp is object:
            return {}
        if tp is type(None):
            return {"type": "null"}
        simple = SIMPLE.get(tp)
        if simple is not None:
            return dict(simple)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is Literal:
            return {"enum": list(args)}
        if origin in (types.UnionType, typing.Union):
            options = [self.schema(a) for a in args]
            plain = [o.get("type") for o in options]
            if all(isinstance(t, str) for t in plain) and len(options) == 2:
                return {**options[0], **options[1], "type": plain}
            return {"anyOf": options}
        if origin in (list, tuple, Sequence) or tp in (list, tuple):
            item = args[0] if args else Any
            return {"type": "array", "items": self.schema(item)}
        if origin in (dict, Mapping) or tp is dict:
            return {"type": "object"}
        if origin is Page:
            return self._page(args[0])
        if attrs.has(tp):
            return self._ref(tp)
        raise TypeError(f"no JSON schema for {tp!r}")

    def _name(self, cls: type) -> str:
        """The schema's name: the class's, or, when another class (of another plugin) has that
        one, prefixed with its package (``crmkit_loyalty.Rule``), so neither takes the other's."""
        known = self.schema_names.get(cls)
        if known is not None:
            return known
        taken = {*self.schemas, *self.schema_names.values()}
        name = cls.__name__
        for candidate in (
            name,
            f"{cls.__module__.split('.')[0]}.{name}",
            f"{cls.__module__}.{name}",
        ):
            if candidate not in taken:
                name = candidate
                break
        self.schema_names[cls] = name
        return name

    def _ref(self, cls: type) -> dict[str, Any]:
        name = self._name(cls)
        if name not in self.schemas:
            self.schemas[name] = {}  # a placeholder stops recursion on self-references
            hints = typing.get_type_hints(cls)
            properties = {
                f.name: {**self.schema(hints[f.name]), **f.metadata.get("json", {})}
                for f in attrs.fields(cls)
            }
            required = [f.name for f in attrs.fields(cls)]
            if _is_input(cls):
                required = [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]
            if issubclass(cls, Party):
                # serialise.py adds these to every party.
                properties = {
                    "role": {"const": cls.role},
                    "display_name": {"type": "string"},
                    **properties,
                }
                required = ["role", "display_name", *required]
            self.schemas[name] = {
                "type": "object",
                "properties": properties,
                "required": required,
                # A form whose field names vary (one per question asked) schemes the rest.
                "additionalProperties": getattr(cls, "__json_more__", False),
            }
            description = (cls.__doc__ or "").strip().split("\n")[0]
            if description:
                self.schemas[name]["description"] = description
        return {"$ref": f"#/components/schemas/{name}"}

    def _page(self, item: Any) -> dict[str, Any]:
        inner = self.schema(item)
        label = inner["$ref"].rsplit("/", 1)[1] if "$ref" in inner else "Item"
        name = f"{label}Page"
        self.schemas[name] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": inner},
                "next_cursor": {"type": ["string", "null"]},
            },
            "required": ["items", "next_cursor"],
            "additionalProperties": False,
        }
        return {"$ref": f"#/components/schemas/{name}"}


def _is_input(cls: type) -> bool:
    # Request bodies (marked by ``__json_input__``) require only the fields without a default.
    return bool(getattr(cls, "__json_input__", False))


PATH_PARAMETER = re.compile(r"\{([^}]+)\}")
Endpoint = tuple[str, str, dict[str, Any]]
"""A path, a method and the operation on it, as the document holds them."""


def _add_links(paths: dict[str, dict[str, Any]], schemas: Mapping[str, Any]) -> None:
    """Link every answer holding a record to the operations taking that record's id."""
    endpoints = [(p, m, item) for p, items in paths.items() for m, item in items.items()]
    records = _records(endpoints, schemas)
    referred: dict[str, set[str]] = {}
    for item_path, names in records.items():
        referred.setdefault(_parameters(item_path)[0], set()).update(names)
    inputs = {item["operationId"]: _inputs(item, schemas) for _p, _m, item in endpoints}
    for _path, _method, source in endpoints:
        for status, schema in _successes(source):
            links = _links(endpoints, records, referred, inputs, schema, schemas)
            if links:
                source["responses"][status]["links"] = links


def _links(
    endpoints: Sequence[Endpoint],
    records: Mapping[str, set[str]],
    referred: Mapping[str, set[str]],
    inputs: Mapping[str, Mapping[str, str]],
    schema: Mapping[str, Any],
    schemas: Mapping[str, Any],
) -> dict[str, Any]:
    """The links of one answer of ``schema``, by the target's operationId."""
    links: dict[str, Any] = {}
    held = _held(schema, schemas)
    for item_path, names in records.items():
        (parameter,) = _parameters(item_path)
        for pointer, found in ((p, n & names) for p, n in held if n & names):
            for path, _m, target in endpoints:
                below = path == item_path or path.startswith(f"{item_path}/")
                if below and _parameters(path) == [parameter]:
                    takes = inputs[target["operationId"]]
                    link = _item_link(target, takes, parameter, pointer, found, schemas)
                    links.setdefault(target["operationId"], link)
    for parameter, names in referred.items():
        for pointer, found in ((p, n & names) for p, n in held if n & names):
            for path, _m, target in endpoints:
                where = inputs[target["operationId"]].get(parameter)
                if where is not None and not _parameters(path):
                    link = _reference_link(target, parameter, where, pointer, found)
                    links.setdefault(target["operationId"], link)
    return dict(sorted(links.items()))


def _parameters(path: str) -> list[str]:
    return PATH_PARAMETER.findall(path)


def _records(endpoints: Sequence[Endpoint], schemas: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each path naming one record (``/visits/{visit_id}``) -> the schemas answered for it."""
    records: dict[str, set[str]] = {}
    for path, _method, _item in endpoints:
        found = list(PATH_PARAMETER.finditer(path))
        if len(found) != 1:
            continue  # a path naming two records is linked to by neither
        item_path = path[: found[0].end()]
        collection = path[: found[0].start()].rstrip("/")
        names: set[str] = set()
        for other_path, method, item in endpoints:
            for _status, answer in _successes(item):
                if other_path == item_path or (other_path, method) == (collection, "post"):
                    names |= _names(answer)
                elif (other_path, method) == (collection, "get"):
                    listed = _items(answer, schemas)
                    names |= _names(listed[1]) if listed else set()
        names = {n for n in names if "id" in schemas.get(n, {}).get("properties", {})}
        if names:
            records[item_path] = names
    return records


def _successes(item: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The statuses and JSON schemas of the operation's successful answers with a body."""
    return [
        (status, response["content"]["application/json"]["schema"])
        for status, response in sorted(item["responses"].items())
        if status.startswith("2") and "application/json" in response.get("content", {})
    ]


def _names(schema: Mapping[str, Any]) -> set[str]:
    """The component schemas ``schema`` is one of."""
    options = schema.get("anyOf", [schema])
    return {o["$ref"].rsplit("/", 1)[1] for o in options if "$ref" in o}


def _properties(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of the one component schema ``schema`` is, else none."""
    names = _names(schema)
    return dict(schemas[names.pop()].get("properties", {})) if len(names) == 1 else {}


def _items(
    schema: Mapping[str, Any], schemas: Mapping[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """Where a list or a page holds its first item (a JSON pointer) and the items' schema."""
    if schema.get("type") == "array":
        return "/0", dict(schema["items"])
    properties = _properties(schema, schemas)
    if set(properties) == {"items", "next_cursor"}:
        return "/items/0", dict(properties["items"]["items"])
    return None


def _held(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> list[tuple[str, set[str]]]:
    """Where an answer of ``schema`` holds records (JSON pointers), with their schemas.

    The answer itself, one of its properties, or the first item of either when it is a list or a page.
    """
    candidates = [("", schema), *((f"/{k}", v) for k, v in _properties(schema, schemas).items())]
    held = []
    for pointer, candidate in candidates:
        listed = _items(candidate, schemas)
        if listed is not None:
            pointer, candidate = pointer + listed[0], listed[1]
        if _names(candidate):
            held.append((pointer, _names(candidate)))
    return held


def _item_link(
    target: Mapping[str, Any],
    takes: Mapping[str, str],
    parameter: str,
    pointer: str,
    found: set[str],
    schemas: Mapping[str, Any],
) -> dict[str, Any]:
    link: dict[str, Any] = {
        "operationId": target["operationId"],
        "description": f"The id of the {' or '.join(sorted(found))} answered",
        "parameters": {f"path.{parameter}": f"$response.body#{pointer}/id"},
    }
    # The version read is the one a change or a delete must name.
    if all("version" in schemas[n]["properties"] for n in found):
        version = f"$response.body#{pointer}/version"
        where = takes.get("version")
        if where == "query":
            link["parameters"]["query.version"] = version
        elif where == "body":
            link["requestBody"] = {"version": version}
    return link


def _reference_link(
    target: Mapping[str, Any], parameter: str, where: str, pointer: str, found: set[str]
) -> dict[str, Any]:
    link: dict[str, Any] = {
        "operationId": target["operationId"],
        "description": f"The id of the {' or '.join(sorted(found))} answered, as {parameter}",
    }
    value = f"$response.body#{pointer}/id"
    if where == "query":
        link["parameters"] = {f"query.{parameter}": value}
    else:
        link["requestBody"] = {parameter: value}
    return link


def _inputs(target: Mapping[str, Any], schemas: Mapping[str, Any]) -> dict[str, str]:
    """What ``target`` takes by name: ``query`` for a query parameter, ``body`` for a JSON body field."""
    body = target.get("requestBody", {}).get("content", {}).get("application/json")
    taken = dict.fromkeys(_properties(body["schema"], schemas) if body else (), "body")
    taken.update({p["name"]: "query" for p in target.get("parameters", []) if p["in"] == "query"})
    return taken


SIMPLE: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    float: {"type": "number"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    Decimal: {"type": "string"},
    EmailAddress: {"type": "string"},
    PhoneNumber: {"type": "string"},
}


@operation("This document: every operation of the API, kernel and plugins", response=dict)
def openapi_json(request: Request) -> Response:
    """The OpenAPI document of this application's kernel and plugin routes."""
    site = site_of(request)
    return JSONResponse(document(site.crm, request.app.routes))


def api_reference(request: Request) -> Response:
    """The API reference: the OpenAPI document rendered as a page (no script, no CDN)."""
    site = site_of(request)
    spec = document(site.crm, request.app.routes)
    operations = [
        {"path": path, "method": method.upper(), **item}
        for path, methods in spec["paths"].items()
        for method, item in methods.items()
    ]
    return render(
        site,
        "api_docs.html",
        spec=spec,
        operations=operations,
        schemas=spec["components"]["schemas"],
    )


ROUTES: list[BaseRoute] = [
    Route("/api/openapi.json", openapi_json, methods=["GET"], name="openapi"),
    Route("/api/docs", api_reference, methods=["GET"], name="api_docs"),
]
