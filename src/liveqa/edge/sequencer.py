"""Publish ordering by `prev-id`, as Pushpin's handler does it (grip-protocol.md section 2.6).

An item whose `prev-id` is not the last `id` delivered on its channel waits, up to `wait` seconds,
for the item it follows; then it goes out anyway. Two origins publishing one room's events race to
the edge, and this puts them back in the order the origin numbered them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from liveqa.edge.metrics import EdgeMetrics
from liveqa.grip.publish import PublishItem

MESSAGE_WAIT = 5.0
MAX_HELD = 100


class Sequencer:
    """Per-channel last ids and the items held until their predecessor is delivered."""

    def __init__(
        self,
        deliver: Callable[[PublishItem], None],
        metrics: EdgeMetrics,
        *,
        wait: float = MESSAGE_WAIT,
        max_held: int = MAX_HELD,
    ) -> None:
        self._deliver = deliver
        self.metrics = metrics
        self.wait = wait
        self.max_held = max_held
        self._last: dict[str, str] = {}
        # channel -> prev-id -> (item, deadline); dicts keep arrival order, which is deadline order.
        self._held: dict[str, dict[str, tuple[PublishItem, float]]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def push(self, item: PublishItem) -> None:
        """Deliver `item` now, or hold it while the item it follows is missing."""
        if item.no_seq:
            self._deliver(item)
            return
        last = self._last.get(item.channel)
        if item.prev_id is None or last is None or item.prev_id == last:
            self._send(item)
        else:
            self._hold(item)

    def forget_last_ids(self) -> None:
        """Items were lost upstream (the bus was down): wait for none of them from now on."""
        self._last.clear()

    def forget(self, channel: str) -> None:
        """The channel has no subscribers left: nothing held can be delivered, nothing to order."""
        self._last.pop(channel, None)
        self._held.pop(channel, None)
        timer = self._timers.pop(channel, None)
        if timer is not None:
            timer.cancel()

    def _send(self, item: PublishItem) -> None:
        self._deliver(item)
        if item.id is None:
            return
        channel = item.channel
        self._last[channel] = item.id
        held = self._held.get(channel)
        while held:
            follower = held.pop(self._last[channel], None)
            if follower is None:
                break
            self._deliver(follower[0])
            if follower[0].id is None:
                break
            self._last[channel] = follower[0].id
        if not held:
            self._drop_channel_hold(channel)

    def _hold(self, item: PublishItem) -> None:
        assert item.prev_id is not None
        held = self._held.setdefault(item.channel, {})
        if item.prev_id in held:
            # Pushpin drops an item that claims the same predecessor as one already waiting.
            self.metrics.dropped_items_total += 1
            return
        if len(held) >= self.max_held:
            oldest = next(iter(held))
            self._send(held.pop(oldest)[0])
            held = self._held.setdefault(item.channel, {})
        self.metrics.held_items_total += 1
        held[item.prev_id] = (item, time.monotonic() + self.wait)
        if item.channel not in self._timers:
            self._timers[item.channel] = asyncio.get_running_loop().call_later(
                self.wait, self._expire, item.channel
            )

    def _expire(self, channel: str) -> None:
        self._timers.pop(channel, None)
        now = time.monotonic()
        held = self._held.get(channel)
        while held:
            prev_id, (item, deadline) = next(iter(held.items()))
            if deadline > now:
                self._timers[channel] = asyncio.get_running_loop().call_later(
                    deadline - now, self._expire, channel
                )
                return
            del held[prev_id]
            self._send(item)
            held = self._held.get(channel)
        self._drop_channel_hold(channel)

    def _drop_channel_hold(self, channel: str) -> None:
        self._held.pop(channel, None)
        timer = self._timers.pop(channel, None)
        if timer is not None:
            timer.cancel()
