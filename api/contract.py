"""The OpenAPI document, made exact in one place for every operation (docs/api.md
"Conventions").

Litestar writes the paths, parameters and bodies from the route handlers. This module
then completes the document once, from what each operation is made of, so an endpoint
added anywhere (another module, another engineer) is described like the others:

- schemas: every request and response body is described by msgspec's own JSON Schema of
  its Struct (the constraints msgspec checks, `additionalProperties: false` where
  unknown fields are refused, descriptions and examples); Litestar's rendering drops
  some constraints (`ge=0`, constraints on list items, litestar #4575);
- errors: each status the operation can answer, derived from its guards (401 unless
  public, 403 with the roles allowed), its path parameters (404), its body (400, 413,
  415, 422), its headers (412 for If-Match), its method (409 and 422 of idempotency
  keys, 429 of the rate limits) and its use of the database (503), each as
  `application/problem+json` with one `Problem` schema; route options (`opt`) add what
  only the handler knows (`statuses`);
- headers: the request headers it reads (`If-Match`, `If-None-Match`, `X-Min-Position`,
  `Idempotency-Key`) and the response headers it sets (`ETag`, `X-Position`,
  `Location`, `Retry-After`...), from route options and the method;
- conventions: `text/csv` for the lists, 304 for conditional reads, the pattern of every
  free text query parameter (no control characters) and of every day and instant (the
  years 1900-2199), examples of every request body.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, get_args, get_origin

import msgspec
from litestar.config.app import AppConfig
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI
from litestar.plugins import InitPlugin
from litestar.plugins.base import ReceiveRoutePlugin
from litestar.response import Response
from litestar.routes import BaseRoute, HTTPRoute

from api.auth import PUBLIC_PATHS
from api.errors import ERROR_MEDIA_TYPE
from api.inputs import IF_MATCH_PATTERN, IF_NONE_MATCH_PATTERN
from api.positions import POSITION_PATTERN

REF = "#/components/schemas/"


class FieldError(msgspec.Struct):
    """One input that broke a rule."""

    field: Annotated[
        str, msgspec.Meta(description="The field (`complainant.credit_code`), parameter or header.")
    ]
    rule: Annotated[str, msgspec.Meta(description="What it must be.")]


class Problem(msgspec.Struct):
    """An error, as RFC 9457 problem details (`application/problem+json`). Some carry
    more members (a 409 `already-recorded` names the record; a 503 of /readyz its
    `reasons`)."""

    type: Annotated[
        str,
        msgspec.Meta(
            description="A URI naming the kind of error: https://oversight.example/problems/<slug>."
        ),
    ]
    title: str
    status: int
    detail: Annotated[str, msgspec.Meta(description="What went wrong, for a person.")]
    instance: Annotated[str, msgspec.Meta(description="The request's path.")]
    errors: Annotated[
        list[FieldError], msgspec.Meta(description="Each input at fault, with its rule.")
    ] = msgspec.field(default_factory=list)


_PROBLEM_TYPES: tuple[type[msgspec.Struct], ...] = (Problem,)

_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The case\'s version in quotes (`"3"`), for `If-Match` and `If-None-Match`.',
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    },
    "X-Position": {
        "description": "The notification position of the command's last event: pass it as"
        " `X-Min-Position` to a list that must show this write.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Location": {
        "description": "The new case's URL.",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "WWW-Authenticate": {
        "description": 'The scheme to authenticate with: `Bearer realm="oversight"`.',
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the"
        " same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "X-Request-Id": {
        "description": "This request's id in the server's logs (the client's own, when it"
        " sent a valid one).",
        "schema": {"type": "string"},
    },
    "Content-Disposition": {
        "description": "The CSV file's name.",
        "schema": {"type": "string"},
    },
    "Content-Language": {
        "description": "`zh-CN` or `en`: the language of the CSV headers and values.",
        "schema": {"type": "string", "enum": ["zh-CN", "en"]},
    },
    "Link": {
        "description": "RFC 8288 links: the record of that period and its correction move.",
        "schema": {"type": "string"},
    },
}

# An Idempotency-Key: an sf-string ("...") or the same characters bare (api/idempotency.py).
_KEY_PATTERN = r'^("[\x20\x21\x23-\x5b\x5d-\x7e]{1,255}"|[\x21\x23-\x5b\x5d-\x7e]{1,255})$'

_PARAMETERS: dict[str, dict[str, Any]] = {
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The version the move is meant for (its `ETag`): 412 when the case"
        " moved on since. `*`: any version.",
        "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
    },
    "If-None-Match": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "Versions the client has (`ETag`s, comma-separated) or `*`: 304 when"
        " the answer would be one of them.",
        "schema": {"type": "string", "pattern": IF_NONE_MATCH_PATTERN},
    },
    "X-Min-Position": {
        "name": "X-Min-Position",
        "in": "header",
        "required": False,
        "description": "A position a command answered (`X-Position`): the answer waits"
        " (bounded) until the views have reached it, so it shows that write.",
        "schema": {"type": "string", "pattern": POSITION_PATTERN},
    },
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A key of the client's choice, unique per operation: a retry with the"
        " same key and request gets the first answer (24 hours, per account).",
        "schema": {"type": "string", "pattern": _KEY_PATTERN},
    },
}

# Every instant and day the API takes lies in the years a working-day calendar can be
# loaded for (api/inputs.py), as RFC 3339 writes them (no leap second: Python's
# datetime has none).
_DAY = r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?"
_OFFSET = r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DAY_PATTERN = f"^{_DAY}$"
INSTANT_INPUT_PATTERN = f"^{_DAY}T{_TIME}{_OFFSET}$"
# Query text never holds a control character (api/guards.py).
_NO_CONTROLS = r"^[^\u0000-\u001f\u007f]*$"
# Text in a body: no C0 control but tab, line feed and carriage return, and not only
# whitespace (domain/commands.py `Body`).
TEXT_PATTERN = (
    r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*"
    r"[^\s\u0000-\u001f]"
    r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$"
)
# Rules the domain checks in code, stated for the document, by the body field they are
# about (domain/credit_code.py, domain/project_commands.py, domain/commitment_commands.py).
FIELD_RULES: dict[str, dict[str, Any]] = {
    "credit_code": {
        "format": "credit-code",
        "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$",
        "description": "A unified social credit code (GB 32100-2015): 18 characters of"
        " 0-9 and A-Y but I, O, S, V, Z; the last is the check character of the others.",
    },
    "investment_cny": {
        "type": "string",
        "pattern": r"^([1-9][0-9]{0,14}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$",
        "description": "Yuan, as a decimal string: positive, below 10^15, at most two"
        " decimal places (fen). A JSON number is taken too.",
    },
    "materials": {"uniqueItems": True},
    "pledge_signed": {
        "const": True,
        "description": "The credit pledge (信用承诺书) is signed: an application needs it.",
    },
}


# --- what an operation is made of ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Operation:
    """The facts of one operation the document is completed from."""

    method: str
    path: str
    handler: HTTPRouteHandler

    @property
    def opt(self) -> Mapping[str, Any]:
        return self.handler.opt

    @property
    def public(self) -> bool:
        return bool(self.opt.get("exclude_from_auth")) or any(
            self.path.startswith(p) for p in PUBLIC_PATHS
        )

    @property
    def roles(self) -> list[str]:
        found: set[str] = set()
        for check in (*self.handler.resolve_guards(), *_hooks(self.handler)):
            found.update(str(r) for r in getattr(check, "roles", ()))
        return sorted(found)

    @property
    def body(self) -> Any:
        field = self.handler.parsed_fn_signature.parameters.get("data")
        return None if field is None else _unannotated(field.annotation)

    @property
    def returns(self) -> Any:
        """The success body's type: the handler's return annotation, or the route option
        `returns` for a handler that builds plain values."""
        if "returns" in self.opt:
            return self.opt["returns"]
        annotation = _unannotated(self.handler.parsed_fn_signature.return_type.annotation)
        if get_origin(annotation) is Response or annotation is Response:
            args = get_args(annotation)
            return _unannotated(args[0]) if args else None
        return annotation

    @property
    def uses_database(self) -> bool:
        return "services" in self.handler.parsed_fn_signature.parameters

    @property
    def request_headers(self) -> list[str]:
        names = list(self.opt.get("request_headers", ()))
        if self.method == "post":
            names.append("Idempotency-Key")
        return names

    @property
    def response_headers(self) -> list[str]:
        names = list(self.opt.get("response_headers", ()))
        if self.method == "post":
            names.append("Idempotent-Replayed")
        return [*names, "X-Request-Id"]


def _hooks(handler: HTTPRouteHandler) -> list[Any]:
    hook = handler.resolve_before_request()
    return [] if hook is None else [getattr(hook, "ref", hook)]


def _unannotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _statuses(op: Operation, parameters: list[dict[str, Any]]) -> dict[int, str]:
    """Each error status the operation can answer, with why."""
    found: dict[int, str] = {
        400: "Malformed: an unknown query parameter (named in `errors`), a malformed header"
        + (", or a body that is not JSON (or nests too deep, or repeats a key)" if op.body else "")
        + "."
    }
    if not op.public:
        found[401] = "No token, or one that is invalid or expired."
    if op.roles:
        found[403] = "The role may not do this (allowed: " + ", ".join(op.roles) + ")."
    if "{" in op.path:
        found[404] = "No such case, or not one this caller may see."
    if op.method == "post":
        found[409] = "A request with the same `Idempotency-Key` is still running (`Retry-After`)."
    if "If-Match" in op.request_headers:
        found[409] = (
            "The case's status (or its handler) forbids the move (`move-not-allowed`), or"
            " another move was stored first (`concurrent-update`)."
        )
        found[412] = "`If-Match` is not the case's current version (`stale-version`)."
    if op.body is not None:
        found[413] = "The body is larger than 1 MB."
        found[415] = "The body is not sent as `application/json` (UTF-8)."
    if op.body is not None or any(p.get("in") in ("query", "path") for p in parameters):
        found[422] = "Input that breaks a rule: `errors` names each field or parameter."
    if op.method == "post":
        found.setdefault(422, "Input that breaks a rule: `errors` names each field.")
        found[422] += " Also: the `Idempotency-Key` was used for another request."
    if (op.method == "post" and op.handler.status_code == 201) or op.public:
        found[429] = "Over a rate limit (`Retry-After`: seconds until the window closes)."
    if op.uses_database:
        found[503] = "The database cannot be reached just now (`Retry-After`)."
        if "X-Min-Position" in op.request_headers:
            found[503] += " Or the views did not reach `X-Min-Position` in time."
    found.update(op.opt.get("statuses", {}))
    return dict(sorted(found.items()))


# --- the document -------------------------------------------------------------------


def _structs_in(annotation: Any) -> Iterator[type[msgspec.Struct]]:
    annotation = _unannotated(annotation)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _structs_in(arg)


def _shorten(names: list[str]) -> dict[str, str]:
    """msgspec names a component by its class, or by its full dotted path when two
    classes share a name: keep the shortest unique tail of those (`complaint.Status`)."""
    dotted = [n for n in names if "." in n]
    short: dict[str, str] = {}
    for name in dotted:
        parts = name.split(".")
        for size in range(2, len(parts) + 1):
            tail = ".".join(parts[-size:])
            if sum(1 for other in dotted if other == tail or other.endswith("." + tail)) == 1:
                short[name] = tail
                break
    return short


def _rewrite_refs(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF) and ref[len(REF) :] in names:
            return {**value, "$ref": REF + names[ref[len(REF) :]]}
        return {k: _rewrite_refs(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_refs(v, names) for v in value]
    return value


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            yield ref[len(REF) :]
        for v in value.values():
            yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


def complete(document: dict[str, Any], routes: Mapping[str, HTTPRoute]) -> dict[str, Any]:
    """The document Litestar wrote, made exact (module docstring)."""
    operations: list[tuple[dict[str, Any], Operation]] = []
    for path, item in document.get("paths", {}).items():
        route = routes.get(path)
        if route is None:
            continue
        for method, operation in item.items():
            entry = route.route_handler_map.get(method.upper())
            if entry is not None and isinstance(operation, dict):
                operations.append((operation, Operation(method, path, entry[0])))

    # One schema per Struct, msgspec's own, for every body in and out.
    types: dict[type[msgspec.Struct], None] = dict.fromkeys(_PROBLEM_TYPES)
    for _, op in operations:
        for annotation in (op.body, op.returns):
            types.update(dict.fromkeys(_structs_in(annotation)))
    ordered = list(types)
    tops, found = msgspec.json.schema_components(ordered, ref_template=REF + "{name}")
    short = _shorten(list(found))
    components = {short.get(k, k): _rewrite_refs(v, short) for k, v in found.items()}
    schema_of = {t: _rewrite_refs(s, short) for t, s in zip(ordered, tops, strict=True)}
    inputs = {op.body for _, op in operations if op.body in schema_of}
    for name in _reachable([schema_of[t] for t in inputs], components):
        _constrain_input(components[name])

    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(components)
    document["components"]["headers"] = copy.deepcopy(_HEADERS)
    document["components"]["parameters"] = copy.deepcopy(_PARAMETERS)
    problem = schema_of[Problem]

    for operation, op in operations:
        parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
        for parameter in parameters:
            _constrain_parameter(parameter, op.handler)
        parameters.extend({"$ref": "#/components/parameters/" + n} for n in op.request_headers)
        if op.public:
            operation["security"] = op.opt.get("security_doc", [{}])
        body = op.body
        if body is not None and "requestBody" in operation:
            media = operation["requestBody"]["content"].setdefault("application/json", {})
            if body in schema_of:
                media["schema"] = schema_of[body]
            examples = op.opt.get("body_examples")
            if examples:
                media["examples"] = {name: {"value": value} for name, value in examples.items()}
        _complete_responses(operation, op, schema_of, problem, parameters)

    _one_name_per_enum(document, components)
    _drop_unused(document)
    return document


def _complete_responses(
    operation: dict[str, Any],
    op: Operation,
    schema_of: Mapping[Any, Any],
    problem: dict[str, Any],
    parameters: list[dict[str, Any]],
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    success = str(op.handler.status_code)
    answer = responses.setdefault(success, {"description": "Done."})
    returned = op.returns
    content = answer.setdefault("content", {})
    if returned in schema_of:
        media = next((m for m in content if m.startswith("application/json")), None)
        media = media or next(iter(content), "application/json")
        content[media] = {"schema": schema_of[returned]}
    if "text/event-stream" in content:
        content["text/event-stream"] = {
            "schema": {
                "type": "string",
                "description": op.opt.get("stream", "Server-sent events."),
            }
        }
    if op.opt.get("csv"):
        content["text/csv"] = {
            "schema": {
                "type": "string",
                "description": "Every page of the list (or the figures), as CSV: UTF-8 with a"
                " byte-order mark; headers and values in Chinese for `Accept-Language: zh-CN`.",
            }
        }
    headers = answer.setdefault("headers", {})
    names = list(op.response_headers)
    if op.opt.get("csv"):
        names += ["Content-Disposition", "Content-Language"]
    for name in names:
        headers[name] = {"$ref": "#/components/headers/" + name}
    if "If-None-Match" in op.request_headers:
        responses["304"] = {
            "description": "Not modified: the version named in `If-None-Match` is the one the"
            " answer would show.",
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        }
    for status, why in _statuses(op, parameters).items():
        error: dict[str, Any] = {
            "description": why,
            "content": {ERROR_MEDIA_TYPE: {"schema": problem}},
        }
        error_headers = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
        if status in (429, 503) or (status == 409 and op.method == "post"):
            error_headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        if status == 401:
            error_headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
        if status == 409 and "Link" in op.opt.get("error_headers", ()):
            error_headers["Link"] = {"$ref": "#/components/headers/Link"}
        error["headers"] = error_headers
        responses[str(status)] = error


def _constrain_parameter(parameter: dict[str, Any], handler: HTTPRouteHandler) -> None:
    """What every query parameter keeps: no control characters in text, days and
    instants in the years 1900-2199, and the exact bounds of whole numbers (Litestar
    writes them as floats, which cannot hold 2^63 - 1)."""
    if parameter.get("in") not in ("query", "path"):
        return
    schema = parameter.get("schema", {})
    # Litestar puts a nullable parameter's constraints beside its oneOf: move each into
    # the branch of the type it constrains.
    for key, kind in _KEYWORD_TYPES.items():
        if key in schema and "oneOf" in schema:
            for branch in schema["oneOf"]:
                if branch.get("type") in kind:
                    branch[key] = schema[key]
            del schema[key]
    bounds = _bounds(handler, parameter.get("name", ""))
    for branch in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        if branch.get("type") == "integer":
            branch.update(bounds)
        if branch.get("type") != "string":
            continue
        if branch.get("format") == "date":
            branch["pattern"] = DAY_PATTERN
        elif branch.get("format") == "date-time":
            branch["pattern"] = INSTANT_INPUT_PATTERN
        elif "format" not in branch and "pattern" not in branch and "enum" not in branch:
            branch["pattern"] = _NO_CONTROLS


_KEYWORD_TYPES = {
    "pattern": ("string",),
    "format": ("string",),
    "minLength": ("string",),
    "maxLength": ("string",),
    "minimum": ("integer", "number"),
    "maximum": ("integer", "number"),
    "exclusiveMinimum": ("integer", "number"),
    "exclusiveMaximum": ("integer", "number"),
}


def _bounds(handler: HTTPRouteHandler, public: str) -> dict[str, int]:
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if (getattr(kwarg, "name", None) or getattr(kwarg, "query", None) or name) != public:
            continue
        found = {}
        for attribute, key in (("ge", "minimum"), ("le", "maximum")):
            value = getattr(kwarg, attribute, None)
            if isinstance(value, int) and not isinstance(value, bool):
                found[key] = value
        return found
    return {}


def _constrain_input(schema: Any, field: str | None = None) -> None:
    """What every body the API takes keeps that msgspec's schema does not say: text
    rules, days and instants as in parameters, and `FIELD_RULES`."""
    if isinstance(schema, list):
        for value in schema:
            _constrain_input(value, field)
        return
    if not isinstance(schema, dict):
        return
    if field in FIELD_RULES and schema.get("type") in ("string", "array", "boolean"):
        schema.update(FIELD_RULES[field])
        if schema.get("format") == "decimal":
            schema.pop("format")
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema:
        if schema.get("format") == "date":
            schema["pattern"] = DAY_PATTERN
        elif schema.get("format") == "date-time":
            schema["pattern"] = INSTANT_INPUT_PATTERN
        elif "format" not in schema and "pattern" not in schema:
            schema["pattern"] = TEXT_PATTERN
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            for name, child in value.items():
                _constrain_input(child, name)
        elif key == "items":
            _constrain_input(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            _constrain_input(value, field)


def _one_name_per_enum(document: dict[str, Any], ours: Mapping[str, Any]) -> None:
    """Parameters refer to Litestar's component of an enumeration (`complaint_Status`);
    bodies to msgspec's (`complaint.Status`): one name for both."""
    schemas = document["components"]["schemas"]
    same: dict[str, str] = {}
    for name, schema in schemas.items():
        if name in ours or "enum" not in schema:
            continue
        for other, mine in ours.items():
            values = mine.get("enum")
            if (
                values is not None
                and sorted(map(str, values)) == sorted(map(str, schema["enum"]))
                and mine.get("title") == schema.get("title")
            ):
                same[name] = other
                break
    if same:
        document["paths"] = _rewrite_refs(document["paths"], same)


