"""A connection's queued events, packed into request bodies."""

from __future__ import annotations

from liveqa.edge.backlog import MAX_REQUEST_CONTENT, MAX_REQUEST_EVENTS, Backlog


def bodies(backlog: Backlog) -> list[bytes]:
    """Every body the backlog hands out, in order."""
    taken = []
    while backlog:
        taken.append(backlog.take())
    return taken


def test_events_are_packed_whole_and_in_order_up_to_the_request_size() -> None:
    backlog = Backlog()
    events = [bytes([65 + n]) * 60_000 for n in range(7)]
    for event in events:
        backlog.append(event)
    assert backlog.size == 420_000
    taken = bodies(backlog)
    assert taken == [b"".join(events[0:3]), b"".join(events[3:6]), events[6]]
    assert all(len(body) <= MAX_REQUEST_CONTENT for body in taken)
    assert backlog.size == 0


def test_an_event_bigger_than_a_request_goes_alone() -> None:
    backlog = Backlog()
    for event in (b"a", b"b" * (MAX_REQUEST_CONTENT + 1), b"c", b"d"):
        backlog.append(event)
    assert bodies(backlog) == [b"a", b"b" * (MAX_REQUEST_CONTENT + 1), b"cd"]


def test_a_request_holds_at_most_max_request_events() -> None:
    backlog = Backlog()
    for _ in range(MAX_REQUEST_EVENTS * 2 + 1):
        backlog.append(b"PING\r\n")
    assert bodies(backlog) == [b"PING\r\n" * MAX_REQUEST_EVENTS] * 2 + [b"PING\r\n"]


def test_events_queued_after_a_take_start_a_new_body() -> None:
    backlog = Backlog()
    backlog.append(b"a")
    assert backlog.take() == b"a"
    backlog.append(b"b")
    backlog.append(b"c")
    assert (backlog.size, bodies(backlog)) == (2, [b"bc"])


def test_clear_drops_everything() -> None:
    backlog = Backlog()
    for event in (b"a", b"b" * MAX_REQUEST_CONTENT):
        backlog.append(event)
    backlog.clear()
    assert (bool(backlog), backlog.size) == (False, 0)
    backlog.append(b"DISCONNECT\r\n")
    assert bodies(backlog) == [b"DISCONNECT\r\n"]
