"""`liveqa edge`: run the GRIP edge proxy."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import resource
import signal
from typing import Any

from liveqa.edge.bus import DEFAULT_PREFIX
from liveqa.edge.handshake import ANY_ORIGIN, DEFAULT_WEBSOCKET_PATHS, normal_origin
from liveqa.edge.protocol import HANDSHAKE_TIMEOUT
from liveqa.edge.proxy import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_RESPONSE_TIMEOUT
from liveqa.edge.server import (
    DEFAULT_CONNECTIONS_PER_ADDRESS,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_REQUESTS_PER_ADDRESS,
    Edge,
    EdgeConfig,
)
from liveqa.settings import add_option, seconds, whole_number

# Used when the hard limit is unlimited: setting the soft limit to infinity is refused.
_UNLIMITED_TARGET = 1 << 20


def host_port(value: str) -> tuple[str, int]:
    """Parse `HOST:PORT` (`[::1]:80` for IPv6)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def allowed_origin(text: str) -> str:
    """An argparse type: `scheme://host[:port]` (normalised), or `*`."""
    if text.strip() == ANY_ORIGIN:
        return ANY_ORIGIN
    normal = normal_origin(text)
    if normal is None:
        raise argparse.ArgumentTypeError(
            f"expected an origin like https://qa.example.org (or *), got {text!r}"
        )
    return normal


