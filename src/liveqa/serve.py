"""`liveqa serve`: the whole board in one process: edge, origin and SQLite, over loopback.

The edge and the origin are two aiohttp applications on one event loop that still talk real
HTTP, WebSocket-over-HTTP and GRIP publishes to each other, exactly as separate processes would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import signal
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from liveqa import logs
from liveqa.edge.command import (
    add_client_limits,
    client_limits,
    freeze_startup_heap,
    raise_open_files_limit,
)
from liveqa.edge.server import Edge, EdgeConfig
from liveqa.options import (
    add_logging,
    add_option,
    add_public_url,
    default_of,
    fail,
    host_port,
    tcp_port,
)
from liveqa.origin.app import OriginConfig, create_app, operations_app
from liveqa.origin.bodies import server_settings
from liveqa.origin.command import Allowances, add_limit_options, limits_from
from liveqa.origin.publisher import PublishTarget
from liveqa.origin.sigcheck import key_verifier

log = logging.getLogger("liveqa.serve")

LOOPBACK = "127.0.0.1"
KEY_FILE = "secret.key"
DATABASE_FILE = "liveqa.db"
SIG_ISS = "liveqa"
KEY_BYTES = 32
WILDCARDS = ("", "0.0.0.0", "::")
WEBSOCKET_PATH = "/api/websocket"


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/liveqa`, else `~/.local/share/liveqa`."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says to ignore a relative value.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "liveqa"


@dataclass(frozen=True)
class Keys:
    """The secrets of one installation, each derived from the master key in the data dir."""

    grip_sig: bytes
    publish: bytes
    session: str

    @classmethod
    def derive(cls, master: bytes) -> Keys:
        """Separate keys per use, so none can stand in for another."""

        def key(label: str) -> str:
            return hmac.new(master, label.encode(), hashlib.sha256).hexdigest()

        return cls(key("grip-sig").encode(), key("publish").encode(), key("session"))


def load_master_key(path: Path) -> bytes:
    """Read the master key at `path`, creating it (mode 0600) on first run."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return _create_master_key(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the key file {path}: {exc}") from None
    try:
        master = bytes.fromhex(text.strip())
    except ValueError:
        master = b""
    if len(master) < KEY_BYTES:
        raise ValueError(
            f"{path} is not a liveqa key ({KEY_BYTES * 2} hex digits); move it away and a new "
            "key is made (sessions and host links made with the old key stop working)"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); now 0600", path, mode)
        path.chmod(0o600)
    return master


def _create_master_key(path: Path) -> bytes:
    master = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ValueError(f"cannot write the key file {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(master.hex() + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            # A hard link never replaces a file: of two first runs at once, one key wins.
            os.link(temporary, path)
        except FileExistsError:
            return load_master_key(path)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("made a new key in %s", path)
    return master


def prepare_data_dir(path: Path) -> Keys:
    """Create the data directory (mode 0700) if needed and return its keys."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the data directory {path}: {exc}") from None
    if not path.is_dir():
        raise ValueError(f"the data directory {path} is not a directory")
    return Keys.derive(load_master_key(path / KEY_FILE))


def page_url(host: str, port: int) -> str:
    """The address to open in a browser on this machine."""
    if host in WILDCARDS:
        host = LOOPBACK
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def network_addresses(host: str) -> list[str]:
    """The addresses others on the network may reach this machine at, when listening on the
    wildcard `host` ("0.0.0.0": IPv4 only): no loopback or link-local ones."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        found.update(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    # Connecting a UDP socket sends nothing: it only picks the address routes would leave from.
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 9))
            found.add(str(udp.getsockname()[0]))
    usable = []
    for text in found:
        address = ipaddress.ip_address(text.split("%")[0])
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            continue
        if host == "0.0.0.0" and address.version == 6:
            continue
        usable.append(address)
    return [str(a) for a in sorted(usable, key=lambda a: (a.version, a))]


