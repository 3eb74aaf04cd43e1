"""Live attendee counts: one socket per person counted, published only when it changed."""

from __future__ import annotations

from collections.abc import Sequence

from liveqa.grip.events import DISCONNECT, WebSocketEvent
from liveqa.origin.attendance import Attendance
from liveqa.origin.board import Board, Publication
from liveqa.origin.context import CONTEXT
from liveqa.origin.messages import AttendanceChanged

from .conftest import Origin, Socket


async def test_counts_are_published_once_per_change(board: Board) -> None:
    published: list[Publication] = []

    async def publish(publications: Sequence[Publication]) -> None:
        published.extend(publications)

    attendance = Attendance(board, publish)
    host = await board.create_participant("Hana")
    guest = await board.create_participant("Gus")
    await board.create_room(host.id, "town-hall")
    for participant, connection in ((host.id, "c1"), (guest.id, "c2"), (guest.id, "c3")):
        await board.join("town-hall", participant, connection)
        attendance.changed("town-hall")
    await attendance.flush()
    await attendance.flush()
    attendance.changed("town-hall")
    await attendance.flush()
    # A leave marks its room when the presence flush writes it.
    await board.leave("c2")
    await attendance.flush()
    await board.leave("c3")
    await attendance.flush()
    counts = []
    for publication in published:
        assert publication.channel == "room-town-hall"
        assert isinstance(publication.message, AttendanceChanged)
        counts.append(publication.message.attendees)
    assert counts == [2, 1]
    assert (await board.snapshot("town-hall", None)).attendees == 1


async def test_stale_sockets_stop_counting(board: Board) -> None:
    host = await board.create_participant("Hana")
    await board.create_room(host.id, "town-hall")
    await board.join("town-hall", host.id, "c1")
    assert await board.attendees("town-hall") == 1
    board.connection_ttl_ms = 0
    assert await board.attendees("town-hall") == 0


async def test_sockets_are_counted_through_the_socket_endpoint(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    sockets = [Socket(host, "town-hall"), Socket(guest, "town-hall")]
    for socket in sockets:
        await socket.open()
    attendance = origin.server.app[CONTEXT].attendance
    assert attendance is not None
    await attendance.flush()
    _, snapshot = await guest.request("GET", "/api/rooms/town-hall")
    assert snapshot["attendees"] == 2
    await sockets[1].post([])
    sockets[1].meta["Seen"] = "0"
    await sockets[1].post([])
    assert int(sockets[1].meta["Seen"]) > 0
    await sockets[1].post([WebSocketEvent(DISCONNECT)])
    await attendance.flush()
    events = origin.recorder.messages("room-town-hall")
    assert [(e["type"], e["attendees"]) for e in events] == [
        ("ATTENDANCE_PASSIVE", 2),
        ("ATTENDANCE_PASSIVE", 1),
    ]
    assert all("seq" not in e for e in events)


async def test_a_projector_is_no_attendee(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    projector = origin.browser()
    await projector.join("Projector")
    attendee = Socket(guest, "town-hall")
    screens = [
        Socket(projector, "town-hall", view="present"),
        Socket(host, "town-hall", view="present"),
    ]
    for socket in (attendee, *screens):
        await socket.open()
    assert screens[0].meta["View"] == "present"
    attendance = origin.server.app[CONTEXT].attendance
    assert attendance is not None
    await attendance.flush()
    # Long after opening, the proxy's next request would count a socket again: not a projector.
    for socket in screens:
        socket.meta["Seen"] = "0"
        await socket.post([])
    _, snapshot = await guest.request("GET", "/api/rooms/town-hall")
    assert snapshot["attendees"] == 1
    for socket in screens:
        await socket.post([WebSocketEvent(DISCONNECT)])
    await attendance.flush()
    events = origin.recorder.messages("room-town-hall")
    assert [e["attendees"] for e in events] == [1]
    # The projector still gets the room's events.
    assert any(
        control.get("type") == "subscribe" and control.get("channel") == "room-town-hall"
        for control in screens[0].controls
    )
