"""Edge counters and gauges as plain ints, rendered in the Prometheus text format 0.0.4."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields

PREFIX = "liveqa_edge_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Upper bounds in seconds; an origin answering WebSocket-over-HTTP on loopback takes about 1 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _counter(help_text: str) -> int:
    return field(default=0, metadata={"type": "counter", "help": help_text})


def _gauge(help_text: str, name: str = "") -> int:
    return field(default=0, metadata={"type": "gauge", "help": help_text, "name": name})


@dataclass(slots=True)
class EdgeMetrics:
    """Every edge metric; hot paths increment the ints directly (`m.deliveries_total += n`)."""

    # Exported as connections_open: a gauge `connections` would clash with `connections_total`.
    connections: int = _gauge("Client WebSocket connections open now.", "connections_open")
    connections_total: int = _counter("Client WebSocket connections accepted.")
    subscriptions: int = _gauge("Channel subscriptions held now, over all connections.")
    published_items_total: int = _counter("Publish items handed to fan-out (duplicates excluded).")
    deliveries_total: int = _counter("Messages queued to subscribers by fan-out.")
    dropped_items_total: int = _counter(
        "Publish items dropped as duplicates of a recent id or of a held item's prev-id."
    )
    held_items_total: int = _counter("Publish items held until the item they follow (prev-id).")
    late_items_total: int = _counter(
        "Publish items delivered at once, out of order: the channel went on without them."
    )
    slow_closed_total: int = _counter("Clients closed with 1013 for unsent bytes over the limit.")
    oversize_closed_total: int = _counter("Clients closed with 1009 for a frame over the limit.")
    handshakes_rejected_total: int = _counter("WebSocket handshakes refused.")
    address_limited_total: int = _counter(
        "Connections refused for the per-address connection limit (handshakes also in rejected)."
    )
    requests_limited_total: int = _counter(
        "Plain HTTP requests refused (429) for the per-address limit on requests in progress."
    )
    body_timeouts_total: int = _counter("Plain HTTP requests whose body came too slowly (408).")
    refused_origins_total: int = _counter(
        "WebSocket handshakes refused for an Origin header that is not allowed (also in rejected)."
    )
    origin_requests_total: int = _counter("Requests sent to the origin (WOH and HTTP).")
    origin_errors_total: int = _counter("Origin requests failed (unreachable, timeout, bad reply).")
    http_requests_total: int = _counter("Plain HTTP requests received for the reverse proxy.")
    cache_hits_total: int = _counter("Proxied GET requests answered from the response cache.")
    cache_stores_total: int = _counter("Responses stored in the response cache.")
    cache_bytes: int = _gauge("Bytes held by the response cache.")
    publish_requests_total: int = _counter("Requests to the publish endpoint.")
    publish_errors_total: int = _counter("Publish requests refused (bad body, auth, size, method).")
    # The Redis bus of `--bus`; all stay 0 on an edge without one.
    bus_connected: int = _gauge("1 while both Redis bus connections are up, else 0.")
    bus_reconnects_total: int = _counter("Times the Redis bus was connected again after a loss.")
    bus_channels: int = _gauge("Channels this edge is subscribed to on the Redis bus now.")
    bus_published_items_total: int = _counter("Items sent to the Redis bus and acknowledged.")
    bus_received_items_total: int = _counter("Items from other edges taken from the Redis bus.")
    bus_unsent_items_total: int = _counter(
        "Items not acknowledged by the Redis bus (down, backlog full, lost while sending)."
    )
    bus_errors_total: int = _counter(
        "Redis bus failures: lost or refused connections, failed commands, bad messages."
    )
    _latency_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    _latency_sum: float = 0.0

    def observe_origin_latency(self, seconds: float) -> None:
        """Record how long one origin request took (until its response headers arrived)."""
        self._latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self._latency_sum += seconds

    def render(self) -> bytes:
        """The current values in the Prometheus text exposition format 0.0.4."""
        lines: list[str] = []
        for spec in fields(self):
            if "type" not in spec.metadata:
                continue
            name = PREFIX + (spec.metadata.get("name") or spec.name)
            lines.append(f"# HELP {name} {spec.metadata['help']}")
            lines.append(f"# TYPE {name} {spec.metadata['type']}")
            lines.append(f"{name} {getattr(self, spec.name)}")
        name = PREFIX + "origin_request_duration_seconds"
        lines.append(f"# HELP {name} Time from sending an origin request to its response headers.")
        lines.append(f"# TYPE {name} histogram")
        cumulative = 0
        for bound, count in zip(LATENCY_BUCKETS, self._latency_counts, strict=False):
            cumulative += count
            lines.append(f'{name}_bucket{{le="{bound}"}} {cumulative}')
        cumulative += self._latency_counts[-1]
        lines.append(f'{name}_bucket{{le="+Inf"}} {cumulative}')
        lines.append(f"{name}_sum {self._latency_sum!r}")
        lines.append(f"{name}_count {cumulative}")
        lines.append("")
        return "\n".join(lines).encode()
