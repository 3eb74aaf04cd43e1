"""The record one scenario run produces, the figures it may hold, and its text rendering."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import msgspec

Better = Literal["higher", "lower"] | None
Value = float | int | None


class Figure(NamedTuple):
    """How to show a figure; `better` says which way is good, `ratio` whether to compare it."""

    label: str
    unit: str = ""
    better: Better = None
    ratio: bool = False


def _frame_figures(phase: str, during: str) -> dict[str, Figure]:
    """The frame figures of one phase of `liveqa bench ui`."""
    return {
        f"{phase}_frames": Figure(f"frames {during}"),
        f"{phase}_frame_p50_ms": Figure(f"frame time p50 {during}", "ms", "lower"),
        f"{phase}_frame_p95_ms": Figure(f"frame time p95 {during}", "ms", "lower"),
        f"{phase}_frame_p99_ms": Figure(f"frame time p99 {during}", "ms", "lower"),
        f"{phase}_frame_max_ms": Figure(f"frame time max {during}", "ms", "lower"),
        f"{phase}_frames_over_33ms": Figure(f"frames over 33 ms {during}", better="lower"),
        f"{phase}_frames_over_50ms": Figure(f"frames over 50 ms {during}", better="lower"),
        f"{phase}_long_animation_frames": Figure(f"long animation frames {during}", better="lower"),
        f"{phase}_long_tasks": Figure(f"long tasks {during}", better="lower"),
    }


FIGURES: dict[str, Figure] = {
    "connections": Figure("connections held"),
    "failed_handshakes": Figure("failed handshakes", better="lower"),
    "dropped_connections": Figure("connections dropped by the proxy", better="lower"),
    "published": Figure("messages published"),
    "publish_failures": Figure("messages whose publish failed", better="lower"),
    "expected": Figure("deliveries expected"),
    "delivered": Figure("deliveries received"),
    "sent": Figure("messages sent by clients"),
    "received": Figure("messages received by the origin"),
    "lost": Figure("lost", better="lower"),
    "duplicated": Figure("duplicated", better="lower"),
    "origin_requests": Figure("origin requests"),
    "acked": Figure("acks received by clients"),
    "deliveries_per_s": Figure("deliveries/s", "/s", "higher", True),
    "messages_per_s": Figure("messages/s to the origin", "/s", "higher", True),
    "handshakes_per_s": Figure("handshakes/s", "/s", "higher", True),
    "latency_p50_ms": Figure("latency p50", "ms", "lower", True),
    "latency_p99_ms": Figure("latency p99", "ms", "lower", True),
    "latency_max_ms": Figure("latency max", "ms", "lower", True),
    "ack_p50_ms": Figure("ack round trip p50", "ms", "lower", True),
    "ack_p99_ms": Figure("ack round trip p99", "ms", "lower", True),
    "handshake_p50_ms": Figure("handshake p50", "ms", "lower", True),
    "handshake_p99_ms": Figure("handshake p99", "ms", "lower", True),
    "window_s": Figure("measured window", "s"),
    "cpu_clients_s": Figure("CPU: clients + publisher", "s"),
    "cpu_proxy_s": Figure("CPU: proxy", "s", "lower"),
    "cpu_origin_s": Figure("CPU: origin", "s"),
    "proxy_cpu_us_per_delivery": Figure("proxy CPU per delivery", "us", "lower", True),
    "proxy_cpu_us_per_message": Figure("proxy CPU per forwarded message", "us", "lower", True),
    "proxy_cpu_us_per_handshake": Figure("proxy CPU per handshake", "us", "lower", True),
    "client_cpu_us_per_delivery": Figure("client workers' CPU per delivery", "us"),
    "writes_sent": Figure("writes sent (posts and upvotes)"),
    "writes_acked": Figure("writes acknowledged"),
    "writes_per_s": Figure("writes/s", "/s", "higher"),
    "other_messages": Figure("other messages received (attendance, keep-alive)"),
    "origin_requests_per_s": Figure("origin requests/s", "/s"),
    "origin_request_mean_ms": Figure("origin request mean, as the edge timed it", "ms", "lower"),
    "edge_deliveries": Figure("messages the edge delivered"),
    "cpu_coordinator_s": Figure("CPU: coordinator and observer", "s"),
    "origin_cpu_us_per_write": Figure("origin CPU per write", "us", "lower"),
    "proxy_rss_idle_mb": Figure("proxy RSS idle", "MB"),
    "proxy_rss_held_mb": Figure("proxy RSS holding the connections", "MB"),
    "proxy_rss_kb_per_connection": Figure("proxy RSS per held connection", "KB", "lower", True),
    "questions": Figure("questions in the room"),
    "cards": Figure("question cards on screen at the end"),
    "first_render_dom_ms": Figure("first render: every card in the DOM", "ms", "lower"),
    "first_render_painted_ms": Figure("first render: that frame painted", "ms", "lower"),
    "first_render_snapshot_ms": Figure("first render: room snapshot received", "ms"),
    "first_render_after_snapshot_ms": Figure(
        "first render: snapshot received to painted", "ms", "lower"
    ),
    "votes_sent": Figure("votes sent"),
    "votes_acked": Figure("votes acknowledged"),
    "vote_events": Figure("vote events the page received"),
    "votes_shown": Figure("vote events shown on screen"),
    "votes_not_shown": Figure("vote events never shown", better="lower"),
    "vote_to_dom_p50_ms": Figure("vote event to DOM re-ordered p50", "ms", "lower"),
    "vote_to_dom_p95_ms": Figure("vote event to DOM re-ordered p95", "ms", "lower"),
    "vote_to_dom_max_ms": Figure("vote event to DOM re-ordered max", "ms", "lower"),
    "vote_to_paint_p50_ms": Figure("vote event to frame painted p50", "ms", "lower"),
    "vote_to_paint_p95_ms": Figure("vote event to frame painted p95", "ms", "lower"),
    "vote_to_paint_max_ms": Figure("vote event to frame painted max", "ms", "lower"),
    "shown_out_of_order": Figure("voted cards shown out of order", better="lower"),
    "final_misplaced": Figure("cards out of Top order at the end", better="lower"),
    **_frame_figures("still", "while re-ordering"),
    **_frame_figures("scroll", "while scrolling"),
    "scrolled_px": Figure("scrolled down and up", "px"),
    "page_errors": Figure("uncaught errors in the page", better="lower"),
    "writes_failed": Figure("writes refused, unanswered or cut by a reconnect", better="lower"),
    "ack_max_ms": Figure("ack round trip max", "ms", "lower"),
    "reconnects": Figure("attendee reconnects"),
    "flaps": Figure("flapping clients' connect-and-leaves"),
    **{
        f"{name}_{key}": figure._replace(label=f"{name} {figure.label}")
        for name in ("edge", "origin")
        for key, figure in (
            ("rss_start_mb", Figure("RSS at the start", "MB")),
            ("rss_end_mb", Figure("RSS at the end", "MB")),
            ("rss_mb_per_min", Figure("RSS growth after the first minute", "MB/min", "lower")),
            ("fds_min", Figure("open files, fewest")),
            ("fds_max", Figure("open files, most", better="lower")),
        )
    },
}


class Result(msgspec.Struct):
    """One scenario against one proxy: its parameters, its figures (keys of FIGURES), notes."""

    scenario: str
    target: str
    params: dict[str, Any]
    figures: dict[str, Value]
    notes: list[str] = msgspec.field(default_factory=list)


def format_value(value: Value) -> str:
    """Integers with separators, floats to about three significant digits."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def label(key: str) -> str:
    """A figure's label with its unit."""
    figure = FIGURES.get(key, Figure(key))
    return (
        f"{figure.label} ({figure.unit})" if figure.unit and figure.unit != "/s" else figure.label
    )


def format_result(result: Result) -> str:
    """A human-readable block for one result."""
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    lines = [f"{result.scenario} against {result.target} ({params})"]
    width = max((len(label(k)) for k in result.figures), default=0)
    lines.extend(
        f"  {label(key):<{width}}  {format_value(value):>12}"
        for key, value in result.figures.items()
    )
    lines.extend(f"  note: {note}" for note in result.notes)
    return "\n".join(lines)


def to_json(value: object) -> bytes:
    """JSON for results and anything made of them."""
    return msgspec.json.encode(value)
