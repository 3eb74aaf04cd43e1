"""`liveqa origin`: run the Q&A origin app."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any, NamedTuple

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from liveqa import logs
from liveqa.addresses import TrustedProxies
from liveqa.grip.gripurl import GripUrl, parse_grip_urls
from liveqa.logs import ACCESS
from liveqa.options import (
    add_logging,
    add_option,
    add_public_url,
    add_timeouts,
    at_least,
    default_of,
    directory,
    fail,
    host_port,
    positive,
    seconds,
    whole_number,
)
from liveqa.origin.app import OriginConfig, create_app, operations_app
from liveqa.origin.board import AddressRates, Rates
from liveqa.origin.bodies import server_settings
from liveqa.origin.context import SigVerifier, SocketSettings
from liveqa.origin.limits import Limits
from liveqa.origin.publisher import PublishTarget
from liveqa.origin.ratelimit import Rate
from liveqa.origin.sigcheck import key_verifier
from liveqa.origin.verifykey import load_verify_key
from liveqa.store.command import add_database_url

log = logging.getLogger("liveqa.origin")

DEFAULT_LISTEN = ("127.0.0.1", 8000)
# Pushpin polls the origin at most this often (its keep-alive `timeout` minimum).
MIN_KEEP_ALIVE_INTERVAL = 20

# Every field of Limits, as its option's help says it.
_LIMITS = {
    "display_name": "longest display name, in characters",
    "room_name": "longest room name, in characters",
    "question": "longest question, in characters",
    "answer": "longest answer, in characters",
    "questions_per_room": "most questions a room holds",
    "questions_per_participant": "most questions one person asks in one room",
    "batch": "most questions one bulk approve or dismiss names",
    "blocked_words": "most blocked words and phrases a room keeps",
    "blocked_word": "longest blocked word or phrase, in characters",
}
_RATES = {
    "questions": "questions posted",
    "votes": "votes and vote removals",
    "rooms": "rooms created",
    "names": "display-name changes",
    "host_keys": "host key attempts",
}
_ADDRESS_RATES = {
    "sessions": "new sessions (participants)",
    "rooms": "rooms created",
    "questions": "questions posted to one room",
    "votes": "votes on one question",
}


def networks(value: str) -> list[str]:
    """Parse comma-separated CIDRs for argparse."""
    found = [part.strip() for part in value.split(",") if part.strip()]
    try:
        TrustedProxies(found)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return found


def rate(value: str) -> Rate:
    """Parse `COUNT/SECONDS` or `0` for argparse."""
    try:
        return Rate.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _default(name: str) -> Any:
    return default_of(OriginConfig, name)


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `liveqa origin`."""
    add_option(parser, "--listen", type=host_port, default=DEFAULT_LISTEN, metavar="HOST:PORT")
    add_option(
        parser,
        "--metrics-listen",
        type=host_port,
        metavar="HOST:PORT",
        help="address of /metrics (and /healthz, /readyz), which stays off --listen because "
        "the proxy passes every path there on to the public; default: no /metrics",
    )
    add_database_url(parser)
    add_option(
        parser,
        "--grip-url",
        help="GRIP proxy publish endpoint(s), comma separated, e.g. "
        "'http://127.0.0.1:5561/?key=KEY' (GRIP_URL is read too); `key` (or `verify-key`, "
        "`verify-iss`) also checks Grip-Sig",
    )
    add_option(
        parser,
        "--grip-verify-key",
        help="Grip-Sig key for GRIP URLs without verify-key, e.g. Fastly Fanout's public key: "
        "PEM, JWK JSON or shared secret, optionally 'base64:'-prefixed (GRIP_VERIFY_KEY is "
        "read too)",
    )
    add_option(parser, "--secret-key", help="cookie signing secret (default: kept in the database)")
    add_option(
        parser, "--cookie-secure", action="store_true", help="send the cookie over HTTPS only"
    )
    add_public_url(parser)
    add_option(
        parser,
        "--publish-wait",
        type=seconds,
        default=_default("publish_wait"),
        metavar="SECONDS",
        help="time a reply waits for its publishes",
    )
    sockets = SocketSettings()
    add_option(
        parser,
        "--keep-alive",
        type=positive,
        default=sockets.keep_alive,
        metavar="SECONDS",
        help="client idleness after which the proxy sends {}",
    )
    add_option(
        parser,
        "--keep-alive-interval",
        type=at_least(MIN_KEEP_ALIVE_INTERVAL),
        default=sockets.keep_alive_interval,
        metavar="SECONDS",
        help=f"idleness after which the proxy polls the origin (at least "
        f"{MIN_KEEP_ALIVE_INTERVAL}, Pushpin's minimum)",
    )
    add_option(
        parser,
        "--attendance-interval",
        type=seconds,
        default=sockets.attendance_interval,
        metavar="SECONDS",
        help="time between publishes of a room's attendee count",
    )
    add_limit_options(parser)
    add_option(
        parser,
        "--trusted-proxies",
        type=networks,
        default=_default("trusted_proxies"),
        metavar="CIDR[,CIDR...]",
        help="networks of proxies that append to X-Forwarded-For, besides loopback (always "
        "trusted): a TLS front or edge on another machine; the per-address limits count the "
        "last entry none of them wrote for itself",
    )
    add_option(
        parser,
        "--redis-url",
        help="Redis (redis://, rediss://, unix://) where every origin keeps the rate limits; "
        "without it each origin process counts on its own",
    )
    add_option(
        parser,
        "--redis-prefix",
        default=_default("redis_prefix"),
        help="prefix of the rate-limit keys in Redis",
    )
    add_option(
        parser,
        "--web-root",
        type=directory,
        default=_default("web_root"),
        help="directory of the web client",
    )
    add_timeouts(
        parser,
        idle=_default("idle_timeout"),
        body=_default("body_timeout"),
        idle_help="time a connection has to send its next request head, idling included (the "
        "first one too); longer than the proxy keeps idle connections to the origin",
    )
    add_logging(parser)


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """The rate limits and size limits (`liveqa serve` has them too)."""
    defaults = Rates()
    for name, what in _RATES.items():
        add_option(
            parser,
            f"--rate-{name.replace('_', '-')}",
            type=rate,
            default=getattr(defaults, name),
            metavar="COUNT/SECONDS",
            help=f"per-participant limit of {what}, 0 for none",
        )
    by_address = AddressRates()
    for name, what in _ADDRESS_RATES.items():
        add_option(
            parser,
            f"--rate-address-{name}",
            type=rate,
            default=getattr(by_address, name),
            metavar="COUNT/SECONDS",
            help=f"per-address limit of {what} (an IPv6 /64 is one address; loopback is not "
            "limited), 0 for none; see docs/deploy.md for venue Wi-Fi",
        )
    for field in fields(Limits):
        add_option(
            parser,
            f"--limit-{field.name.replace('_', '-')}",
            type=whole_number,
            default=field.default,
            help=_LIMITS[field.name],
        )


