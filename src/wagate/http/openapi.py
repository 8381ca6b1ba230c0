"""OpenAPI for routes that read their parameters themselves.

Wawp routes take the raw :class:`~starlette.requests.Request` (see
:mod:`wagate.http.params`), so FastAPI cannot see their parameters. :func:`openapi_extra`
describes a route's parameter model as query parameters and a request body,
:func:`install` adds the models' JSON schemas (and the ``Error`` envelope) to the
generated document, and :func:`error_responses` documents a route's error statuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

__all__ = [
    "ERROR_SCHEMA",
    "REF_TEMPLATE",
    "component_name",
    "error_responses",
    "install",
    "openapi_extra",
]

REF_TEMPLATE = "#/components/schemas/{model}"

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODY_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")
_STATE_MODELS = "wagate_openapi_models"
_STATE_INSTALLED = "wagate_openapi_installed"

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message", "data"],
    "properties": {
        "code": {"type": "string", "description": "A stable error code."},
        "message": {"type": "string", "description": "A human-readable explanation."},
        "data": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "integer", "description": "The HTTP status."}},
        },
    },
}
"""The JSON schema of the error envelope ``{"code", "message", "data": {"status"}}``."""

_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Missing or invalid parameter",
    401: "Missing or invalid access token",
    404: "Unknown instance",
    409: "Illegal in the current session status",
    413: "Request body too large",
    422: "Not supported by this engine",
    429: "Rate limited",
    502: "WhatsApp or the engine failed",
}


def component_name(model: type[BaseModel]) -> str:
    """The name of ``model`` under ``#/components/schemas`` (its class name, sanitized)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", model.__name__)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=component_name(model))}


def openapi_extra(
    model: type[BaseModel], methods: Iterable[str], *, path: str = ""
) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose parameters are ``model``.

    Every top-level field becomes an ``in: query`` parameter (its alias, whether it is
    required, its description and its schema); routes with a body method (POST, PUT,
    PATCH, DELETE) also get an optional ``requestBody`` (JSON or urlencoded form)
    referencing the model's component schema — register the model with :func:`install`.
    Object-valued parameters use ``style: deepObject`` (PHP's ``file[url]=…``). Fields
    named in the ``path`` template (``/presence/{chatId}``) are path parameters.
    """
    in_path = set(re.findall(r"{(\w+)}", path))
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, mode="validation")
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    parameters: list[dict[str, Any]] = []
    for name, prop in properties.items():
        prop_schema = {key: value for key, value in prop.items() if key != "description"}
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path" if name in in_path else "query",
            "required": name in required or name in in_path,
            "schema": prop_schema,
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        if prop_schema.get("type") == "object" or "$ref" in prop_schema:
            parameter["style"] = "deepObject"
            parameter["explode"] = True
        parameters.append(parameter)
    extra: dict[str, Any] = {"parameters": parameters}
    if any(method.upper() in _BODY_METHODS for method in methods):
        extra["requestBody"] = {
            "required": False,
            "content": {media_type: {"schema": _ref(model)} for media_type in _BODY_MEDIA_TYPES},
        }
    return extra


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Route ``responses=`` documenting the error envelope for each of ``statuses``."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = _ERROR_DESCRIPTIONS.get(status)
        if description is None:
            try:
                description = HTTPStatus(status).phrase
            except ValueError:
                description = "Error"
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _models_of(app: FastAPI) -> list[type[BaseModel]]:
    models = getattr(app.state, _STATE_MODELS, None)
    if not isinstance(models, list):
        models = []
        setattr(app.state, _STATE_MODELS, models)
    return models


def _add_components(document: dict[str, Any], models: Iterable[type[BaseModel]]) -> None:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template=REF_TEMPLATE, mode="validation")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas.setdefault(component_name(model), schema)
    schemas.setdefault("Error", ERROR_SCHEMA)


def install(app: FastAPI, models: Iterable[type[BaseModel]]) -> None:
    """Make ``app``'s OpenAPI document carry ``models`` and ``Error`` as component schemas.

    May be called more than once (the models accumulate, in ``app.state``); it discards
    an already generated document so that the next request regenerates it.
    """
    registered = _models_of(app)
    for model in models:
        if model not in registered:
            registered.append(model)
    app.openapi_schema = None
    if getattr(app.state, _STATE_INSTALLED, False):
        return
    setattr(app.state, _STATE_INSTALLED, True)
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        _add_components(document, _models_of(app))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
