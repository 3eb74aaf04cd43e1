"""The origin's `/metrics`: responses, database transactions, publishes and the process."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from liveqa import logs
from liveqa.origin.app import operations_app
from liveqa.origin.metrics import OriginMetrics, Responses
from liveqa.origin.publisher import Publisher, PublishTarget
from liveqa.store import Database

from .conftest import Origin, Socket

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(app: web.Application) -> Samples:
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(operations_app(app)))
    async with client, client.get("/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return parse(await response.text())


async def test_metrics_count_responses_writes_and_publishes(origin: Origin) -> None:
    host, _ = await origin.host_and_guest()
    assert (await host.request("GET", "/api/rooms/nowhere"))[0] == 404
    socket = Socket(host, "town-hall")
    await socket.open()
    await socket.send({"type": "QUESTION_POST_TO_ROOM", "questionText": "Why?", "nonce": "n1"})
    await origin.recorder.until_items(1)
    samples = await scrape(origin.server.app)
    assert samples[("liveqa_origin_http_responses_total", (("code", "2xx"),))] >= 5
    assert samples[("liveqa_origin_http_responses_total", (("code", "4xx"),))] == 1
    writes = samples[("liveqa_origin_database_transaction_seconds_count", (("kind", "write"),))]
    assert writes >= 3
    infinite = (("kind", "write"), ("le", "+Inf"))
    assert samples[("liveqa_origin_database_transaction_seconds_bucket", infinite)] == writes
    assert samples[("liveqa_origin_database_transaction_seconds_sum", (("kind", "write"),))] > 0
    target = (("target", origin.recorder.url),)
    assert samples[("liveqa_origin_publish_requests_total", target)] >= 1
    assert samples[("liveqa_origin_published_items_total", target)] >= 1
    assert samples[("liveqa_origin_publish_failures_total", target)] == 0
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert "python_info" in {name for name, _ in samples}


async def test_failed_publishes_and_rollbacks_are_counted(tmp_path: object) -> None:
    database = Database.connect(f"sqlite:///{tmp_path}/metrics.db")
    publisher = Publisher([PublishTarget("http://127.0.0.1:9/publish/")])
    stats = publisher.stats["http://127.0.0.1:9/publish/"]
    stats.requests, stats.failed_requests, stats.failed_items = 4, 2, 7
    try:
        with pytest.raises(RuntimeError):
            async with database.write():
                raise RuntimeError("refused inside the transaction")
        samples = parse(OriginMetrics(Responses(), database, publisher).render().decode())
    finally:
        await database.close()
    target = (("target", "http://127.0.0.1:9/publish/"),)
    assert samples[("liveqa_origin_publish_failures_total", target)] == 2
    assert samples[("liveqa_origin_publish_lost_items_total", target)] == 7
    assert samples[("liveqa_origin_database_rollbacks_total", (("kind", "write"),))] == 1
    assert samples[("liveqa_origin_database_rollbacks_total", (("kind", "read"),))] == 0


async def test_log_lines_about_a_socket_request_carry_its_connection_id(
    origin: Origin, capsys: pytest.CaptureFixture[str]
) -> None:
    host, _ = await origin.host_and_guest()
    socket = Socket(host, "town-hall")
    await socket.open()
    logs.setup("warning", "json")
    socket.connection_id = "moved-connection"
    await socket.send({"type": "QUESTION_POST_TO_ROOM", "questionText": "Hi?", "nonce": "n2"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    about = [line for line in lines if "not bound to this connection" in line["message"]]
    assert [line.get("connection_id") for line in about] == ["moved-connection"]
