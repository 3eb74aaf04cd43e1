"""The OpenAPI document: generated from the Structs, covering every API route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from liveqa.origin.app import ALL_OPERATIONS, DOCUMENT, create_app
from liveqa.origin.openapi import build_document

from .conftest import Origin, PublishRecorder, origin_config


def _api_routes(app: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if path and path.startswith("/api/") and route.method != "HEAD":
            routes.add((route.method.lower(), path))
    return routes


async def test_every_api_route_is_documented(tmp_path: Path, recorder: PublishRecorder) -> None:
    app = create_app(origin_config(f"sqlite:///{tmp_path}/doc.db", recorder))
    routes = _api_routes(app)
    assert len(routes) == len(ALL_OPERATIONS)
    document = app[DOCUMENT]
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert routes == documented


async def test_document_is_served_and_uses_the_request_structs(origin: Origin) -> None:
    browser = origin.browser()
    status, document = await browser.request("GET", "/api/openapi.json")
    assert status == 200
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    create = schemas["CreateRoomRequest"]
    assert create["required"] == ["roomId"]
    assert set(create["properties"]) == {"roomId", "displayName", "themeColor"}
    assert create["additionalProperties"] is False
    assert schemas["ErrorBody"]["required"] == ["error"]
    rooms = document["paths"]["/api/rooms"]["post"]
    assert set(rooms["responses"]) == {"201", "400", "401", "403", "409", "415", "429"}
    assert rooms["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateRoomRequest"
    }
    snapshot = document["paths"]["/api/rooms/{roomId}"]["get"]
    assert snapshot["parameters"][0]["name"] == "roomId"


def test_changes_document_the_client_header() -> None:
    document = build_document(ALL_OPERATIONS, title="liveqa", version="0")

    def header(path: str, method: str) -> dict[str, Any] | None:
        parameters = document["paths"][path][method]["parameters"]
        return next((p for p in parameters if p["name"] == "X-LiveQA"), None)

    def required(path: str, method: str) -> bool | None:
        found = header(path, method)
        return None if found is None else bool(found["required"])

    assert required("/api/rooms/{roomId}/hosts/{participantId}", "delete") is True
    # Rotating takes an optional body, so a JSON body or the header will do.
    assert required("/api/rooms/{roomId}/host-key", "post") is False
    for path, method in [("/api/session", "post"), ("/api/rooms", "post"), ("/api/me", "patch")]:
        assert "403" in document["paths"][path][method]["responses"]
        assert required(path, method) is False, path
    assert header("/api/rooms/{roomId}", "get") is None
    assert header("/api/websocket", "post") is None
    limited = document["paths"]["/api/session"]["post"]["responses"]["429"]
    assert limited["headers"]["Retry-After"]["schema"]["type"] == "integer"
