"""Two origins on one PostgreSQL and two edges, as real processes on loopback.

Each edge lists both origins as targets, in a different order, so the two edges write through
different origins while both are up. Unless a test says otherwise the edges share items over
Redis and the origins publish to the first edge only: an item published to both edges would
reach each of them again over the bus, and an edge can drop that copy only when the item has an
`id`, which the origin gives to numbered room events only (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest
from aiohttp import web
from yarl import URL

from support.ports import free_port

from .attendee import WAIT, Attendee, Disconnected, open_room, snapshot
from .cluster import Cluster, Edge, TcpRelay, build_cluster, running

pytestmark = pytest.mark.timeout(90)


People = Callable[[str, Edge], Attendee]


@pytest.fixture
async def people() -> AsyncIterator[People]:
    """Makes attendees of one room (named uniquely: the database outlives the test)."""
    made: list[Attendee] = []
    room_id = f"room-{secrets.token_hex(4)}"

    def make(name: str, edge: Edge) -> Attendee:
        made.append(Attendee(name, edge.url, room_id))
        return made[-1]

    yield make
    await asyncio.gather(*(attendee.close() for attendee in made))


def origin_ports(edge: Edge, cluster: Cluster) -> set[int]:
    """The origins (by port) this edge process has TCP connections to."""
    assert edge.service.process is not None
    ports = {origin.port for origin in cluster.origins}
    connections = psutil.Process(edge.service.process.pid).net_connections("tcp")
    return {c.raddr.port for c in connections if c.raddr and c.raddr.port in ports}


@pytest.mark.parametrize("topology", ["bus", "publish-to-all"])
async def test_attendees_on_different_edges_see_each_others_questions_and_votes(
    cluster: Cluster, people: People
) -> None:
    first, second = cluster.edges
    host = people("Hana", first)
    ada = people("Ada", first)
    bo, cy = people("Bo", second), people("Cy", second)
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


async def test_concurrent_writers_through_both_origins_keep_one_sequence(
    cluster: Cluster, people: People
) -> None:
    first, second = cluster.edges
    host = people("Hana", first)
    writers = [people(f"W{i}", (first, second)[i % 2]) for i in range(6)]
    everyone = [host, *writers]
    base = await open_room(host, everyone)

    async def write(writer: Attendee) -> list[str]:
        asked = []
        for n in range(4):
            ack = await writer.send(
                type="QUESTION_POST_TO_ROOM", questionText=f"{writer.name} #{n}", nonce=f"n{n}"
            )
            asked.append(str(ack["questionId"]))
        return asked

    asked = [q for qs in await asyncio.gather(*(write(w) for w in writers)) for q in qs]
    voted = asked[::3]

    async def vote(writer: Attendee) -> None:
        for question_id in voted:
            ack = await writer.send(type="QUESTION_UPVOTE", questionId=question_id)
            assert ack["type"] == "ACK", ack

    await asyncio.gather(*(vote(w) for w in writers))
    final = await snapshot(host)
    # Every question once, and every vote counted: each writer voted (its own from the start).
    assert sorted(final.questions) == sorted(asked)
    assert {final.questions[q][1] for q in voted} == {len(writers)}
    # One event per question and per vote that was not the author's own.
    assert final.seq == base + len(asked) + len(voted) * (len(writers) - 1)
    for attendee in everyone:
        state = await attendee.settled(final.seq)
        assert state == final
        # Each socket received every event of the room once, in order.
        live = [seq for seq in attendee.live_seqs() if seq > base]
        assert live == list(range(base + 1, final.seq + 1)), attendee.name


class DelayedPublishes:
    """A publish endpoint between one origin and an edge: passes requests on after `delay` s."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.target = ""
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    def grip_url(self, origin: int, url: str) -> str:
        """Origin 0 publishes here instead of to `url`."""
        if origin != 0:
            return url
        self.target = str(URL(url).with_query(None).with_path("/publish/"))
        return str(URL(url).with_port(self.port))

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(self.delay)
        assert self._client is not None
        headers = {name: request.headers[name] for name in ("Authorization", "Content-Type")}
        async with self._client.post(self.target, data=body, headers=headers) as answer:
            return web.Response(status=answer.status, body=await answer.read())

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/publish/", self._handle)
        self._client = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()