class EdgeAndOrigin:
    """The running edge and origin of `liveqa serve`; `stop()` ends them in that order."""

    def __init__(self, edge: Edge, runner: web.AppRunner | None, origin: socket.socket) -> None:
        self.edge = edge
        self.runner = runner
        self.origin = origin
        # /metrics, /healthz and /readyz of both, with `--metrics-listen`.
        self.operations: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The address people open."""
        return page_url(self.edge.config.host, self.edge.port)

    async def stop(self) -> None:
        """Close client sockets (1001) and tell the origin, then stop the origin and its store."""
        if self.operations is not None:
            await self.operations.cleanup()
        await self.edge.shutdown()
        if self.runner is not None:
            await self.runner.cleanup()
        self.origin.close()


async def start(
    host: str,
    port: int,
    data_dir: Path,
    behind_tls: bool = False,
    allowances: Allowances | None = None,
    public_url: str | None = None,
    metrics_listen: tuple[str, int] | None = None,
    **edge_limits: Any,
) -> EdgeAndOrigin:
    """Start edge and origin on `data_dir`; raises ValueError, in words, when they cannot.

    `behind_tls`: every browser comes through a TLS front, so cookies are Secure, the front's
    X-Forwarded-Proto reaches the origin and its X-Forwarded-For says whose connection it is.
    `allowances`: the origin's limits (`add_limit_options`); `metrics_listen`: where to serve
    /metrics, /healthz and /readyz; `edge_limits`: `EdgeConfig` fields (`client_limits`).
    """
    keys = await asyncio.to_thread(prepare_data_dir, data_dir)
    # Listening before the edge starts means early requests wait in the backlog, not fail.
    origin = socket.create_server((LOOPBACK, 0))
    origin_port = origin.getsockname()[1]
    edge = Edge(
        EdgeConfig(
            origins=[f"http://{LOOPBACK}:{origin_port}"],
            host=host,
            port=port,
            publish_host=LOOPBACK,
            publish_port=0,
            sig_key=keys.grip_sig,
            sig_iss=SIG_ISS,
            publish_key=keys.publish,
            trust_forwarded_proto=behind_tls,
            trust_forwarded_for=behind_tls,
            websocket_paths=(WEBSOCKET_PATH,),
            **edge_limits,
        )
    )
    board = EdgeAndOrigin(edge, None, origin)
    try:
        try:
            await edge.start()
        except OSError as exc:
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        config = OriginConfig(
            # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy reads them.
            database_url=f"sqlite:///{data_dir / DATABASE_FILE}",
            publish_targets=[
                PublishTarget(
                    f"http://{LOOPBACK}:{edge.publish_port}/publish/",
                    lambda: "Bearer " + keys.publish.decode(),
                )
            ],
            verify_sig=key_verifier([(keys.grip_sig, SIG_ISS)]),
            secret_key=keys.session,
            cookie_secure=behind_tls,
            public_url=public_url,
        )
        if allowances is not None:
            config.limits, config.rates, config.address_rates = allowances
        board.runner = web.AppRunner(
            create_app(config), access_log=None, **server_settings(config.idle_timeout)
        )
        try:
            await board.runner.setup()
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            database = data_dir / DATABASE_FILE
            raise ValueError(f"the database {database} cannot be used: {reason}") from None
        await web.SockSite(board.runner, origin).start()
        if metrics_listen is not None:
            board.operations = web.AppRunner(
                operations_app(board.runner.app, more_metrics=edge.metrics.render),
                access_log=None,
            )
            await board.operations.setup()
            metrics_host, metrics_port = metrics_listen
            try:
                await web.TCPSite(board.operations, metrics_host, metrics_port).start()
            except OSError as exc:
                where = f"{metrics_host}:{metrics_port}"
                raise ValueError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    except BaseException:
        await board.stop()
        raise
    return board


def welcome(url: str, host: str, port: int, public_url: str | None) -> list[str]:
    """What `liveqa serve` says once it runs: the page to open here, and where others go."""
    lines = [f"liveqa is running: open {url}"]
    if public_url is not None:
        lines.append(f"links and QR codes point at {public_url}/")
    elif host in WILDCARDS:
        addresses = network_addresses(host)
        if addresses:
            lines.append("phones and others on the network open:")
            lines.extend(f"  {page_url(address, port)}" for address in addresses)
        else:
            lines.append(f"(others on the network use this machine's address, port {port})")
    elif is_loopback(host):
        lines.append(
            f"only this computer can open {url}: for phones, start with --host 0.0.0.0 "
            "or --public-url"
        )
    return lines


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or a name) is this machine only."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(
    host: str,
    port: int,
    data_dir: Path,
    behind_tls: bool,
    edge_limits: dict[str, Any],
    allowances: Allowances | None = None,
    public_url: str | None = None,
    metrics_listen: tuple[str, int] | None = None,
) -> None:
    """Run until SIGTERM or SIGINT."""
    board = await start(
        host, port, data_dir, behind_tls, allowances, public_url, metrics_listen, **edge_limits
    )
    freeze_startup_heap()
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        for line in welcome(board.url, host, board.edge.port, public_url):
            print(line, flush=True)
        print(f"data in {data_dir}; press Ctrl-C to stop", flush=True)
        await stop.wait()
        print("stopping...", flush=True)
    finally:
        await board.stop()


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `liveqa serve`."""
    add_option(
        parser, "--host", default=default_of(EdgeConfig, "host"), help="address browsers connect to"
    )
    add_option(
        parser,
        "--port",
        type=tcp_port,
        default=default_of(EdgeConfig, "port"),
        help="port browsers connect to",
    )
    add_option(
        parser,
        "--data-dir",
        type=Path,
        default=None,
        help="where the database and the key live (default $XDG_DATA_HOME/liveqa or "
        "~/.local/share/liveqa)",
    )
    add_option(
        parser,
        "--behind-tls",
        action="store_true",
        help="browsers reach this through an HTTPS front (nginx): Secure cookies, and the "
        "front's X-Forwarded-Proto and X-Forwarded-For are trusted",
    )
    add_public_url(parser)
    add_option(
        parser,
        "--metrics-listen",
        type=host_port,
        metavar="HOST:PORT",
        help="address of /metrics (the edge's and the origin's), /healthz and /readyz; "
        "default: no /metrics",
    )
    add_client_limits(parser)
    add_limit_options(parser)
    # Quiet by default: it talks to a person in a terminal, not to a log collector.
    add_logging(parser, level="warning")


def run(args: argparse.Namespace) -> int:
    """Entry point of `liveqa serve`."""
    logs.setup(args.log_level, args.log_format, args.access_log)
    raise_open_files_limit()
    data_dir = (args.data_dir or default_data_dir()).expanduser()
    try:
        asyncio.run(
            serve(
                args.host,
                args.port,
                data_dir,
                args.behind_tls,
                {**client_limits(args), "access_log": args.access_log},
                limits_from(args),
                args.public_url,
                args.metrics_listen,
            )
        )
    except ValueError as exc:
        return fail("liveqa serve", exc)
    return 0
