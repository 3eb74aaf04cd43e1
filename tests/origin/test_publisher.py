"""The async GRIP publisher: batching, order, retry, several endpoints, counted failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from liveqa.grip.publish import ws_item
from liveqa.origin.publisher import Publisher, PublishTarget

from .conftest import PublishRecorder, recorder_running


@pytest.fixture
async def second() -> AsyncIterator[PublishRecorder]:
    """Another running fake publish endpoint, beside `recorder`."""
    async with recorder_running() as recorder:
        yield recorder


async def test_items_reach_every_endpoint_in_order_with_auth(
    recorder: PublishRecorder, second: PublishRecorder
) -> None:
    publisher = Publisher(
        [PublishTarget(recorder.url, lambda: "Bearer k1"), PublishTarget(second.url)], batch_size=10
    )
    await publisher.start()
    try:
        futures = [publisher.publish([ws_item("room-a", f"m{i}")]) for i in range(25)]
        await asyncio.wait_for(asyncio.gather(*futures), 5)
    finally:
        await publisher.close()
    for endpoint in (recorder, second):
        contents = [item["formats"]["ws-message"]["content"] for item in endpoint.items()]
        assert contents == [f"m{i}" for i in range(25)]
        assert 3 <= len(endpoint.bodies) < 25
    assert set(recorder.authorization) == {"Bearer k1"}
    assert set(second.authorization) == {None}
    stats = publisher.stats[recorder.url]
    assert (stats.items, stats.failed_items) == (25, 0)


async def test_one_retry_then_the_items_are_counted_as_failed(recorder: PublishRecorder) -> None:
    publisher = Publisher([PublishTarget(recorder.url)], retry_delay=0.01)
    await publisher.start()
    try:
        recorder.failures = 1
        await asyncio.wait_for(publisher.publish([ws_item("c", "retried")]), 5)
        recorder.failures = 2
        await asyncio.wait_for(publisher.publish([ws_item("c", "lost")]), 5)
        # Down now: nobody waits for the next item, which still gets its one try.
        assert publisher.publish([ws_item("c", "after")]).done()
        await recorder.until_items(2)
    finally:
        await publisher.close()
    assert [item["formats"]["ws-message"]["content"] for item in recorder.items()] == [
        "retried",
        "after",
    ]
    stats = publisher.stats[recorder.url]
    assert (stats.retries, stats.failed_requests, stats.failed_items) == (2, 3, 1)


async def test_unreachable_endpoint_does_not_hang(recorder: PublishRecorder) -> None:
    assert recorder.server is not None
    url = recorder.url
    await recorder.server.close()
    publisher = Publisher([PublishTarget(url)], retry_delay=0.01, timeout=1.0)
    await publisher.start()
    try:
        await asyncio.wait_for(publisher.publish([ws_item("c", "x")]), 5)
    finally:
        await publisher.close()
    assert publisher.stats[url].failed_items == 1


async def test_publish_with_nothing_and_full_queue() -> None:
    publisher = Publisher([PublishTarget("http://127.0.0.1:9/publish/")], max_queued=2)
    assert publisher.publish([]).done()
    delivery = publisher.publish([ws_item("c", str(i)) for i in range(3)])
    assert publisher.stats["http://127.0.0.1:9/publish/"].dropped_items == 1
    await publisher.close()
    assert delivery.done()


async def test_a_dead_endpoint_holds_no_one_up_and_is_logged_once(
    recorder: PublishRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    dead = "http://127.0.0.1:9/publish/"
    publisher = Publisher([PublishTarget(recorder.url), PublishTarget(dead)], retry_delay=0.05)
    await publisher.start()
    try:
        with caplog.at_level(logging.WARNING, "liveqa.origin.publisher"):
            # The first publish finds out, with one retry: then the endpoint is down.
            await asyncio.wait_for(publisher.publish([ws_item("c", "first")]), 5)
            for index in range(50):
                delivery = publisher.publish([ws_item("c", str(index))])
                # Only the live endpoint is waited for.
                await asyncio.wait_for(delivery, 5)
                assert publisher.stats[dead].retries == 1
            await recorder.until_items(51)
            alone = Publisher([PublishTarget(dead)])
            alone.endpoints[0].down_until = publisher.endpoints[1].down_until
            assert alone.publish([ws_item("c", "nobody waits")]).done()
            await alone.close()
    finally:
        await publisher.close()
    assert [record.getMessage()[:40] for record in caplog.records] == [
        f"publish to {dead} failed ("[:40]
    ]