async def test_a_late_publish_from_one_origin_still_arrives_in_seq_order(
    tmp_path: Path, postgres_url: str, people: People
) -> None:
    delayed = DelayedPublishes()
    await delayed.start()
    try:
        cluster = build_cluster(tmp_path, postgres_url, relay=delayed.grip_url)
        async with running(cluster):
            first, second = cluster.edges
            host = people("Hana", first)
            ada, bo = people("Ada", first), people("Bo", second)
            base = await open_room(host, [host, ada, bo])
            # Ada's question goes through origin 0, whose publish now takes 3 s to reach the edge.
            delayed.delay = 3.0
            ask = {"type": "QUESTION_POST_TO_ROOM"}
            slow = asyncio.create_task(ada.send(**ask, questionText="Slow", nonce="slow"))
            async with asyncio.timeout(WAIT):
                while (await snapshot(bo)).seq == base:  # noqa: ASYNC110 (polls the server)
                    await asyncio.sleep(0.02)
            # Bo's question goes through origin 1 once Ada's is committed: it is event base + 2.
            await bo.send(**ask, questionText="Fast", nonce="fast")
            await slow
            delayed.delay = 0.0
            for attendee in (host, ada, bo):
                await attendee.heard(base + 1)
                await attendee.heard(base + 2)
                live = [seq for seq in attendee.live_seqs() if seq > base]
                assert live == [base + 1, base + 2], attendee.name
    finally:
        await delayed.close()


@dataclass
class Asked:
    """Questions acknowledged (id -> text), and those whose ACK came for a post sent again."""

    texts: dict[str, str] = field(default_factory=dict)
    again: set[str] = field(default_factory=set)

    def by(self, attendee: Attendee) -> int:
        return sum(text.startswith(f"{attendee.name} ") for text in self.texts.values())


async def keep_asking(attendee: Attendee, stop: asyncio.Event, asked: Asked, phase: str) -> None:
    """Post questions one after another until `stop`; reconnect and post again when cut off.

    A post cut off before its ACK is sent again with the same nonce, as the web client does, so
    it counts once whether or not the origin committed it. Nonces are unique per `phase`: a post
    cut off when a phase's task is cancelled is never acknowledged, and no later post reuses it.
    """
    count = 0
    while not stop.is_set():
        text = f"{attendee.name} {phase} #{count}"
        attempts = 0
        while not stop.is_set():
            attempts += 1
            try:
                if not attendee.connected:
                    await attendee.connect()
                ack = await attendee.send(
                    type="QUESTION_POST_TO_ROOM", questionText=text, nonce=f"{phase}-{count}"
                )
                break
            except (Disconnected, aiohttp.ClientError):
                await asyncio.sleep(0.1)
        else:
            return
        assert ack["type"] == "ACK", ack
        asked.texts[str(ack["questionId"])] = text
        if attempts > 1:
            asked.again.add(str(ack["questionId"]))
        count += 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_stopping_an_origin_loses_no_acknowledged_question(
    cluster: Cluster, people: People, signum: int
) -> None:
    first, second = cluster.edges
    host = people("Hana", first)
    askers = [people(f"A{i}", edge) for i, edge in enumerate([first, second] * 2)]
    watchers = [people("Wanda", first), people("Will", second)]
    everyone = [host, *askers, *watchers]
    base = await open_room(host, everyone)
    stop = asyncio.Event()
    before, after = Asked(), Asked()
    tasks = [asyncio.create_task(keep_asking(a, stop, before, "before")) for a in askers]
    try:
        async with asyncio.timeout(WAIT):
            while len(before.texts) < 8:  # noqa: ASYNC110 (the askers fill it)
                await asyncio.sleep(0.02)
        # The first edge sends to origin 0 first: from now on it must fail over to origin 1.
        await cluster.origins[0].stop(signum)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks = [asyncio.create_task(keep_asking(a, stop, after, "after")) for a in askers]
        # Every asker, on either edge, gets questions through after the stop.
        async with asyncio.timeout(WAIT):
            while min(after.by(asker) for asker in askers) < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    asked = {**before.texts, **after.texts}
    final = await snapshot(host)
    # Every acknowledged question is stored, and every attendee shows it.
    assert {q: final.questions[q][0] for q in asked} == asked
    for attendee in everyone:
        assert await attendee.settled(final.seq) == final, attendee.name
    # The origin answers only once the proxy took the event, so attendees never cut off heard
    # each question live; except one posted again after a cut-off: origin 0 may have died between
    # committing and publishing it, and the origin answering the retry does not publish it again.
    first_tries = set(asked) - before.again - after.again

    def live_events(watcher: Attendee) -> list[dict[str, Any]]:
        return [m for m in watcher.received[0] if m.get("seq", 0) > base]

    def heard(watcher: Attendee) -> set[str]:
        return {m["question"]["questionId"] for m in live_events(watcher) if "question" in m}

    # After a SIGKILL an event the dead origin committed but never published leaves a gap: the
    # edges hold the events after it for up to 5 s (the prev-id wait) before sending them on.
    async with asyncio.timeout(WAIT):
        while not all(heard(w) >= first_tries for w in watchers):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    for watcher in watchers:
        assert len(watcher.received) == 1
        live = live_events(watcher)
        assert heard(watcher) >= first_tries
        seqs = sorted(m["seq"] for m in live)
        if signum == signal.SIGTERM:
            # A graceful stop finishes what it started: no event is missing.
            assert seqs == list(range(base + 1, final.seq + 1))
        else:
            assert len(set(seqs)) == len(seqs)
    assert origin_ports(first, cluster) <= {cluster.origins[1].port}
    if signum == signal.SIGTERM:
        assert cluster.origins[0].process is not None
        assert cluster.origins[0].process.returncode == 0


