"""Channels and fan-out: each published message is framed once and queued to every subscriber.

The hot path is the project's own code: a subscriber's frames are only appended to a list here,
and every connection with queued bytes is written once per loop tick, so one publish to 15,000
sockets never awaits any of them and a slow reader cannot stall the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from liveqa.edge import frames
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.sequencer import Sequencer
from liveqa.grip.publish import PublishItem

SUBSCRIPTION_LIMIT = 20


ChannelCallback = Callable[[str], None]


def _ignore(channel: str) -> None:
    """The channel callback of a hub nobody watches."""


class Subscriber(Protocol):
    """What the hub needs of a client connection."""

    # One frame as bytes, several as a list: the common single frame allocates nothing the
    # garbage collector tracks, so fan-out to thousands of sockets does not trigger collections.
    outbox: bytes | list[bytes] | None
    channels: set[str]

    def flush(self) -> None:
        """Write the outbox to the socket in one call."""

    def close_by_publisher(self, code: int | None, reason: str) -> None:
        """Close because a publish asked for it."""

    def refresh(self) -> None:
        """Ask the origin for news (the `refresh` action)."""


class Hub:
    """Subscriptions by channel, and the per-tick flush of queued frames."""

    def __init__(self, metrics: EdgeMetrics) -> None:
        self.metrics = metrics
        self.channels: dict[str, set[Subscriber]] = {}
        self._dirty: list[Subscriber] = []
        self._flush_scheduled = False
        self._channel_opened: ChannelCallback = _ignore
        self._channel_closed: ChannelCallback = _ignore
        self.sequencer = Sequencer(self._fan_out, metrics)

    def watch_channels(self, opened: ChannelCallback, closed: ChannelCallback) -> None:
        """Call `opened` when a channel gets its first subscriber and `closed` after its last."""
        # Only subscribe and unsubscribe call them, so fan-out pays nothing for a watcher.
        self._channel_opened = opened
        self._channel_closed = closed

    def subscribe(self, subscriber: Subscriber, channel: str) -> bool:
        """Add a subscription; False when the connection already has the maximum."""
        if channel in subscriber.channels:
            return True
        if len(subscriber.channels) >= SUBSCRIPTION_LIMIT:
            return False
        subscriber.channels.add(channel)
        members = self.channels.get(channel)
        if members is None:
            self.channels[channel] = {subscriber}
            self._channel_opened(channel)
        else:
            members.add(subscriber)
        self.metrics.subscriptions += 1
        return True

    def unsubscribe(self, subscriber: Subscriber, channel: str) -> None:
        """Remove one subscription, if present."""
        if channel not in subscriber.channels:
            return
        subscriber.channels.discard(channel)
        members = self.channels.get(channel)
        if members is not None:
            members.discard(subscriber)
            if not members:
                del self.channels[channel]
                self.sequencer.forget(channel)
                self._channel_closed(channel)
        self.metrics.subscriptions -= 1

    def remove(self, subscriber: Subscriber) -> None:
        """Forget every subscription of a closing connection."""
        for channel in list(subscriber.channels):
            self.unsubscribe(subscriber, channel)

    def queue(self, subscriber: Subscriber, frame: bytes) -> None:
        """Queue one frame for one connection (replies, keep-alives)."""
        outbox = subscriber.outbox
        if outbox is None:
            subscriber.outbox = frame
            self._dirty.append(subscriber)
            self._schedule_flush()
        elif isinstance(outbox, bytes):
            subscriber.outbox = [outbox, frame]
        else:
            outbox.append(frame)

    def publish(self, item: PublishItem) -> None:
        """Deliver one published item to the channel's WebSocket subscribers, in prev-id order."""
        self.metrics.published_items_total += 1
        # Like Pushpin, order only what someone will receive.
        if item.ws_message is None or item.channel not in self.channels:
            return
        if item.prev_id is None and item.id is None:
            self._fan_out(item)
        else:
            self.sequencer.push(item)

    def _fan_out(self, item: PublishItem) -> None:
        message = item.ws_message
        members = self.channels.get(item.channel)
        if message is None or not members:
            return
        if message.action == "close":
            for subscriber in list(members):
                subscriber.close_by_publisher(message.code, message.reason)
            return
        if message.action == "refresh":
            for subscriber in list(members):
                subscriber.refresh()
            return
        if message.action != "send":
            return
        frame = frames.encode_frame(frames.OPCODES[message.kind], message.payload)
        dirty = self._dirty
        for subscriber in members:
            outbox = subscriber.outbox
            if outbox is None:
                subscriber.outbox = frame
                dirty.append(subscriber)
            elif isinstance(outbox, bytes):
                subscriber.outbox = [outbox, frame]
            else:
                outbox.append(frame)
        self.metrics.deliveries_total += len(members)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for subscriber in dirty:
            subscriber.flush()
