"""The OpenAPI document: generated from the Structs, covering every API route."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from liveqa.origin.app import ALL_OPERATIONS, DOCUMENT, create_app

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
    assert set(rooms["responses"]) == {"201", "400", "401", "409", "415", "429"}
    assert rooms["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateRoomRequest"
    }
    snapshot = document["paths"]["/api/rooms/{roomId}"]["get"]
    assert snapshot["parameters"][0]["name"] == "roomId"