@pytest.mark.parametrize("topology", ["bus", "publish-to-all"])
async def test_clients_of_a_stopped_edge_reconnect_to_the_other_and_resync(
    cluster: Cluster, people: People, topology: str
) -> None:
    # With the bus, the edge the origins publish to must stay; without it, either may go.
    stopped, kept = cluster.edges[::-1] if topology == "bus" else cluster.edges
    host = people("Hana", kept)
    ada = people("Ada", kept)
    movers = [people("Bo", stopped), people("Cy", stopped)]
    everyone = [host, ada, *movers]
    base = await open_room(host, everyone)
    ask = {"type": "QUESTION_POST_TO_ROOM"}
    q1 = (await movers[0].send(**ask, questionText="Before", nonce="b1"))["questionId"]
    await ada.send(type="QUESTION_UPVOTE", questionId=q1)
    for attendee in everyone:
        await attendee.settled(base + 2)

    assert await stopped.service.stop() == 0
    # The edge said goodbye with 1001 (going away), which tells clients to come back.
    for mover in movers:
        async with asyncio.timeout(WAIT):
            while mover.connected:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert mover.close_codes == [1001]
    # While they are away the room goes on.
    q2 = (await ada.send(**ask, questionText="While away", nonce="a1"))["questionId"]
    await host.send(type="QUESTION_POST_ANSWER", questionId=q1, answerText="Yes")
    await host.send(type="QUESTION_UPVOTE", questionId=q2)

    # A load balancer sends them to the edge that is left; the snapshot catches them up.
    for mover in movers:
        await mover.connect(kept.url)
    stayed = await ada.settled(base + 5)
    for mover in movers:
        assert mover.state == stayed
    q3 = (await movers[1].send(**ask, questionText="After", nonce="c1"))["questionId"]
    final = await snapshot(host)
    assert set(final.questions) == {q1, q2, q3}
    for attendee in everyone:
        assert await attendee.settled(final.seq) == final
    for mover in movers:
        assert mover.live_seqs() == [final.seq]


@pytest.mark.parametrize("topology", ["bus-and-publish-to-all"])
async def test_publishing_to_every_edge_with_the_bus_delivers_each_item_once(
    cluster: Cluster, people: People
) -> None:
    first, second = cluster.edges
    host, bo = people("Hana", first), people("Bo", second)
    base = await open_room(host, [host, bo])
    ask = {"type": "QUESTION_POST_TO_ROOM", "questionText": "Once?", "nonce": "q"}
    question_id = (await bo.send(**ask))["questionId"]
    await host.send(type="QUESTION_UPVOTE", questionId=question_id)
    await host.send(type="QUESTION_UPVOTE", questionId=question_id, removeUpvote=True)
    for attendee in (host, bo):
        await attendee.settled(base + 3)
    # Wait for any copy still on its way over the bus.
    await asyncio.sleep(1.0)
    for attendee in (host, bo):
        live = [m["seq"] for m in attendee.received[-1] if m.get("seq", 0) > base]
        assert live == [base + 1, base + 2, base + 3]
    mine = [m["upvoted"] for m in host.received[-1] if m["type"] == "QUESTION_UPVOTE_SELF"]
    assert mine == [True, False]


