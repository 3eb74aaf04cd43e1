import test from "node:test";
import assert from "node:assert/strict";
import { Realtime, ServerError, socketUrl, backoffDelay, BASE_DELAY_MS, MAX_DELAY_MS } from "../../src/liveqa/web/socket.js";
import { FakeClock, FakeSocket } from "./fakes.mjs";

function setup(handlers = {}) {
  FakeSocket.reset();
  const clock = new FakeClock();
  const statuses = [];
  const events = [];
  const realtime = new Realtime(
    "ws://test/api/websocket?roomId=demo",
    {
      onStatus: (status, detail) => statuses.push([status, detail]),
      onEvent: (event) => events.push(event),
      ...handlers,
    },
    {
      WebSocket: FakeSocket,
      setTimeout: clock.setTimeout,
      clearTimeout: clock.clearTimeout,
      now: clock.now,
      random: () => 0.5,
      refPrefix: "r",
    },
  );
  return { clock, statuses, events, realtime };
}

test("the socket URL follows the page's scheme and host and encodes the room", () => {
  assert.equal(socketUrl({ protocol: "http:", host: "h:7999" }, "a b"), "ws://h:7999/api/websocket?roomId=a%20b");
  assert.equal(socketUrl({ protocol: "https:", host: "qa.example" }, "demo"), "wss://qa.example/api/websocket?roomId=demo");
  assert.equal(socketUrl({ protocol: "https:", host: "qa.example" }, "demo", "present"), "wss://qa.example/api/websocket?roomId=demo&view=present");
});

test("messages resolve with their ACK and reject with their ERROR", async () => {
  const { realtime } = setup();
  realtime.start();
  FakeSocket.last().open();
  const ok = realtime.send({ type: "QUESTION_UPVOTE", questionId: "q1", removeUpvote: false });
  const bad = realtime.send({ type: "QUESTION_DELETE", questionId: "q1" });
  const socket = FakeSocket.last();
  assert.deepEqual(socket.sent.map((m) => m.ref), ["r1", "r2"]);
  socket.receive({ type: "ERROR", ref: "r2", code: "not_host", message: "only hosts of this room may do this" });
  socket.receive({ type: "ACK", ref: "r1", upvoted: true });
  assert.deepEqual(await ok, { type: "ACK", ref: "r1", upvoted: true });
  await assert.rejects(bad, (error) => error instanceof ServerError && error.code === "not_host");
  assert.equal(realtime.unsent, 0);
});

test("events are passed on; keep-alives and garbage are dropped", () => {
  const { realtime, events } = setup();
  realtime.start();
  const socket = FakeSocket.last();
  socket.open();
  socket.receive("{}");
  socket.receive("not json");
  socket.receive({ type: "ERROR", code: "invalid_message", message: "no ref" });
  socket.receive({ type: "QUESTION_DELETE_PASSIVE", roomId: "demo", seq: 3, questionId: "q" });
  assert.deepEqual(events.map((e) => e.type), ["ERROR", "QUESTION_DELETE_PASSIVE"]);
});

test("text sent while offline waits, then goes out once on reconnect", async () => {
  const { realtime, clock } = setup();
  realtime.start();
  const post = realtime.send({ type: "QUESTION_POST_TO_ROOM", questionText: "hi", nonce: "n1" });
  const first = FakeSocket.last();
  assert.deepEqual(first.sent, [], "nothing is sent before the socket opens");
  first.open();
  assert.equal(first.sent.length, 1);
  first.drop();
  clock.advance(60_000);
  const second = FakeSocket.last();
  assert.notEqual(second, first);
  second.open();
  assert.deepEqual(second.sent, [{ type: "QUESTION_POST_TO_ROOM", questionText: "hi", nonce: "n1", ref: "r1" }]);
  second.receive({ type: "ACK", ref: "r1", questionId: "abc" });
  assert.equal((await post).questionId, "abc");
  second.drop();
  clock.advance(60_000);
  FakeSocket.last().open();
  assert.deepEqual(FakeSocket.last().sent, [], "an answered message is never sent again");
});

test("reconnects back off exponentially with jitter and report their delay", () => {
  const { realtime, clock, statuses } = setup();
  realtime.start();
  const delays = [];
  for (let i = 0; i < 8; i += 1) {
    FakeSocket.last().drop();
    delays.push(statuses.at(-1)[1].delay);
    assert.equal(statuses.at(-1)[0], "reconnecting");
    clock.advance(delays.at(-1));
  }
  // random() = 0.5 gives three quarters of each ceiling: 500 ms doubling up to the 30 s cap.
  assert.deepEqual(delays, [375, 750, 1500, 3000, 6000, 12000, 22500, 22500]);
  assert.equal(FakeSocket.made.length, 9);
});

test("a connection that stayed up resets the backoff", () => {
  const { realtime, clock, statuses } = setup();
  realtime.start();
  for (let i = 0; i < 4; i += 1) {
    FakeSocket.last().drop();
    clock.advance(statuses.at(-1)[1].delay);
  }
  FakeSocket.last().open();
  clock.advance(10_000);
  FakeSocket.last().drop();
  assert.equal(statuses.at(-1)[1].delay, 375);
});

