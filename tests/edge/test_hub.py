"""Channel registry and the framed-once, flushed-per-tick fan-out."""

from __future__ import annotations

import asyncio

from liveqa.edge import frames
from liveqa.edge.hub import SUBSCRIPTION_LIMIT, Hub
from liveqa.edge.metrics import EdgeMetrics
from liveqa.grip.publish import PublishItem, WsMessage, ws_close_item, ws_item


class FakeSubscriber:
    """Records what the hub writes and asks of it."""

    def __init__(self) -> None:
        self.outbox: bytes | list[bytes] | None = None
        self.channels: set[str] = set()
        self.written: list[bytes] = []
        self.flushes = 0
        self.closed: tuple[int | None, str] | None = None
        self.refreshed = 0

    def flush(self) -> None:
        self.flushes += 1
        assert self.outbox is not None
        outbox = self.outbox
        self.written.append(outbox if isinstance(outbox, bytes) else b"".join(outbox))
        self.outbox = None

    def close_by_publisher(self, code: int | None, reason: str) -> None:
        self.closed = (code, reason)

    def refresh(self) -> None:
        self.refreshed += 1


async def tick() -> None:
    await asyncio.sleep(0)


async def test_one_frame_shared_by_every_subscriber_and_one_write_per_tick() -> None:
    hub = Hub(EdgeMetrics())
    subscribers = [FakeSubscriber() for _ in range(3)]
    for subscriber in subscribers:
        hub.subscribe(subscriber, "room")
    hub.publish(ws_item("room", "one"))
    hub.publish(ws_item("room", b"\x00two"))
    frame_objects = {id(s.outbox[0]) for s in subscribers if isinstance(s.outbox, list)}
    assert len(frame_objects) == 1
    await tick()
    expected = frames.encode_frame(frames.TEXT, b"one") + frames.encode_frame(
        frames.BINARY, b"\x00two"
    )
    for subscriber in subscribers:
        assert subscriber.written == [expected]
        assert subscriber.flushes == 1
    assert hub.metrics.deliveries_total == 6
    assert hub.metrics.published_items_total == 2


async def test_other_channels_and_unsubscribed_get_nothing() -> None:
    hub = Hub(EdgeMetrics())
    inside, outside, left = FakeSubscriber(), FakeSubscriber(), FakeSubscriber()
    hub.subscribe(inside, "a")
    hub.subscribe(outside, "b")
    hub.subscribe(left, "a")
    hub.unsubscribe(left, "a")
    hub.publish(ws_item("a", "hi"))
    await tick()
    assert inside.written
    assert not outside.written
    assert not left.written
    assert hub.metrics.subscriptions == 2


async def test_items_without_ws_message_or_subscribers_are_ignored() -> None:
    hub = Hub(EdgeMetrics())
    subscriber = FakeSubscriber()
    hub.subscribe(subscriber, "a")
    hub.publish(PublishItem(channel="a"))
    hub.publish(ws_item("nobody", "x"))
    await tick()
    assert not subscriber.written
    assert hub.metrics.deliveries_total == 0


async def test_close_and_refresh_actions() -> None:
    hub = Hub(EdgeMetrics())
    subscriber = FakeSubscriber()
    hub.subscribe(subscriber, "a")
    hub.publish(ws_close_item("a", 4001, "bye"))
    hub.publish(PublishItem(channel="a", ws_message=WsMessage(action="refresh")))
    assert subscriber.closed == (4001, "bye")
    assert subscriber.refreshed == 1


def test_subscription_limit_and_remove() -> None:
    hub = Hub(EdgeMetrics())
    subscriber = FakeSubscriber()
    assert all(hub.subscribe(subscriber, f"c{i}") for i in range(SUBSCRIPTION_LIMIT))
    assert not hub.subscribe(subscriber, "one-too-many")
    assert hub.subscribe(subscriber, "c0")
    hub.remove(subscriber)
    assert hub.channels == {}
    assert subscriber.channels == set()
    assert hub.metrics.subscriptions == 0


async def test_items_with_ids_are_put_in_prev_id_order() -> None:
    hub = Hub(EdgeMetrics())
    subscriber = FakeSubscriber()
    hub.subscribe(subscriber, "room")

    def numbered(seq: int) -> PublishItem:
        base = ws_item("room", str(seq))
        return PublishItem(
            channel="room", id=str(seq), prev_id=str(seq - 1), ws_message=base.ws_message
        )

    for seq in (1, 3, 2):
        hub.publish(numbered(seq))
    await tick()
    assert subscriber.written == [
        b"".join(frames.encode_frame(frames.TEXT, str(seq).encode()) for seq in (1, 2, 3))
    ]


async def test_a_channel_without_subscribers_keeps_no_order_state() -> None:
    hub = Hub(EdgeMetrics())
    hub.publish(PublishItem(channel="empty", id="5", prev_id="4", ws_message=WsMessage()))
    subscriber = FakeSubscriber()
    hub.subscribe(subscriber, "empty")
    hub.publish(ws_item("empty", "first"))
    hub.publish(PublishItem(channel="empty", id="9", prev_id="8", ws_message=WsMessage()))
    await tick()
    assert subscriber.written == [
        frames.encode_frame(frames.TEXT, b"first") + frames.encode_frame(frames.TEXT, b"")
    ]
    assert hub.metrics.held_items_total == 0
