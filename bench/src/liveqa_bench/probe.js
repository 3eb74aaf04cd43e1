/*
 * `liveqa bench ui` measures the room page from inside it. Playwright installs this before the
 * page's own scripts run; the benchmark reads `window.__liveqaProbe`. Times are performance.now()
 * milliseconds (0 is the start of the navigation).
 *
 * A change is "in the DOM" when a MutationObserver callback sees it (right after the render that
 * made it), and "painted" when a task posted from that callback runs: the browser runs a frame's
 * requestAnimationFrame callbacks, style, layout and paint in one task, so that is the end of the
 * frame that shows the change.
 */
(() => {
  const LIST = 'ol.questions[aria-label="Questions"]';
  const VOTED = "QUESTION_UPVOTE_PASSIVE";
  const probe = {
    expected: Infinity,
    firstRender: null,
    voteEvents: 0,
    waiting: [],
    shown: [],
    frames: null,
    longFrames: [],
    longTasks: [],
  };
  window.__liveqaProbe = probe;

  const channel = new MessageChannel();
  const afterFrame = [];
  channel.port1.onmessage = () => {
    const now = performance.now();
    for (const done of afterFrame.splice(0)) done(now);
  };
  function whenPainted(done) {
    afterFrame.push(done);
    if (afterFrame.length === 1) channel.port2.postMessage(null);
  }

  // Listening from the constructor puts this listener before the page's own `onmessage`.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const at = performance.now();
        if (typeof event.data !== "string" || !event.data.includes(VOTED)) return;
        const message = JSON.parse(event.data);
        if (message.type !== VOTED) return;
        probe.voteEvents += 1;
        probe.waiting.push({ id: message.questionId, upvotes: message.upvotes, at });
      });
    }
  };

  const count = (card) => Number(card?.querySelector(".count")?.textContent ?? NaN);

  function observed() {
    const now = performance.now();
    const list = document.querySelector(LIST);
    if (!list) return;
    if (probe.firstRender === null && list.childElementCount >= probe.expected) {
      // The page renders the room from its snapshot: what came before is mostly the server's.
      const snapshots = performance
        .getEntriesByType("resource")
        .filter((entry) => new URL(entry.name).pathname === `/api/rooms${location.pathname}`);
      const snapshot = snapshots.length ? snapshots[snapshots.length - 1].responseEnd : null;
      const first = { dom: now, painted: null, snapshot };
      probe.firstRender = first;
      whenPainted((at) => (first.painted = at));
    }
    if (probe.waiting.length === 0) return;
    const still = [];
    for (const vote of probe.waiting) {
      const card = list.querySelector(`li[data-id="${vote.id}"]`);
      const upvotes = count(card);
      if (!(upvotes >= vote.upvotes)) {
        still.push(vote);
        continue;
      }
      // In Top order a card has no fewer votes than the one after it, no more than the one before;
      // once the reader has scrolled into the list, the cards keep the order being read instead.
      const kept = list.getBoundingClientRect().top < 0;
      const previous = card.previousElementSibling;
      const next = card.nextElementSibling;
      const inOrder = (!previous || count(previous) >= upvotes) && (!next || count(next) <= upvotes);
      const shown = { at: vote.at, dom: now - vote.at, painted: null, inOrder, kept };
      probe.shown.push(shown);
      whenPainted((at) => (shown.painted = at - vote.at));
    }
    probe.waiting = still;
  }
  new MutationObserver(observed).observe(document, { childList: true, subtree: true, characterData: true });

  /** Record every frame's start time until `stopFrames()`. */
  probe.recordFrames = () => {
    const frames = [];
    probe.frames = frames;
    const tick = (time) => {
      if (probe.frames !== frames) return;
      frames.push(time);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  probe.stopFrames = () => {
    const frames = probe.frames ?? [];
    probe.frames = null;
    return frames;
  };

  /** Scroll the page to the bottom and back at `speed` px/s, one step per frame. */
  probe.scroll = (speed) =>
    new Promise((resolve) => {
      const root = document.scrollingElement;
      let y = 0;
      let direction = 1;
      let last = null;
      let distance = 0;
      const step = (time) => {
        if (last !== null) {
          const move = (speed * (time - last)) / 1000;
          y += direction * move;
          distance += move;
        }
        last = time;
        // Cards off screen are sized when first shown (content-visibility), so the end moves.
        const bottom = root.scrollHeight - root.clientHeight;
        if (direction > 0 && y >= bottom) {
          distance -= y - bottom;
          y = bottom;
          direction = -1;
        }
        if (direction < 0 && y <= 0) {
          window.scrollTo({ top: 0, behavior: "instant" });
          resolve({ distance: distance + y });
          return;
        }
        window.scrollTo({ top: y, behavior: "instant" });
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });

  for (const [type, entries] of [
    ["long-animation-frame", probe.longFrames],
    ["longtask", probe.longTasks],
  ]) {
    if (!PerformanceObserver.supportedEntryTypes?.includes(type)) continue;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) entries.push([entry.startTime, entry.duration]);
    }).observe({ type, buffered: true });
  }
})();