test("retryNow skips the wait; stop ends reconnecting", () => {
  const { realtime, clock } = setup();
  realtime.start();
  FakeSocket.last().drop();
  realtime.retryNow();
  assert.equal(FakeSocket.made.length, 2);
  realtime.stop();
  assert.deepEqual(FakeSocket.last().closedWith, { code: 1000, reason: "leaving" });
  FakeSocket.last().drop(1000);
  clock.advance(120_000);
  assert.equal(FakeSocket.made.length, 2);
  assert.equal(realtime.status, "stopped");
});

test("a connection that never opens, or goes silent, is abandoned and retried", () => {
  const { realtime, clock } = setup();
  realtime.start();
  clock.advance(10_000);
  assert.equal(FakeSocket.made[0].closedWith.code, 4000);
  assert.equal(realtime.status, "reconnecting");
  clock.advance(1_000);
  const socket = FakeSocket.last();
  socket.open();
  clock.advance(70_000);
  socket.receive("{}");
  clock.advance(70_000);
  assert.equal(socket.closedWith, null, "keep-alives keep it open");
  clock.advance(10_000);
  assert.equal(socket.closedWith.code, 4001);
  assert.equal(realtime.status, "reconnecting");
});

test("reconnect() opens a fresh connection at once (after becoming host)", () => {
  const { realtime, clock } = setup();
  realtime.start();
  const first = FakeSocket.last();
  first.open();
  realtime.reconnect();
  first.drop(1000);
  clock.advance(500);
  assert.equal(FakeSocket.made.length, 2);
});

test("each connection reports open, and closes report their code", () => {
  const closes = [];
  let opens = 0;
  const { realtime, clock } = setup({ onClose: (code) => closes.push(code), onOpen: () => (opens += 1) });
  realtime.start();
  FakeSocket.last().open();
  FakeSocket.last().drop(4404);
  clock.advance(1_000);
  FakeSocket.last().open();
  assert.deepEqual(closes, [4404]);
  assert.equal(opens, 2);
});

test("a message the server failed without storing is sent again with backoff, then given up", async () => {
  const { realtime, clock } = setup();
  realtime.start();
  const socket = FakeSocket.last();
  socket.open();
  const post = realtime.send({ type: "QUESTION_POST_TO_ROOM", questionText: "hi", nonce: "n1" });
  const failed = { type: "ERROR", ref: "r1", code: "internal_error", message: "the server failed; retry" };
  for (const wait of [1_000, 2_000, 4_000, 8_000, 16_000]) {
    const sent = socket.sent.length;
    socket.receive(failed);
    clock.advance(wait - 1);
    assert.equal(socket.sent.length, sent, "not before its backoff");
    clock.advance(1);
    assert.equal(socket.sent.length, sent + 1);
    assert.deepEqual(socket.sent.at(-1), socket.sent[0], "the same message, nonce and ref");
  }
  socket.receive(failed);
  await assert.rejects(post, (error) => error instanceof ServerError && error.code === "internal_error");
  assert.equal(realtime.unsent, 0);
});

test("a retried message goes out once when the connection comes back meanwhile", async () => {
  const { realtime, clock } = setup();
  realtime.start();
  const first = FakeSocket.last();
  first.open();
  const vote = realtime.send({ type: "QUESTION_UPVOTE", questionId: "q1" });
  first.receive({ type: "ERROR", ref: "r1", code: "internal_error", message: "retry" });
  first.drop();
  clock.advance(500);
  const second = FakeSocket.last();
  second.open();
  assert.deepEqual(second.sent, [], "its retry timer sends it, not the reconnect");
  clock.advance(500);
  assert.equal(second.sent.length, 1);
  second.receive({ type: "ACK", ref: "r1", upvoted: true });
  assert.equal((await vote).upvoted, true);
});

test("delays double per attempt between half and all of the ceiling", () => {
  for (let attempt = 0; attempt < 6; attempt += 1) {
    const ceiling = BASE_DELAY_MS * 2 ** attempt;
    assert.equal(backoffDelay(attempt, { random: () => 0 }), ceiling / 2);
    assert.equal(backoffDelay(attempt, { random: () => 1 }), ceiling);
  }
});

test("delays stop growing at the cap", () => {
  assert.equal(backoffDelay(40, { random: () => 1 }), MAX_DELAY_MS);
  assert.equal(backoffDelay(40, { random: () => 0 }), MAX_DELAY_MS / 2);
});

test("jitter spreads clients apart", () => {
  const seen = new Set();
  for (let i = 0; i < 50; i += 1) seen.add(backoffDelay(5));
  assert.ok(seen.size > 10, `only ${seen.size} distinct delays`);
  for (const delay of seen) assert.ok(delay >= 8000 && delay <= 16000, String(delay));
});

test("a message sent while a close is reported waits for the next connection", async () => {
  let sent;
  const { realtime, clock } = setup({
    onClose: () => {
      sent ??= realtime.send({ type: "QUESTION_UPVOTE", questionId: "q1", removeUpvote: false });
    },
  });
  realtime.start();
  FakeSocket.last().open();
  FakeSocket.last().drop();
  clock.advance(1_000);
  const next = FakeSocket.last();
  next.open();
  assert.deepEqual(next.sent.map((m) => m.ref), ["r1"]);
  next.receive({ type: "ACK", ref: "r1", upvoted: true });
  assert.deepEqual(await sent, { type: "ACK", ref: "r1", upvoted: true });
});
