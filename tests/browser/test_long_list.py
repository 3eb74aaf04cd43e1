"""A long jump down a room of 200 questions: each frame shows the cards, nothing moves by itself."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from liveqa.serve import DATABASE_FILE
from liveqa_bench.seed import seed_room

from .conftest import DESKTOP, PHONE, People, Server

pytestmark = pytest.mark.browser

QUESTIONS = 200
FRAMES = 60
SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Samples the page after each of the next `frames` frames (a task queued from
# requestAnimationFrame runs once that frame is drawn): the scroll offset and, for every card in
# view, its top and whether its content was drawn (content-visibility may skip it). LANDED is
# the jump's test of having arrived.
WATCH = """
(frames) => {
  const landed = LANDED;
  const inView = () =>
    [...document.querySelectorAll("li.card")].filter((card) => {
      const box = card.getBoundingClientRect();
      return box.bottom > 0 && box.top < innerHeight;
    });
  window.jumpFrames = (async () => {
    const samples = [];
    for (let i = 0; i < frames; i += 1) {
      await new Promise((drawn) => requestAnimationFrame(() => setTimeout(drawn, 0)));
      samples.push({
        y: Math.round(scrollY),
        landed: landed(),
        cards: inView().map((card) => ({
          id: card.dataset.id,
          top: Math.round(card.getBoundingClientRect().top),
          drawn: card.firstElementChild.checkVisibility({ contentVisibilityAuto: true }),
        })),
      });
    }
    return samples;
  })();
}
"""

JUMPS = {
    "End key": ("() => Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight"),
    "scrollTo": "() => Math.round(scrollY) === 15000",
    "scrollIntoView": (
        "() => Math.abs(document.querySelectorAll('li.card')[180].getBoundingClientRect().top) < 1"
    ),
}


@pytest.fixture(scope="module")
def long_room(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data directory holding one room of QUESTIONS questions, and that room's id."""
    directory = tmp_path_factory.mktemp("long")
    data = directory / "data"
    data.mkdir(mode=0o700)
    database = f"sqlite:///{data / DATABASE_FILE}"
    seeded = asyncio.run(seed_room(database, QUESTIONS, random.Random(11)))
    return directory, seeded.room_id


@pytest.fixture(scope="module")
def server(long_room: tuple[Path, str]) -> Iterator[Server]:
    """`liveqa serve` on the long room's data directory."""
    running = Server(long_room[0])
    running.start()
    try:
        yield running
    finally:
        running.stop()


def jump(page: Page, how: str) -> None:
    if how == "End key":
        page.keyboard.press("End")
    elif how == "scrollTo":
        page.evaluate("scrollTo(0, 15000)")
    else:
        page.evaluate("document.querySelectorAll('li.card')[180].scrollIntoView()")


def problems(samples: list[dict[str, Any]]) -> list[str]:
    """Frames that drew cards empty, and any move after the jump landed."""
    found = [
        f"frame {i}: cards drawn empty: {[c['id'] for c in s['cards'] if not c['drawn']]}"
        for i, s in enumerate(samples)
        if not all(card["drawn"] for card in s["cards"])
    ]
    landed = next((i for i, s in enumerate(samples) if s["landed"]), None)
    if landed is None:
        return [*found, f"the jump never arrived: scrollY went {[s['y'] for s in samples]}"]
    first = samples[landed]
    tops = {card["id"]: card["top"] for card in first["cards"]}
    for i, sample in enumerate(samples[landed + 1 :], landed + 1):
        if sample["y"] != first["y"]:
            found.append(f"frame {i}: scrollY {sample['y']}, not {first['y']} as it landed")
        for card in sample["cards"]:
            if card["id"] in tops and card["top"] != tops[card["id"]]:
                found.append(
                    f"frame {i}: card {card['id']} at {card['top']} px, not {tops[card['id']]}"
                )
    return found


@pytest.mark.parametrize("how", JUMPS)
@pytest.mark.parametrize("size", SIZES)
def test_a_long_jump_draws_every_frame_and_stays_put(
    people: People, long_room: tuple[Path, str], size: str, how: str
) -> None:
    reader = people("Rita", viewport=SIZES[size])
    # Joined with a name: no welcome notice can come in above the list during the jump.
    reader.join(long_room[1])
    page = reader.page
    expect(page.locator("li.card")).to_have_count(QUESTIONS)
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    page.evaluate(WATCH.replace("LANDED", JUMPS[how]), FRAMES)
    jump(page, how)
    samples: list[dict[str, Any]] = page.evaluate("window.jumpFrames")
    found = problems(samples)
    assert not found, "\n".join(found[:12])