def websocket_path(text: str) -> str:
    """An argparse type: a path starting with `/`."""
    if not text.startswith("/") or "?" in text:
        raise argparse.ArgumentTypeError(f"expected a path starting with /, got {text!r}")
    return text


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `liveqa edge`."""
    add_option(
        parser,
        "--origin",
        action="append",
        required=True,
        metavar="URL",
        help="origin base URL; repeat to give fallbacks tried when one cannot be reached",
    )
    add_option(
        parser,
        "--listen",
        type=host_port,
        default=("127.0.0.1", 7999),
        metavar="HOST:PORT",
        help="client-facing address",
    )
    add_option(
        parser,
        "--publish-listen",
        type=host_port,
        default=("127.0.0.1", 5561),
        metavar="HOST:PORT",
        help="GRIP publish API address",
    )
    add_option(parser, "--sig-key", help="key that signs Grip-Sig on every origin request")
    add_option(parser, "--sig-iss", default="pushpin", help="issuer claim of Grip-Sig")
    add_option(parser, "--publish-key", help="key that publishers must present (Bearer key or JWT)")
    add_option(
        parser,
        "--max-message-size",
        type=int,
        default=1 << 20,
        help="largest client message in bytes (bigger ones close the client with 1009)",
    )
    add_option(
        parser,
        "--client-buffer-limit",
        type=int,
        default=1 << 20,
        help="unsent bytes after which a slow client is closed with 1013",
    )
    add_option(
        parser,
        "--bus",
        metavar="URL",
        help="Redis URL (redis://, rediss:// or unix://) through which edges share published items",
    )
    add_option(
        parser,
        "--bus-prefix",
        default=DEFAULT_PREFIX,
        help="prefix of the Redis channel names; Redis database numbers do not separate pub/sub",
    )
    add_option(
        parser,
        "--trust-forwarded-proto",
        action="store_true",
        help="pass on the X-Forwarded-Proto a TLS front sets (only when every client comes "
        "through that front)",
    )
    add_option(
        parser,
        "--trust-forwarded-for",
        action="store_true",
        help="count a client under the address its proxy appended to X-Forwarded-For (only when "
        "every client comes through that proxy)",
    )
    add_option(
        parser,
        "--websocket-path",
        action="append",
        type=websocket_path,
        default=list(DEFAULT_WEBSOCKET_PATHS),
        metavar="PATH",
        help="path where WebSocket handshakes are taken (others get 404); one ending in / takes "
        "every path under it, / takes all, as Pushpin does. Repeat for more (default "
        f"{', '.join(DEFAULT_WEBSOCKET_PATHS)}, the liveqa origin's)",
    )
    add_client_limits(parser)
    add_option(
        parser,
        "--origin-timeout",
        type=seconds,
        default=DEFAULT_RESPONSE_TIMEOUT,
        metavar="SECONDS",
        help="longest wait for the origin's response headers to a plain HTTP request (504 past it)",
    )
    add_option(parser, "--log-level", default="info", help="debug, info, warning or error")


def add_client_limits(parser: argparse.ArgumentParser) -> None:
    """What one client may hold and how long it may take, for `liveqa edge` and `liveqa serve`."""
    add_option(
        parser,
        "--max-connections-per-address",
        type=whole_number,
        default=DEFAULT_CONNECTIONS_PER_ADDRESS,
        help="connections (WebSockets and HTTP) one client address (an IPv6 /64) may hold at "
        "once; 0: no limit. Loopback clients are not counted. Raise it for a venue whose "
        "attendees share one NAT address",
    )
    add_option(
        parser,
        "--max-requests-per-address",
        type=whole_number,
        default=DEFAULT_REQUESTS_PER_ADDRESS,
        help="plain HTTP requests one client address may have in progress at once (429 past "
        "it); 0: no limit. Loopback clients are not counted",
    )
    add_option(
        parser,
        "--allowed-origin",
        action="append",
        type=allowed_origin,
        default=[],
        metavar="ORIGIN",
        help="a web origin (https://host[:port]) whose pages may open WebSockets here besides "
        "the page's own host; * allows any. Repeat for more. Handshakes without Origin (not "
        "from a browser) are always allowed",
    )
    add_option(
        parser,
        "--head-timeout",
        type=seconds,
        default=HANDSHAKE_TIMEOUT,
        metavar="SECONDS",
        help="time a new connection has to send its first request head",
    )
    add_option(
        parser,
        "--idle-timeout",
        type=seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="time a kept-alive HTTP connection has to send its next request head, idling included",
    )
    add_option(
        parser,
        "--body-timeout",
        type=seconds,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SECONDS",
        help="time a plain HTTP request has to send its whole body (408 past it)",
    )
    add_option(
        parser,
        "--max-request-body",
        type=whole_number,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="largest plain HTTP request body; the edge reads it whole before the origin is asked "
        "(413 past it)",
    )


def client_limits(args: argparse.Namespace) -> dict[str, Any]:
    """The `EdgeConfig` fields `add_client_limits` sets."""
    return {
        "max_connections_per_address": args.max_connections_per_address,
        "max_requests_per_address": args.max_requests_per_address,
        "allowed_origins": tuple(args.allowed_origin),
        "head_timeout": args.head_timeout,
        "idle_timeout": args.idle_timeout,
        "body_timeout": args.body_timeout,
        "max_request_body": args.max_request_body,
    }


def raise_open_files_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _UNLIMITED_TARGET if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def freeze_startup_heap() -> None:
    """Keep what start-up built, which lives as long as the process, out of full collections.

    A full collection walks every object: on a busy edge it stalled every client for 70-270 ms
    (tests/security/test_flood.py); frozen, it walks only what was made since.
    """
    gc.collect()
    gc.freeze()


async def serve(config: EdgeConfig) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    edge = Edge(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        # Inside the try: a listener that cannot bind must not leave the other one open.
        await edge.start()
        freeze_startup_heap()
        await stop.wait()
    finally:
        await edge.shutdown()


def run(args: argparse.Namespace) -> int:
    """Entry point of `liveqa edge`."""
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    raise_open_files_limit()
    (host, port), (publish_host, publish_port) = args.listen, args.publish_listen
    config = EdgeConfig(
        origins=args.origin,
        host=host,
        port=port,
        publish_host=publish_host,
        publish_port=publish_port,
        sig_key=args.sig_key.encode() if args.sig_key else None,
        sig_iss=args.sig_iss,
        publish_key=args.publish_key.encode() if args.publish_key else None,
        max_message_size=args.max_message_size,
        max_client_buffer=args.client_buffer_limit,
        bus=args.bus,
        bus_prefix=args.bus_prefix,
        trust_forwarded_proto=args.trust_forwarded_proto,
        trust_forwarded_for=args.trust_forwarded_for,
        websocket_paths=tuple(args.websocket_path),
        origin_timeout=args.origin_timeout,
        **client_limits(args),
    )
    if config.sig_key is None:
        logging.getLogger("liveqa.edge").warning("no --sig-key: origin requests are not signed")
    try:
        asyncio.run(serve(config))
    except (ValueError, OSError) as exc:
        # A refused configuration or an address that cannot be bound: one line, no traceback.
        logging.getLogger("liveqa.edge").error("%s", exc)
        return 2
    return 0
