"""Publish ordering by prev-id, with Pushpin's wait and hold limits."""

from __future__ import annotations

import asyncio

from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.sequencer import Sequencer
from liveqa.grip.publish import PublishItem, ws_item


def item(seq: int, channel: str = "room", *, no_seq: bool = False) -> PublishItem:
    """The seq-th event of a channel, naming its predecessor as prev-id."""
    base = ws_item(channel, f"event {seq}")
    return PublishItem(
        channel=base.channel,
        id=str(seq),
        prev_id=str(seq - 1),
        ws_message=base.ws_message,
        no_seq=no_seq,
    )


def recorder(wait: float = 5.0, max_held: int = 100) -> tuple[Sequencer, list[str]]:
    delivered: list[str] = []
    sequencer = Sequencer(
        lambda i: delivered.append(f"{i.channel}:{i.id}"),
        EdgeMetrics(),
        wait=wait,
        max_held=max_held,
    )
    return sequencer, delivered


async def test_in_order_items_go_straight_through() -> None:
    sequencer, delivered = recorder()
    for seq in (1, 2, 3):
        sequencer.push(item(seq))
    assert delivered == ["room:1", "room:2", "room:3"]


async def test_an_early_item_waits_for_its_predecessor() -> None:
    sequencer, delivered = recorder()
    sequencer.push(item(1))
    sequencer.push(item(4))
    sequencer.push(item(3))
    assert delivered == ["room:1"]
    sequencer.push(item(2))
    assert delivered == ["room:1", "room:2", "room:3", "room:4"]
    assert sequencer.metrics.held_items_total == 2


async def test_held_items_go_out_after_the_wait_in_arrival_order() -> None:
    sequencer, delivered = recorder(wait=0.05)
    sequencer.push(item(1))
    sequencer.push(item(3))
    sequencer.push(item(5))
    await asyncio.sleep(0.2)
    assert delivered == ["room:1", "room:3", "room:5"]
    sequencer.push(item(6))
    assert delivered[-1] == "room:6"


async def test_channels_are_ordered_independently() -> None:
    sequencer, delivered = recorder()
    sequencer.push(item(1, "a"))
    sequencer.push(item(1, "b"))
    sequencer.push(item(3, "a"))
    sequencer.push(item(2, "b"))
    assert delivered == ["a:1", "b:1", "b:2"]


async def test_first_item_of_a_channel_and_no_seq_items_are_not_held() -> None:
    sequencer, delivered = recorder()
    sequencer.push(item(7))
    sequencer.push(item(9, no_seq=True))
    assert delivered == ["room:7", "room:9"]


async def test_a_second_item_claiming_the_same_predecessor_is_dropped() -> None:
    sequencer, delivered = recorder()
    sequencer.push(item(1))
    sequencer.push(item(3))
    sequencer.push(item(3))
    sequencer.push(item(2))
    assert delivered == ["room:1", "room:2", "room:3"]
    assert sequencer.metrics.dropped_items_total == 1


async def test_the_hold_is_bounded() -> None:
    sequencer, delivered = recorder(max_held=2)
    sequencer.push(item(1))
    for seq in (3, 5, 7):
        sequencer.push(item(seq))
    assert delivered == ["room:1", "room:3"]


async def test_forget_drops_what_a_channel_without_subscribers_holds() -> None:
    sequencer, delivered = recorder(wait=0.05)
    sequencer.push(item(1))
    sequencer.push(item(3))
    sequencer.forget("room")
    await asyncio.sleep(0.1)
    assert delivered == ["room:1"]
    sequencer.push(item(9))
    assert delivered == ["room:1", "room:9"]


async def test_no_seq_items_leave_the_order_alone() -> None:
    sequencer, delivered = recorder()
    sequencer.push(item(1))
    sequencer.push(item(42, no_seq=True))
    sequencer.push(item(2))
    assert delivered == ["room:1", "room:42", "room:2"]


async def test_forgetting_last_ids_stops_waiting_for_lost_items() -> None:
    sequencer, delivered = recorder()
    sequencer.push(item(1))
    sequencer.forget_last_ids()
    sequencer.push(item(5))
    assert delivered == ["room:1", "room:5"]


async def test_a_late_item_goes_out_at_once_and_the_order_goes_on() -> None:
    sequencer, delivered = recorder(wait=0.05)
    sequencer.push(item(1))
    sequencer.push(item(3))
    await asyncio.sleep(0.1)
    assert delivered == ["room:1", "room:3"]
    # 2 was given up on: it is not held again, and 4 still follows 3 without waiting.
    sequencer.push(item(2))
    sequencer.push(item(4))
    assert delivered == ["room:1", "room:3", "room:2", "room:4"]
    assert sequencer.metrics.late_items_total == 1
    assert sequencer.metrics.held_items_total == 1


async def test_an_item_already_delivered_is_dropped() -> None:
    sequencer, delivered = recorder()
    for seq in (1, 2, 3, 2):
        sequencer.push(item(seq))
    assert delivered == ["room:1", "room:2", "room:3"]
    assert sequencer.metrics.dropped_items_total == 1


async def test_a_full_hold_releases_its_oldest_chain_in_order() -> None:
    sequencer, delivered = recorder(max_held=3)
    sequencer.push(item(1))
    for seq in (3, 4, 5, 6):
        sequencer.push(item(seq))
    assert delivered == ["room:1", "room:3", "room:4", "room:5", "room:6"]
    sequencer.push(item(2))
    sequencer.push(item(7))
    assert delivered[-2:] == ["room:2", "room:7"]