class Allowances(NamedTuple):
    """The size limits and rates the options of `add_limit_options` set."""

    limits: Limits
    rates: Rates
    address_rates: AddressRates


def limits_from(args: argparse.Namespace) -> Allowances:
    """What the options of `add_limit_options` say."""
    return Allowances(
        Limits(**{f.name: getattr(args, f"limit_{f.name}") for f in fields(Limits)}),
        Rates(**{name: getattr(args, f"rate_{name}") for name in _RATES}),
        AddressRates(**{name: getattr(args, f"rate_address_{name}") for name in _ADDRESS_RATES}),
    )


def sig_verifier(urls: Sequence[GripUrl]) -> SigVerifier:
    """Accept a Grip-Sig that any GRIP URL's verify key (or key) validates."""
    return key_verifier(
        [(key, url.sig_verify_iss()) for url in urls if (key := url.sig_verify_key())]
    )


def publish_targets(urls: Sequence[GripUrl]) -> list[PublishTarget]:
    """One publish target per GRIP URL."""
    return [PublishTarget(url.publish_url(), url.authorization) for url in urls]


def grip_urls(args: argparse.Namespace) -> list[GripUrl]:
    """The GRIP URLs of `--grip-url`, `LIVEQA_GRIP_URL` or `GRIP_URL`, with the verify key.

    `--grip-verify-key` (or `GRIP_VERIFY_KEY`) becomes the `verify-key` of every URL that has
    none, as the JS GRIP libraries merge it."""
    urls = parse_grip_urls(args.grip_url or os.environ.get("GRIP_URL") or "")
    value = args.grip_verify_key or os.environ.get("GRIP_VERIFY_KEY")
    if not value:
        return urls
    key = load_verify_key(value)
    return [url if url.verify_key is not None else replace(url, verify_key=key) for url in urls]


def build_config(args: argparse.Namespace) -> OriginConfig:
    """The origin configuration from parsed options; raises ValueError on bad values."""
    urls = grip_urls(args)
    for url in urls:
        url.authorization()  # a key that cannot be a header fails now, not at first publish
    limits, rates, address_rates = limits_from(args)
    return OriginConfig(
        database_url=args.database_url,
        publish_targets=publish_targets(urls),
        verify_sig=sig_verifier(urls),
        secret_key=args.secret_key,
        cookie_secure=args.cookie_secure,
        public_url=args.public_url,
        limits=limits,
        rates=rates,
        address_rates=address_rates,
        trusted_proxies=args.trusted_proxies,
        redis_url=args.redis_url,
        redis_prefix=args.redis_prefix,
        sockets=SocketSettings(args.keep_alive, args.keep_alive_interval, args.attendance_interval),
        publish_wait=args.publish_wait,
        web_root=args.web_root,
        body_timeout=args.body_timeout,
        idle_timeout=args.idle_timeout,
        access_log=args.access_log,
    )


async def serve(
    config: OriginConfig, listen: tuple[str, int], metrics_listen: tuple[str, int] | None
) -> None:
    """Run until SIGTERM or SIGINT; raises OSError when an address cannot be listened on."""
    app = create_app(config)
    access_log = ACCESS if config.access_log else None
    sites = [
        (web.AppRunner(app, access_log=access_log, **server_settings(config.idle_timeout)), listen)
    ]
    if metrics_listen is not None:
        sites.append((web.AppRunner(operations_app(app), access_log=None), metrics_listen))
    try:
        for runner, (host, port) in sites:
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
        log.info("origin listening on http://%s:%d", *listen)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        for runner, _ in reversed(sites):
            await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    """Start the origin."""
    logs.setup(args.log_level, args.log_format, args.access_log)
    try:
        config = build_config(args)
    except ValueError as exc:
        return fail("liveqa origin", exc)
    if not config.publish_targets:
        log.warning("no --grip-url: room events are not published to any proxy")
    if not any(url.sig_verify_key() for url in grip_urls(args)):
        log.warning("no GRIP key: every WebSocket-over-HTTP request will be refused (401)")
    try:
        asyncio.run(serve(config, args.listen, args.metrics_listen))
    except OSError as exc:
        return fail("liveqa origin", exc)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        return fail("liveqa origin", f"the database cannot be used: {reason}")
    return 0
