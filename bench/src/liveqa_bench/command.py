"""`liveqa bench fanout|fanin|connect|compare`: load a GRIP proxy and report what it cost."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from liveqa.addresses import is_loopback
from liveqa.edge.command import raise_open_files_limit
from liveqa.options import add_option
from liveqa.origin.limits import Limits
from liveqa_bench import loops
from liveqa_bench.app_load import AppLoad, run_app
from liveqa_bench.chromium import CHROMIUM, VIEWPORTS
from liveqa_bench.client_pool import ClientPool
from liveqa_bench.cluster import DEFAULT_BUS, layout_name, run_cluster
from liveqa_bench.connect import connect
from liveqa_bench.fanin import fanin
from liveqa_bench.fanout import fanout
from liveqa_bench.processes import stub_origin_process
from liveqa_bench.receiver import EPOLL, LOOP
from liveqa_bench.report import format_comparison, rows
from liveqa_bench.result import Result, format_result, to_json
from liveqa_bench.rig import Load, Rig, Target
from liveqa_bench.usage import ProcessGroup

Scenario = Callable[[Rig, Load], Awaitable[Result]]
SCENARIOS: dict[str, Scenario] = {"fanout": fanout, "fanin": fanin, "connect": connect}
HELP = {
    "fanout": "N subscribers, a publisher bursting M messages (or --rate R for --duration s)",
    "fanin": "N clients each sending K messages at once to the origin",
    "connect": "open N connections, C handshakes in flight",
    "compare": "run scenarios against Pushpin 1.36 and liveqa edge, print both and the ratios",
    "app": "N attendees in one room of a liveqa it starts, writers posting and upvoting",
    "soak": "a room kept busy for minutes (writes, reconnects, flapping clients), memory and"
    " open files of edge and origin sampled",
    "cluster": "fan-out through edges sharing a Redis bus, compared with one edge",
    "ui": "a room of N questions in headless Chromium: first render, re-order and scroll frames",
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _load_options(parser: argparse.ArgumentParser, scenario: str) -> None:
    add_option(
        parser, "--connections", type=_positive_int, default=1000, help="client connections (N)"
    )
    parser.add_argument(
        "-n", dest="connections", type=_positive_int, default=argparse.SUPPRESS,
        help="same as --connections",
    )  # fmt: skip
    add_option(
        parser, "--in-flight", type=_positive_int, default=500, help="handshakes at once (connect)"
    )
    add_option(
        parser,
        "--setup-in-flight",
        type=_positive_int,
        default=50,
        help="handshakes at once while fanout and fanin set up (Pushpin 502s past ~100)",
    )
    add_option(parser, "--workers", type=_positive_int, default=2, help="client processes")
    add_option(
        parser,
        "--client-loop",
        choices=loops.CHOICES,
        default=loops.AUTO,
        help="event loop of the client processes (auto: uvloop when installed)",
    )
    add_option(parser, "--size", type=_positive_int, default=200, help="message bytes")
    add_option(parser, "--path", default="/bench", help="WebSocket path on the proxy")
    add_option(parser, "--timeout", type=_positive_float, default=60.0, help="bound of each phase")
    add_option(parser, "--idle", type=_positive_float, default=5.0, help="give up after s idle")
    add_option(parser, "--json", action="store_true", help="print JSON (text goes to stderr)")
    if scenario in ("fanout", "compare"):
        add_option(parser, "--burst", type=_positive_int, default=100, help="messages (M)")
        add_option(parser, "--batch", type=_positive_int, default=1, help="items per publish")
        add_option(parser, "--rate", type=_positive_float, help="publish R messages/s instead")
        add_option(parser, "--duration", type=_positive_float, default=10.0, help="s at --rate")
        add_option(
            parser,
            "--receive",
            choices=(EPOLL, LOOP),
            default=EPOLL,
            help="how clients read while measured: a bare epoll loop, or the event loop",
        )
    if scenario in ("fanin", "compare"):
        add_option(
            parser, "--per-client", type=_positive_int, default=4, help="messages per client (K)"
        )
        add_option(parser, "--ack", action="store_true", help="origin acks every message")


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return value


def _app_options(parser: argparse.ArgumentParser) -> None:
    add_option(parser, "--rate", type=_positive_float, default=50.0, help="writes/s in all")
    add_option(parser, "--duration", type=_positive_float, default=10.0, help="s of writing")
    add_option(parser, "--writers", type=_positive_int, default=100, help="attendees who write")
    add_option(parser, "--vote-share", type=_share, default=0.5, help="share of writes that vote")
    add_option(
        parser,
        "--database-url",
        help="the origin's database (default: SQLite in a temporary directory)",
    )
    add_option(
        parser,
        "--receive",
        choices=(EPOLL, LOOP),
        default=EPOLL,
        help="how clients read while measured: a bare epoll loop, or the event loop",
    )


def _layouts(text: str) -> list[int]:
    try:
        layouts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        layouts = []
    if not layouts or min(layouts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of edge counts like 1,2")
    return layouts


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    add_option(parser, "--rate", type=_positive_float, default=1.0, help="publishes/s")
    add_option(parser, "--duration", type=_positive_float, default=10.0, help="s of publishing")
    add_option(
        parser,
        "--layouts",
        type=_layouts,
        default=[1, 2],
        help="edge counts to run one after the other (more than one share the bus)",
    )
    add_option(parser, "--bus", default=DEFAULT_BUS, help="Redis URL the edges share")
    add_option(
        parser,
        "--receive",
        choices=(EPOLL, LOOP),
        default=EPOLL,
        help="how clients read while measured: a bare epoll loop, or the event loop",
    )
    add_option(
        parser,
        "--sig-key",
        default="liveqa-bench-grip-sig-key-0123456789",
        help="Grip-Sig key the edges sign with",
    )


def _questions(text: str) -> int:
    value = _positive_int(text)
    if value > Limits.questions_per_room:
        raise argparse.ArgumentTypeError(
            f"{value} is more than a room holds ({Limits.questions_per_room})"
        )
    return value


def _viewports(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or any(name not in VIEWPORTS for name in names):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of viewports from {', '.join(VIEWPORTS)}"
        )
    return names


def _ui_options(parser: argparse.ArgumentParser) -> None:
    add_option(
        parser, "--questions", type=_questions, default=500, help="questions in the room (N)"
    )
    add_option(parser, "--vote-rate", type=_positive_float, default=5.0, help="upvotes/s")
    add_option(
        parser,
        "--duration",
        type=_positive_float,
        default=10.0,
        help="s of votes with the page still, before it scrolls",
    )
    add_option(
        parser,
        "--scroll-speed",
        type=_positive_float,
        default=3000.0,
        help="px/s of the scroll to the bottom and back",
    )
    add_option(
        parser,
        "--viewports",
        type=_viewports,
        default=["phone", "desktop"],
        help="comma-separated: phone (390x844), desktop (1280x800)",
    )
    add_option(parser, "--chromium", default=CHROMIUM, help="the Chromium binary Playwright drives")
    add_option(parser, "--timeout", type=_positive_float, default=60.0, help="bound of each phase")
    add_option(parser, "--json", action="store_true", help="print JSON (text goes to stderr)")


def _target_options(parser: argparse.ArgumentParser) -> None:
    add_option(
        parser,
        "--proxy-url",
        action="append",
        default=["ws://127.0.0.1:7999"],
        help="client-facing URL; repeat for edges sharing a bus (clients are spread over them)",
    )
    add_option(
        parser, "--publish-url", default="http://127.0.0.1:5561/publish/", help="publish endpoint"
    )
    add_option(parser, "--publish-key", help="send Authorization: Bearer KEY when publishing")
    add_option(
        parser, "--proxy-pid", action="append", default=[], help="proxy pid (tree) to account for"
    )
    add_option(parser, "--name", default="proxy", help="label of the proxy in the report")
    add_option(
        parser, "--origin-listen", default="127.0.0.1:9000", help="where to run the stub origin"
    )


def _compare_options(parser: argparse.ArgumentParser) -> None:
    add_option(
        parser,
        "--scenarios",
        default="fanout,fanout-rate,fanin,connect",
        help="comma-separated: fanout, fanout-rate, fanin, connect",
    )
    add_option(parser, "--targets", default="pushpin,liveqa", help="comma-separated proxies")
    add_option(
        parser,
        "--sig-key",
        default="liveqa-bench-grip-sig-key-0123456789",
        help="Grip-Sig key both proxies sign with",
    )
    add_option(parser, "--chart", help="write a PNG bar chart of the ratios (needs matplotlib)")


def configure(parser: argparse.ArgumentParser) -> None:
    """Fill the `liveqa bench` parser."""
    scenarios = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO")
    for name, text in HELP.items():
        sub = scenarios.add_parser(name, help=text, description=text)
        if name == "ui":
            _ui_options(sub)
            continue
        if name == "soak":
            _soak_options(sub)
            continue
        _load_options(sub, name)
        if name == "compare":
            _compare_options(sub)
        elif name == "app":
            _app_options(sub)
        elif name == "cluster":
            _cluster_options(sub)
        else:
            _target_options(sub)


def load_from(args: argparse.Namespace) -> Load:
    """Scenario parameters from the parsed options."""
    fields: dict[str, Any] = {
        key: getattr(args, key)
        for key in Load.__dataclass_fields__
        if getattr(args, key, None) is not None
    }
    return Load(**fields)


async def run_single(args: argparse.Namespace) -> Result:
    """One scenario against a proxy that is already running, with our stub origin."""
    host, _, port = args.origin_listen.rpartition(":")
    if not is_loopback(host) or not port.isdigit():
        raise ValueError(f"--origin-listen {args.origin_listen!r} is not a loopback host:port")
    pids = [int(pid) for pid in args.proxy_pid]
    target = Target(
        args.name,
        args.proxy_url[0],
        args.publish_url,
        ProcessGroup(lambda: pids) if pids else None,
        args.publish_key,
        args.proxy_url[1:],
    )
    origin = stub_origin_process(host, int(port))
    await asyncio.to_thread(origin.start)
    try:
        with ClientPool(args.workers, args.client_loop) as pool:
            async with aiohttp.ClientSession() as session:
                rig = Rig(target, pool, f"http://{args.origin_listen}", ProcessGroup(origin.pids),
                          session)  # fmt: skip
                return await SCENARIOS[args.scenario](rig, load_from(args))
    finally:
        await asyncio.to_thread(origin.stop)


def run(args: argparse.Namespace) -> int:
    """Run the chosen scenario (or the comparison) and print its record."""
    if args.scenario == "ui":
        return _run_ui(args)
    if args.scenario == "soak":
        return _run_soak(args)
    raise_open_files_limit()
    try:
        loops.resolve(args.client_loop)
    except ValueError as exc:
        print(f"liveqa bench {args.scenario}: {exc}", file=sys.stderr)
        return 1
    if args.scenario == "compare":
        from liveqa_bench.compare import run_compare

        return run_compare(args, load_from(args))
    if args.scenario == "cluster":
        return _run_cluster(args)
    try:
        if args.scenario == "app":
            app_load = AppLoad(args.writers, args.rate, args.vote_share, args.database_url)
            result = asyncio.run(run_app(load_from(args), app_load, args.workers, args.client_loop))
        else:
            result = asyncio.run(run_single(args))
    except (OSError, RuntimeError, ValueError, aiohttp.ClientError) as exc:
        print(f"liveqa bench {args.scenario}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(format_result(result), file=sys.stderr)
        sys.stdout.buffer.write(to_json(result) + b"\n")
    else:
        print(format_result(result))
    return 0 if result.figures.get("connections") else 1


def _run_cluster(args: argparse.Namespace) -> int:
    """Each layout in turn; the results, and the first two layouts side by side."""
    load = load_from(args)
    try:
        results = asyncio.run(
            run_cluster(load, args.layouts, args.workers, args.client_loop, args.sig_key, args.bus)
        )
    except (OSError, RuntimeError, ValueError, aiohttp.ClientError) as exc:
        print(f"liveqa bench cluster: {exc}", file=sys.stderr)
        return 1
    text = "\n\n".join(format_result(result) for result in results)
    if len(args.layouts) > 1:
        first, second = (layout_name(edges) for edges in args.layouts[:2])
        text += "\n\n" + format_comparison(rows(results, second, first), second, first)
    print(text, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        sys.stdout.buffer.write(to_json(results) + b"\n")
    return 0 if all(result.figures.get("connections") for result in results) else 1


def _soak_options(parser: argparse.ArgumentParser) -> None:
    add_option(parser, "--attendees", type=_positive_int, default=500, help="attendees in the room")
    add_option(parser, "--rate", type=_positive_float, default=10.0, help="writes/s in all")
    add_option(
        parser, "--reconnect-rate", type=float, default=5.0, help="attendee reconnects/s in all"
    )
    add_option(parser, "--flappers", type=int, default=0, help="clients that only come and go")
    add_option(parser, "--flap-rate", type=float, default=0.0, help="their connects/s in all")
    add_option(parser, "--duration", type=_positive_float, default=600.0, help="seconds to run")
    add_option(
        parser, "--sample-every", type=_positive_float, default=10.0, help="seconds between samples"
    )
    add_option(parser, "--database-url", help="the origin's database (default: SQLite)")
    add_option(parser, "--json", action="store_true", help="print JSON (text goes to stderr)")


def _run_soak(args: argparse.Namespace) -> int:
    """Keep a room busy and print what the processes held; exit 1 if nobody stayed connected."""
    from liveqa_bench.soak import SoakLoad, run_soak

    raise_open_files_limit()
    load = SoakLoad(
        attendees=args.attendees,
        write_rate=args.rate,
        reconnect_rate=args.reconnect_rate,
        flappers=args.flappers,
        flap_rate=args.flap_rate,
        duration=args.duration,
        sample_every=args.sample_every,
        database_url=args.database_url,
    )
    try:
        result = asyncio.run(run_soak(load))
    except (OSError, RuntimeError, ValueError, aiohttp.ClientError) as exc:
        print(f"liveqa bench soak: {exc}", file=sys.stderr)
        return 1
    print(format_result(result), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        sys.stdout.buffer.write(to_json(result) + b"\n")
    return 0 if result.figures.get("connections") else 1


def _run_ui(args: argparse.Namespace) -> int:
    """Measure the web client; exit 1 unless every viewport met every threshold."""
    from liveqa_bench.ui import UiLoad, missed, run_ui

    load = UiLoad(
        questions=args.questions,
        vote_rate=args.vote_rate,
        duration=args.duration,
        scroll_speed=args.scroll_speed,
        viewports=tuple(args.viewports),
        chromium=args.chromium,
        timeout=args.timeout,
    )
    try:
        results = asyncio.run(run_ui(load))
    except (OSError, RuntimeError, ValueError, aiohttp.ClientError) as exc:
        print(f"liveqa bench ui: {exc}", file=sys.stderr)
        return 1
    text = "\n\n".join(format_result(result) for result in results)
    print(text, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        sys.stdout.buffer.write(to_json(results) + b"\n")
    return 1 if any(missed(result.figures) for result in results) else 0