async def bus_settles(edge: Edge, connected: int) -> dict[str, float]:
    """Wait until the edge's bus is (dis)connected; return its metrics then."""
    async with asyncio.timeout(WAIT):
        while True:
            metrics = await edge.metrics()
            if metrics["liveqa_edge_bus_connected"] == connected and (
                not connected or metrics["liveqa_edge_bus_channels"] > 0
            ):
                return metrics
            await asyncio.sleep(0.05)


async def test_what_is_published_while_redis_is_away_reaches_the_other_edge_by_resync(
    tmp_path: Path, postgres_url: str, people: People
) -> None:
    redis = TcpRelay(("127.0.0.1", 6379))
    await redis.start()
    try:
        bus_url = f"redis://127.0.0.1:{redis.port}/0"
        cluster = build_cluster(tmp_path, postgres_url, bus_url=bus_url)
        async with running(cluster):
            first, second = cluster.edges
            host, bo = people("Hana", first), people("Bo", second)
            base = await open_room(host, [host, bo])
            resyncs = bo.resyncs

            await redis.cut()
            for edge in cluster.edges:
                await bus_settles(edge, 0)
            ask = {"type": "QUESTION_POST_TO_ROOM"}
            q1 = (await host.send(**ask, questionText="During", nonce="d"))["questionId"]
            await host.heard(base + 1)
            # The edge the origins publish to delivers it; the other never hears of it.
            assert (await first.metrics())["liveqa_edge_bus_unsent_items_total"] >= 1
            await asyncio.sleep(0.5)
            assert bo.state.seq == base

            await redis.start()
            for edge in cluster.edges:
                metrics = await bus_settles(edge, 1)
                assert metrics["liveqa_edge_bus_reconnects_total"] >= 1
            q2 = (await host.send(**ask, questionText="After", nonce="a"))["questionId"]
            # The next event shows Bo the gap (once the sequencer gave up waiting for the
            # missing one), and a snapshot fills it in.
            final = await snapshot(host)
            assert set(final.questions) == {q1, q2}
            assert await bo.settled(final.seq) == final
            assert bo.resyncs == resyncs + 1
            assert [seq for seq in bo.live_seqs() if seq > base] == [base + 2]
    finally:
        await redis.cut()


VOTE_ROUNDS = 200


async def test_racing_votes_of_one_person_on_two_origins_publish_the_committed_count(
    cluster: Cluster, people: People
) -> None:
    """One person's "remove" and "add" at the same moment through both origins: a screen must
    end every round showing the count the database holds."""
    first, second = cluster.edges
    host, watcher = people("Hana", first), people("Wes", second)
    voter_a, voter_b = people("Vi", first), people("Vi", second)
    await voter_a.join()
    for cookie in voter_a.session.cookie_jar:
        voter_b.session.cookie_jar.update_cookies({cookie.key: cookie.value}, URL(second.url))
    await open_room(host, [host, watcher])
    await voter_a.connect()
    await voter_b.connect()
    asked = await host.send(type="QUESTION_POST_TO_ROOM", questionText="Race?", nonce="race")
    question = asked["questionId"]
    differ = []
    for round_ in range(VOTE_ROUNDS):
        acks = await asyncio.gather(
            voter_a.send(type="QUESTION_UPVOTE", questionId=question, removeUpvote=True),
            voter_b.send(type="QUESTION_UPVOTE", questionId=question),
        )
        assert [ack["type"] for ack in acks] == ["ACK", "ACK"], acks
        stored = (await snapshot(watcher)).questions[question][1]
        deadline = time.monotonic() + 1
        while (shown := watcher.state.questions[question][1]) != stored:
            if time.monotonic() > deadline:
                differ.append((round_, stored, shown))
                break
            await asyncio.sleep(0.01)
        if len(differ) == 5:
            break
    assert differ == []
