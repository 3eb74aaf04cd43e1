"""Two origins on one PostgreSQL, two edges sharing items over Redis, real processes on loopback.

Each edge lists both origins as targets, in a different order, so the two edges write through
different origins while both are up. The origins publish to the first edge's publish endpoint
only: the origin's items carry no `id`, so an item published to both edges would also reach each
edge again over the bus, and nothing could tell the copies apart (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

import psutil
import pytest

from .attendee import Attendee, Disconnected, RoomState, snapshot_state
from .cluster import Cluster, Edge, Service

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def people() -> AsyncIterator[Callable[[str, Edge, str], Attendee]]:
    """Makes attendees; closes all of them at the end."""
    made: list[Attendee] = []

    def make(name: str, edge: Edge, room_id: str) -> Attendee:
        made.append(Attendee(name, edge.url, room_id))
        return made[-1]

    yield make
    await asyncio.gather(*(attendee.close() for attendee in made))


async def open_room(host: Attendee, everyone: list[Attendee]) -> int:
    """Create the host's room, connect everyone, return the seq all sockets receive live from.

    An edge subscribes on Redis a moment after a channel's first local subscriber arrives, so
    events published meanwhile reach that edge's sockets only through a resync: the host renames
    the room until every socket has received a rename live.
    """
    for attendee in everyone:
        await attendee.join()
    await host.call("POST", "/api/rooms", {"roomId": host.room_id})
    for attendee in everyone:
        await attendee.connect()
    for attempt in range(50):
        ack = await host.send(type="ROOMINFO_UPDATE", displayName=f"Warming up {attempt}")
        assert ack["type"] == "ACK", ack
        await asyncio.sleep(0.1)
        seqs = [attendee.live_seqs() for attendee in everyone]
        if all(seqs):
            return max(max(received) for received in seqs)
    raise TimeoutError("some sockets never received a room event")


def origin_ports(edge: Edge, cluster: Cluster) -> set[int]:
    """The origins (by port) this edge process has TCP connections to."""
    assert edge.service.process is not None
    ports = {origin.port for origin in cluster.origins}
    connections = psutil.Process(edge.service.process.pid).net_connections("tcp")
    return {c.raddr.port for c in connections if c.raddr and c.raddr.port in ports}


async def snapshot(attendee: Attendee) -> RoomState:
    return snapshot_state(await attendee.call("GET", f"/api/rooms/{attendee.room_id}"))


async def test_attendees_on_different_edges_see_each_others_questions_and_votes(
    cluster: Cluster, people: Callable[[str, Edge, str], Attendee]
) -> None:
    first, second = cluster.edges
    host = people("Hana", first, "town-hall")
    ada = people("Ada", first, "town-hall")
    bo, cy = people("Bo", second, "town-hall"), people("Cy", second, "town-hall")
    everyone = [host, ada, bo, cy]
    base = await open_room(host, everyone)
    resyncs = [attendee.resyncs for attendee in everyone]

    ask = {"type": "QUESTION_POST_TO_ROOM"}
    q1 = (await ada.send(**ask, questionText="Asked on edge A", nonce="a1"))["questionId"]
    q2 = (await bo.send(**ask, questionText="Asked on edge B", nonce="b1"))["questionId"]
    await bo.send(type="QUESTION_UPVOTE", questionId=q1)
    await cy.send(type="QUESTION_UPVOTE", questionId=q1)
    await ada.send(type="QUESTION_UPVOTE", questionId=q2)
    await host.send(type="QUESTION_POST_ANSWER", questionId=q2, answerText="Both edges")

    expected = [
        "QUESTION_UPDATE_INFO_PASSIVE",
        "QUESTION_UPDATE_INFO_PASSIVE",
        "QUESTION_UPVOTE_PASSIVE",
        "QUESTION_UPVOTE_PASSIVE",
        "QUESTION_UPVOTE_PASSIVE",
        "QUESTION_UPDATE_INFO_PASSIVE",
    ]
    # An author's own vote counts from the start.
    final = {q1: ("Asked on edge A", 3, None), q2: ("Asked on edge B", 2, "Both edges")}
    for attendee in everyone:
        state = await attendee.settled(base + len(expected))
        live = [m for m in attendee.received[-1] if m.get("seq", 0) > base]
        assert [m["seq"] for m in live] == list(range(base + 1, base + len(expected) + 1))
        assert [m["type"] for m in live] == expected
        assert state.questions == final
    assert [attendee.resyncs for attendee in everyone] == resyncs
    assert (await snapshot(cy)).questions == final
    # Each edge wrote through the first origin of its own list.
    assert origin_ports(first, cluster) == {cluster.origins[0].port}
    assert origin_ports(second, cluster) == {cluster.origins[1].port}
