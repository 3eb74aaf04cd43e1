"""`liveqa bench ui`: is a room of many questions smooth to scroll and re-order in a browser?

The benchmark writes a room of `--questions` questions (varied votes, a few answered) into a
fresh data directory through the store, starts `liveqa serve` on it, and opens the room as an
attendee in Debian's headless Chromium. A probe installed before the page's own scripts
(probe.js) times, inside the page:

1. the first render: navigation start to every card in the DOM, and to the end of that frame;
2. re-ordering: while voters (attendees on their own sockets) upvote at `--vote-rate` votes/s,
   each vote event's arrival on the page's socket to its new count in the DOM with the card
   between neighbours in Top order, and to the end of the frame that shows it;
3. frames: every frame interval for `--duration` s with the page still while the votes come,
   then while it scrolls to the bottom and back at `--scroll-speed` px/s, votes still coming.

Afterwards the cards on screen must be in exactly the Top order of the room's snapshot.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import aiohttp

from liveqa.serve import DATABASE_FILE
from liveqa_bench.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, check
from liveqa_bench.order import misplaced, top_order
from liveqa_bench.ports import free_port
from liveqa_bench.processes import ChildProcess
from liveqa_bench.result import Result, Value
from liveqa_bench.rig import describe
from liveqa_bench.seed import SeededRoom, seed_room
from liveqa_bench.timings import intervals, over, summarize
from liveqa_bench.voters import Voters, voters_for

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

# The same seed every run: the same vote counts and the same voting targets.
SEED = 20261128
LIST = 'ol.questions[aria-label="Questions"] > li'
# Headless Chromium starts a frame every 16.7 ms: a frame interval of 33 ms or more is a
# dropped frame, 50 ms or more a long one.
DROPPED_MS = 33.0
LONG_MS = 50.0
SETTLE_POLL_S = 0.1


class Threshold(NamedTuple):
    """A figure that must not exceed `limit` for the page to count as smooth."""

    figure: str
    limit: float
    meaning: str


THRESHOLDS = (
    Threshold("still_frames_over_50ms", 0, "no frame over 50 ms while votes re-order the list"),
    Threshold("scroll_frames_over_50ms", 0, "no frame over 50 ms while scrolling"),
    Threshold("still_frame_p95_ms", 20.0, "frame time p95 at most 20 ms while re-ordering"),
    Threshold("scroll_frame_p95_ms", 20.0, "frame time p95 at most 20 ms while scrolling"),
    Threshold("vote_to_paint_p95_ms", 50.0, "a vote on screen, in order, within 50 ms at p95"),
    Threshold("votes_not_shown", 0, "every vote event reaches the screen"),
    Threshold(
        "shown_out_of_order",
        0,
        "every re-ordered card lands between the right neighbours (unless the reader's place is"
        " kept: scrolled into the list)",
    ),
    Threshold("final_misplaced", 0, "the cards end in the room's Top order"),
    Threshold("page_errors", 0, "no uncaught error in the page"),
)


@dataclass(frozen=True)
class UiLoad:
    """What `liveqa bench ui` measures."""

    questions: int = 500
    vote_rate: float = 5.0
    duration: float = 10.0
    scroll_speed: float = 3000.0
    viewports: tuple[str, ...] = ("phone",)
    chromium: str = CHROMIUM
    timeout: float = 60.0


def probe_script(questions: int) -> str:
    """The page probe, told how many cards the first render must show."""
    source = files("liveqa_bench").joinpath("probe.js").read_text(encoding="utf-8")
    return f"{source}\nwindow.__liveqaProbe.expected = {questions};\n"


def serve_process(port: int, data_dir: Path) -> ChildProcess:
    """`liveqa serve` on a loopback port with its own data directory."""
    command = [sys.executable, "-m", "liveqa", "serve", "--port", str(port)]
    return ChildProcess("serve", [*command, "--data-dir", str(data_dir)], [port])


async def run_ui(load: UiLoad) -> list[Result]:
    """Seed a room per viewport, start `liveqa serve` and Chromium, measure, stop both."""
    check(load.chromium)
    from playwright.async_api import Error

    try:
        return await _run(load)
    except Error as exc:
        raise RuntimeError(f"Chromium: {exc.message}") from None


async def _run(load: UiLoad) -> list[Result]:
    from playwright.async_api import async_playwright

    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="liveqa-bench-ui-") as directory:
        data_dir = Path(directory) / "data"
        data_dir.mkdir(mode=0o700)
        database = f"sqlite:///{data_dir / DATABASE_FILE}"
        rooms = [await seed_room(database, load.questions, rng) for _ in load.viewports]
        serve = serve_process(free_port(), data_dir)
        await asyncio.to_thread(serve.start, load.timeout)
        try:
            base_url = f"http://127.0.0.1:{serve.ports[0]}"
            async with async_playwright() as driver:
                browser = await driver.chromium.launch(
                    executable_path=load.chromium, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
                        return [
                            await measure(browser, http, base_url, room, viewport, load, rng)
                            for room, viewport in zip(rooms, load.viewports, strict=True)
                        ]
                finally:
                    await browser.close()
        finally:
            await asyncio.to_thread(serve.stop)


@dataclass
class Phases:
    """What the page recorded while still and while scrolling."""

    still: list[float]
    scroll: list[float]
    scrolled_px: float


async def measure(
    browser: Browser,
    http: aiohttp.ClientSession,
    base_url: str,
    room: SeededRoom,
    viewport: str,
    load: UiLoad,
    rng: random.Random,
) -> Result:
    """One attendee's page in `room`: first render, then votes while still and scrolling."""
    context = await browser.new_context(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    notes: list[str] = []
    try:
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.add_init_script(script=probe_script(load.questions))
        await page.goto(f"{base_url}/{room.room_id}", wait_until="commit")
        await _first_render(page, load)
        voters = await Voters.join(http, base_url, room.room_id, voters_for(load.vote_rate), rng)
        try:
            voters.start(load.vote_rate, room.question_ids)
            phases = await _phases(page, load)
            if not await voters.stop(load.timeout):
                notes.append("some votes were never answered")
        finally:
            await voters.close()
        notes += describe(voters.refused, "votes refused")
        questions = await _snapshot(http, base_url, room.room_id)
        expected = top_order(questions)
        upvotes = {str(q["questionId"]): int(q["upvotes"]) for q in questions}
        final = [(question, upvotes[question]) for question in expected]
        shown = await _settle(page, final, load.timeout)
        probe = await page.evaluate(
            """async () => {
                // Past the next frame, every card shown so far has its paint time too.
                await new Promise((done) => requestAnimationFrame(() => setTimeout(done)));
                const probe = window.__liveqaProbe;
                return {firstRender: probe.firstRender, voteEvents: probe.voteEvents,
                        shown: probe.shown, longFrames: probe.longFrames,
                        longTasks: probe.longTasks};
            }"""
        )
        version = browser.version
    finally:
        await context.close()
    figures = _figures(load, phases, probe, shown, expected)
    figures["votes_sent"] = voters.sent
    figures["votes_acked"] = voters.acked
    figures["page_errors"] = len(errors)
    notes += [f"page error: {error}" for error in errors[:5]]
    notes += verdict(figures)
    size = VIEWPORTS[viewport]
    return Result(
        scenario="ui",
        target=f"Chromium {version}, {viewport} {size['width']}x{size['height']}",
        params={
            "questions": load.questions,
            "vote_rate": load.vote_rate,
            "duration": load.duration,
            "scroll_speed": load.scroll_speed,
            "viewport": viewport,
        },
        figures=figures,
        notes=notes,
    )


async def _first_render(page: Page, load: UiLoad) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_function(
            "() => window.__liveqaProbe.firstRender?.painted != null",
            timeout=load.timeout * 1000,
        )
    except PlaywrightTimeout:
        raise RuntimeError(
            f"the page did not show all {load.questions} questions within {load.timeout:g} s"
        ) from None


async def _phases(page: Page, load: UiLoad) -> Phases:
    """Frames for `duration` s with the page still, then scrolling down and back up."""
    await page.evaluate("() => window.__liveqaProbe.recordFrames()")
    await asyncio.sleep(load.duration)
    still = await page.evaluate("() => window.__liveqaProbe.stopFrames()")
    height = await page.evaluate("() => document.scrollingElement.scrollHeight")
    # Cards not yet shown count 130 px until rendered: allow for them being twice as tall.
    bound = 4 * height / load.scroll_speed + load.timeout
    await page.evaluate("() => window.__liveqaProbe.recordFrames()")
    try:
        async with asyncio.timeout(bound):
            scrolled = await page.evaluate(
                "(speed) => window.__liveqaProbe.scroll(speed)", load.scroll_speed
            )
    except TimeoutError:
        raise RuntimeError(
            f"the page did not scroll to the bottom and back within {bound:.0f} s"
        ) from None
    scroll = await page.evaluate("() => window.__liveqaProbe.stopFrames()")
    return Phases(still, scroll, float(scrolled["distance"]))


async def _snapshot(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> list[dict[str, Any]]:
    async with http.get(f"{base_url}/api/rooms/{room_id}") as response:
        response.raise_for_status()
        snapshot = await response.json()
    questions: list[dict[str, Any]] = snapshot["questions"]
    return questions


async def _settle(page: Page, final: Sequence[tuple[str, int]], within: float) -> list[str]:
    """The ids on screen once the cards show the `final` ids and counts (every vote event
    rendered) in that order, or when `within` s have passed."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        cards = await page.evaluate(
            """(selector) => Array.from(document.querySelectorAll(selector),
                (li) => [li.dataset.id, Number(li.querySelector(".count").textContent)])""",
            LIST,
        )
        shown = [(str(question), int(count)) for question, count in cards]
        if shown == list(final) or asyncio.get_running_loop().time() > deadline:
            return [question for question, _ in shown]
        await asyncio.sleep(SETTLE_POLL_S)


def _within(entries: Sequence[Sequence[float]], frames: Sequence[float]) -> int | None:
    """How many [start, duration] entries started during the recorded frames."""
    if not frames:
        return None
    return sum(1 for start, _ in entries if frames[0] <= start <= frames[-1])


def _frame_figures(prefix: str, frames: Sequence[float], probe: dict[str, Any]) -> dict[str, Value]:
    times = intervals(frames)
    summary = summarize(times)
    return {
        f"{prefix}_frames": len(times),
        f"{prefix}_frame_p50_ms": summary.p50 if summary else None,
        f"{prefix}_frame_p95_ms": summary.p95 if summary else None,
        f"{prefix}_frame_p99_ms": summary.p99 if summary else None,
        f"{prefix}_frame_max_ms": summary.max if summary else None,
        f"{prefix}_frames_over_33ms": over(times, DROPPED_MS),
        f"{prefix}_frames_over_50ms": over(times, LONG_MS),
        f"{prefix}_long_animation_frames": _within(probe["longFrames"], frames),
        f"{prefix}_long_tasks": _within(probe["longTasks"], frames),
    }


def _figures(
    load: UiLoad,
    phases: Phases,
    probe: dict[str, Any],
    shown: Sequence[str],
    expected: Sequence[str],
) -> dict[str, Value]:
    first = probe["firstRender"]
    votes = probe["shown"]
    to_dom = summarize(vote["dom"] for vote in votes)
    to_paint = summarize(vote["painted"] for vote in votes if vote["painted"] is not None)
    return {
        "questions": load.questions,
        "cards": len(shown),
        "first_render_dom_ms": first["dom"],
        "first_render_painted_ms": first["painted"],
        "first_render_snapshot_ms": first["snapshot"],
        "first_render_after_snapshot_ms": (
            None if first["snapshot"] is None else first["painted"] - first["snapshot"]
        ),
        "vote_events": probe["voteEvents"],
        "votes_shown": len(votes),
        "votes_not_shown": probe["voteEvents"] - len(votes),
        "vote_to_dom_p50_ms": to_dom.p50 if to_dom else None,
        "vote_to_dom_p95_ms": to_dom.p95 if to_dom else None,
        "vote_to_dom_max_ms": to_dom.max if to_dom else None,
        "vote_to_paint_p50_ms": to_paint.p50 if to_paint else None,
        "vote_to_paint_p95_ms": to_paint.p95 if to_paint else None,
        "vote_to_paint_max_ms": to_paint.max if to_paint else None,
        "shown_out_of_order": sum(1 for vote in votes if not vote["inOrder"] and not vote["kept"]),
        "final_misplaced": misplaced(shown, expected),
        **_frame_figures("still", phases.still, probe),
        **_frame_figures("scroll", phases.scroll, probe),
        "scrolled_px": phases.scrolled_px,
    }


def missed(figures: dict[str, Value]) -> list[Threshold]:
    """The thresholds `figures` do not meet (a figure that was not measured misses)."""
    return [
        threshold
        for threshold in THRESHOLDS
        if (value := figures.get(threshold.figure)) is None or value > threshold.limit
    ]


def verdict(figures: dict[str, Value]) -> list[str]:
    """Notes naming each missed threshold, and whether the page counts as smooth."""
    failed = missed(figures)
    lines = [f"FAIL: {t.meaning} ({t.figure} = {figures.get(t.figure)})" for t in failed]
    if failed:
        return [*lines, f"verdict: not smooth ({len(failed)} of {len(THRESHOLDS)} missed)"]
    return [f"verdict: smooth (all {len(THRESHOLDS)} thresholds met)"]
