"""Publish ordering by `prev-id`, as Pushpin's handler does it (docs/grip.md §2.5).

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
# Delivered ids remembered per channel, to tell a late item from one that is early.
RECENT_IDS = 256


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
        # channel -> the ids delivered last, oldest first (a dict as an ordered set).
        self._recent: dict[str, dict[str, None]] = {}
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
            return
        recent = self._recent.get(item.channel, {})
        if item.id in recent:
            self.metrics.dropped_items_total += 1
        elif item.prev_id in recent:
            # Late: the channel went on without it after the wait. Waiting cannot put it back in
            # order, and making it the last id would hold the next item for the whole wait.
            self.metrics.late_items_total += 1
            self._deliver(item)
        else:
            self._hold(item)

    def forget_last_ids(self) -> None:
        """Items were lost upstream (the bus was down): wait for none of them from now on."""
        self._last.clear()
        self._recent.clear()

    def forget(self, channel: str) -> None:
        """The channel has no subscribers left: nothing held can be delivered, nothing to order."""
        self._last.pop(channel, None)
        self._recent.pop(channel, None)
        self._held.pop(channel, None)
        timer = self._timers.pop(channel, None)
        if timer is not None:
            timer.cancel()

    def _send(self, item: PublishItem) -> None:
        """Deliver `item` as the channel's newest, then every held item that follows it."""
        channel = item.channel
        held = self._held.get(channel)
        while True:
            self._deliver(item)
            if item.id is None:
                break
            self._delivered(channel, item.id)
            follower = held.pop(item.id, None) if held else None
            if follower is None:
                break
            item = follower[0]
        if not held:
            self._drop_channel_hold(channel)

    def _delivered(self, channel: str, id_: str) -> None:
        self._last[channel] = id_
        recent = self._recent.setdefault(channel, {})
        recent[id_] = None
        if len(recent) > RECENT_IDS:
            del recent[next(iter(recent))]

    def _hold(self, item: PublishItem) -> None:
        assert item.prev_id is not None
        held = self._held.setdefault(item.channel, {})
        if item.prev_id in held:
            # Pushpin drops an item that claims the same predecessor as one already waiting.
            self.metrics.dropped_items_total += 1
            return
        if len(held) >= self.max_held:
            # The item waited on longest starts the oldest chain: it and its followers go out in
            # order, and then this item may follow them.
            oldest = next(iter(held))
            self._send(held.pop(oldest)[0])
            self.push(item)
            return
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
