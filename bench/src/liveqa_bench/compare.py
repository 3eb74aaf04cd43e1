"""`liveqa bench compare`: the same load against Pushpin 1.36, then `liveqa edge`, side by side."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import aiohttp

from liveqa_bench import loops
from liveqa_bench.chart import write_chart
from liveqa_bench.client_pool import ClientPool
from liveqa_bench.connect import connect
from liveqa_bench.fanin import fanin
from liveqa_bench.fanout import fanout
from liveqa_bench.ports import free_port
from liveqa_bench.processes import edge_process, stub_origin_process
from liveqa_bench.pushpin import Pushpin
from liveqa_bench.report import BASELINE, format_comparison, rows
from liveqa_bench.result import Result, format_result, to_json
from liveqa_bench.rig import Load, Rig, Target
from liveqa_bench.usage import ProcessGroup

EDGE = "liveqa edge"
PROXIES = {"pushpin": BASELINE, "liveqa": EDGE}
SCENARIOS = ("fanout", "fanout-rate", "fanin", "connect")
DEFAULT_RATE = 1.0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def running_proxy(kind: str, origin_port: int, sig_key: str) -> AsyncIterator[Target]:
    """Start `kind` (pushpin or liveqa) in front of the stub origin; stop it afterwards."""
    if kind == "pushpin":
        # Debian's rate limits would drop deliveries; the comparison turns both off.
        pushpin = Pushpin(
            origin=f"127.0.0.1:{origin_port}", sig_key=sig_key, message_rate=0, message_hwm=0
        )
        await asyncio.to_thread(pushpin.start, origin_up=True)
        try:
            ws_url = f"ws://127.0.0.1:{pushpin.http_port}"
            yield Target(BASELINE, ws_url, pushpin.publish_url, ProcessGroup(pushpin.pids))
        finally:
            await asyncio.to_thread(pushpin.stop)
        return
    http_port, publish_port = free_port(), free_port()
    edge = edge_process(origin_port, http_port, publish_port, sig_key)
    await asyncio.to_thread(edge.start)
    try:
        yield Target(
            EDGE,
            f"ws://127.0.0.1:{http_port}",
            f"http://127.0.0.1:{publish_port}/publish/",
            ProcessGroup(edge.pids),
        )
    finally:
        await asyncio.to_thread(edge.stop)


async def run_scenario(rig: Rig, scenario: str, load: Load) -> Result:
    """One named scenario of the comparison (`fanout-rate` is fanout at `--rate`, default 1/s)."""
    if scenario == "fanout":
        return await fanout(rig, replace(load, rate=None))
    if scenario == "fanout-rate":
        return await fanout(rig, replace(load, rate=load.rate or DEFAULT_RATE))
    if scenario == "fanin":
        return await fanin(rig, load)
    if scenario == "connect":
        return await connect(rig, load)
    raise ValueError(f"unknown scenario {scenario!r}")


async def compare(
    load: Load,
    scenarios: Sequence[str],
    proxies: Sequence[str],
    workers: int,
    sig_key: str,
    client_loop: str = loops.AUTO,
) -> tuple[list[Result], list[str]]:
    """Every scenario against each proxy in turn, each run on a freshly started proxy (so memory
    figures and leftover sessions do not carry over), one proxy running at a time."""
    results: list[Result] = []
    errors: list[str] = []
    origin_port = free_port()
    origin = stub_origin_process("127.0.0.1", origin_port)
    await asyncio.to_thread(origin.start)
    try:
        with ClientPool(workers, client_loop) as pool:
            async with aiohttp.ClientSession() as session:
                failed: set[str] = set()
                for scenario in scenarios:
                    for kind in proxies:
                        if kind in failed:
                            continue
                        _say(f"{PROXIES[kind]}: {scenario} ...")
                        started = False
                        try:
                            async with running_proxy(kind, origin_port, sig_key) as target:
                                started = True
                                rig = Rig(
                                    target,
                                    pool,
                                    f"http://127.0.0.1:{origin_port}",
                                    ProcessGroup(origin.pids),
                                    session,
                                )
                                result = await run_scenario(rig, scenario, load)
                        except (OSError, RuntimeError, aiohttp.ClientError) as exc:
                            if not started:
                                failed.add(kind)
                            errors.append(f"{kind} ({scenario}): {type(exc).__name__}: {exc}")
                            continue
                        _say(format_result(result))
                        results.append(result)
    finally:
        await asyncio.to_thread(origin.stop)
    return results, errors


def _names(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise SystemExit(f"liveqa bench compare: {what} must be among {', '.join(known)}")
    return names


def run_compare(args: argparse.Namespace, load: Load) -> int:
    """Run the comparison, print the table, write JSON and the chart if asked."""
    scenarios = _names(args.scenarios, SCENARIOS, "--scenarios")
    proxies = _names(args.targets, list(PROXIES), "--targets")
    started = datetime.datetime.now(datetime.UTC)
    results, errors = asyncio.run(
        compare(load, scenarios, proxies, args.workers, args.sig_key, args.client_loop)
    )
    table = rows(results, EDGE)
    text = format_comparison(table, EDGE)
    print(text, file=sys.stderr if args.json else sys.stdout)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        document = {
            "started": started.isoformat(timespec="seconds"),
            "results": results,
            "comparison": [
                {
                    "scenario": row.scenario,
                    "figure": row.key,
                    BASELINE: row.baseline,
                    EDGE: row.challenger,
                    "ratio": row.ratio,
                    "goal": row.goal.text if row.goal else None,
                    "verdict": row.verdict or None,
                }
                for row in table
            ],
            "errors": errors,
        }
        sys.stdout.buffer.write(to_json(document) + b"\n")
    if args.chart:
        title = f"{EDGE} vs {BASELINE}, N={load.connections}, {started:%Y-%m-%d}"
        try:
            write_chart(table, EDGE, Path(args.chart), title)
        except ImportError:
            print(
                "error: --chart needs matplotlib (pip install 'liveqa-bench[chart]')",
                file=sys.stderr,
            )
            return 1
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 1 if errors else 0