def _reachable(roots: list[Any], schemas: Mapping[str, Any]) -> set[str]:
    """The components `roots` refer to, directly or through others."""
    found: set[str] = set()
    pending = [name for root in roots for name in _refs(root)]
    while pending:
        name = pending.pop()
        if name in found or name not in schemas:
            continue
        found.add(name)
        pending.extend(_refs(schemas[name]))
    return found


def _drop_unused(document: dict[str, Any]) -> None:
    """Litestar's own components of the Structs (now msgspec's) are no longer referred to."""
    schemas = document["components"]["schemas"]
    used = _reachable([{k: v for k, v in document.items() if k != "components"}], schemas)
    for name in [n for n in schemas if n not in used]:
        del schemas[name]


# --- the plugin -----------------------------------------------------------------------


class _ContractOpenAPI(OpenAPI):
    """The document as Litestar builds it; `to_schema` completes it (`complete`)."""

    routes: Mapping[str, HTTPRoute]  # set after construction: not a field of the spec

    def to_schema(self) -> dict[str, Any]:
        return complete(super().to_schema(), self.routes)


class _ContractOpenAPIConfig(OpenAPIConfig):
    routes: Mapping[str, HTTPRoute]  # set after construction: not a field of the config

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        document = _ContractOpenAPI(
            **{f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
        )
        document.routes = self.routes
        return document


class ContractPlugin(InitPlugin, ReceiveRoutePlugin):
    """Completes the app's OpenAPI document (module docstring). Add it to the app's
    plugins; it keeps the app's `OpenAPIConfig` and its routes."""

    def __init__(self) -> None:
        self.routes: dict[str, HTTPRoute] = {}

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        config = app_config.openapi_config
        if config is not None and not isinstance(config, _ContractOpenAPIConfig):
            contract = copy.copy(config)  # the same values, not constructed again
            contract.__class__ = _ContractOpenAPIConfig
            assert isinstance(contract, _ContractOpenAPIConfig)
            contract.routes = self.routes
            app_config.openapi_config = contract
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        if isinstance(route, HTTPRoute):
            self.routes[route.path_format or "/"] = route
