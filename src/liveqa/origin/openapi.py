"""The OpenAPI 3.1 document, generated from the same Structs that validate the requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from liveqa.origin.api import CLIENT_HEADER, JSON, Operation, Response, guarded
from liveqa.origin.schemas import ErrorBody
from liveqa.origin.session import COOKIE_NAME

REF = "#/components/schemas/{name}"

ERROR_DESCRIPTIONS = {
    400: "the request is malformed or breaks a limit",
    401: "no valid session (or, for the socket endpoint, no valid Grip-Sig)",
    403: "not allowed for you (hosts or the owner only, wrong host key, room closed...), or no "
    f"JSON body and no {CLIENT_HEADER} header",
    404: "no such room (or no such host in it)",
    409: "conflicts with the current state (room id taken, the owner cannot be removed)",
    413: "the request body is too large",
    415: "the body must be application/json",
    429: "too many requests of this kind: slow down",
}


def build_document(operations: Sequence[Operation], *, title: str, version: str) -> dict[str, Any]:
    """OpenAPI 3.1 for `operations`: schemas from msgspec, one error schema for every error."""
    types: list[Any] = [ErrorBody]
    for operation in operations:
        if operation.request is not None:
            types.append(operation.request)
        types.extend(r.body for r in operation.responses if r.body is not None)
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(unique, ref_template=REF)
    schema_of = dict(zip(unique, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, schema_of
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME},
            },
        },
    }


def _parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


def _response(response: Response, schema_of: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": response.description}
    if response.body is not None:
        out["content"] = {response.media_type: {"schema": schema_of[response.body]}}
    return out


def _operation(operation: Operation, schema_of: dict[Any, Any]) -> dict[str, Any]:
    responses = {str(r.status): _response(r, schema_of) for r in operation.responses}
    parameters = _parameters(operation.path)
    errors = set(operation.errors)
    if guarded(operation.method, operation.path):
        # Required where no JSON body can stand in for it; OpenAPI cannot say "one of the two".
        parameters.append(
            {
                "name": CLIENT_HEADER,
                "in": "header",
                "required": operation.request is None,
                "description": "what no page of another site can send without a CORS "
                "preflight: needed unless the request has a JSON body; any value (the web "
                "client sends 1)",
                "schema": {"type": "string"},
            }
        )
        errors |= {403, 415}
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {JSON: {"schema": schema_of[ErrorBody]}},
        }
        if status == 429:
            responses["429"]["headers"] = {
                "Retry-After": {
                    "description": "seconds until the request may succeed",
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
    out: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": operation.handler.__name__,
        "parameters": parameters,
        "responses": responses,
        "security": [{"session": []}, {}],
    }
    if operation.request is not None:
        out["requestBody"] = {
            "required": not operation.request_optional,
            "content": {JSON: {"schema": schema_of[operation.request]}},
        }
    out.update(operation.extra)
    return out
