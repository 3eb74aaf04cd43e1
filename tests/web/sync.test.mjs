import test from "node:test";
import assert from "node:assert/strict";
import { RoomSync } from "../../src/liveqa/web/sync.js";
import { Realtime } from "../../src/liveqa/web/socket.js";
import { FakeClock, FakeSocket } from "./fakes.mjs";

const room = { roomId: "demo", displayName: "Demo", themeColor: "#038cfc", state: "open", highlightedQuestionId: null };
const view = (id, upvotes = 1) => ({
  questionId: id,
  roomId: "demo",
  questionText: id,
  questionTimestamp: "2024-05-01T10:00:00.000Z",
  author: null,
  anonymous: true,
  pending: false,
  upvotes,
  answerText: null,
  answerTimestamp: null,
  answerAuthor: null,
});
const snap = (seq, questions) => ({ room, seq, questions, me: { participantId: "me", displayName: "Me", isHost: false } });

/** An API whose room() answers are released by the test, one by one. */
class ScriptedApi {
  constructor() {
    this.calls = [];
    this.sessions = 0;
  }

  room() {
    return new Promise((resolve, reject) => this.calls.push({ resolve, reject }));
  }

  async session() {
    this.sessions += 1;
    return { participantId: "me" };
  }

  answer(value) {
    this.calls.shift().resolve(value);
  }

  fail(status) {
    const error = new Error(`status ${status}`);
    error.status = status;
    this.calls.shift().reject(error);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  FakeSocket.reset();
  const clock = new FakeClock();
  const api = new ScriptedApi();
  const problems = [];
  const sync = new RoomSync(
    "demo",
    { api, onProblem: (error) => problems.push(error) },
    {
      location: { protocol: "http:", host: "test" },
      setTimeout: clock.setTimeout,
      clearTimeout: clock.clearTimeout,
      makeRealtime: (url, handlers) =>
        new Realtime(url, handlers, {
          WebSocket: FakeSocket,
          setTimeout: clock.setTimeout,
          clearTimeout: clock.clearTimeout,
          now: clock.now,
          random: () => 0.5,
        }),
    },
  );
  return { sync, api, clock, problems };
}

const ids = (sync) => [...sync.state.questions.keys()].sort();

test("the snapshot is fetched once connected, and events that came meanwhile are replayed", async () => {
  const { sync, api } = setup();
  sync.start();
  const socket = FakeSocket.last();
  assert.equal(socket.url, "ws://test/api/websocket?roomId=demo");
  assert.equal(api.calls.length, 0, "nothing is fetched before the socket is open");
  assert.equal(sync.state.room, null);
  socket.open();
  assert.equal(api.calls.length, 1, "the snapshot is asked for once connected");
  socket.receive({ type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", seq: 7, question: view("c") });
  socket.receive({ type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", seq: 8, question: view("d") });
  api.answer(snap(7, [view("a"), view("b"), view("c")]));
  await tick();
  assert.deepEqual(ids(sync), ["a", "b", "c", "d"]);
  assert.equal(sync.state.seq, 8);
});

test("a seq gap that lasts triggers one resync; the snapshot fills the gap", async () => {
  const { sync, api, clock } = setup();
  sync.start();
  const socket = FakeSocket.last();
  socket.open();
  api.answer(snap(5, []));
  await tick();
  socket.receive({ type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", seq: 6, question: view("a") });
  assert.equal(api.calls.length, 0);
  socket.receive({ type: "QUESTION_UPVOTE_PASSIVE", roomId: "demo", seq: 9, questionId: "a", upvotes: 3 });
  clock.advance(999);
  assert.equal(api.calls.length, 0, "the missing events may still come");
  clock.advance(1);
  assert.equal(api.calls.length, 1, "the gap (7, 8 missing) asks for a snapshot");
  assert.equal(sync.state.questions.get("a").upvotes, 1, "nothing is applied out of order");
  socket.receive({ type: "QUESTION_UPVOTE_PASSIVE", roomId: "demo", seq: 10, questionId: "a", upvotes: 4 });
  api.answer(snap(8, [view("a", 2), view("b")]));
  await tick();
  assert.equal(sync.state.seq, 10);
  assert.equal(sync.state.questions.get("a").upvotes, 4);
  assert.deepEqual(ids(sync), ["a", "b"]);
});

test("every reconnect resyncs", async () => {
  const { sync, api, clock } = setup();
  sync.start();
  FakeSocket.last().open();
  api.answer(snap(1, []));
  await tick();
  FakeSocket.last().drop();
  clock.advance(1_000);
  FakeSocket.last().open();
  assert.equal(api.calls.length, 1);
  api.answer(snap(4, [view("z")]));
  await tick();
  assert.deepEqual(ids(sync), ["z"]);
  assert.equal(sync.state.seq, 4);
});

test("a failing snapshot is retried; a lost session is renewed; a gone room is reported", async () => {
  const { sync, api, clock, problems } = setup();
  sync.start();
  FakeSocket.last().open();
  api.fail(503);
  await tick();
  assert.equal(api.calls.length, 0, "not retried at once");
  clock.advance(2_000);
  await tick();
  assert.equal(api.calls.length, 1, "retried after a pause");
  api.fail(401);
  await tick();
  await tick();
  assert.equal(api.sessions, 1);
  assert.equal(api.calls.length, 1);
  api.fail(404);
  await tick();
  assert.equal(problems.length, 1);
  assert.equal(FakeSocket.last().closedWith.code, 1000, "the socket is closed for good");
});

test("a socket refused for want of a session renews it before the next attempt", async () => {
  const { sync, api } = setup();
  sync.start();
  FakeSocket.last().drop(4401);
  await tick();
  assert.equal(api.sessions, 1);
});

test("an ACK updates my own votes", async () => {
  const { sync, api } = setup();
  sync.start();
  const socket = FakeSocket.last();
  socket.open();
  api.answer(snap(1, [view("a")]));
  await tick();
  const sent = sync.send({ type: "QUESTION_UPVOTE", questionId: "a", removeUpvote: false });
  socket.receive({ type: "ACK", ref: socket.sent[0].ref, upvoted: true, upvotes: 2 });
  await sent;
  assert.equal(sync.state.votes.get("a"), true);
});

test("becoming host of this room reconnects the socket, and the new one resyncs", async () => {
  const { sync, api, clock } = setup();
  sync.start();
  const first = FakeSocket.last();
  first.open();
  api.answer(snap(1, []));
  await tick();
  first.receive({ type: "HOST_GRANTED_SELF", roomId: "elsewhere" });
  assert.equal(first.closedWith, null, "another room's grant changes nothing here");
  first.receive({ type: "HOST_GRANTED_SELF", roomId: "demo" });
  assert.equal(first.closedWith.code, 1000);
  first.drop(1000);
  clock.advance(500);
  assert.equal(FakeSocket.made.length, 2);
  FakeSocket.last().open();
  assert.equal(api.calls.length, 1, "the new socket fetches a snapshot (now as host)");
  api.answer({ ...snap(1, [view("p")]), me: { participantId: "me", displayName: "Me", isHost: true } });
  await tick();
  assert.equal(sync.state.me.isHost, true);
  assert.deepEqual(ids(sync), ["p"]);
});

test("events that arrive late fill the gap without a snapshot, and apply in order", async () => {
  const { sync, api, clock } = setup();
  sync.start();
  const socket = FakeSocket.last();
  socket.open();
  api.answer(snap(5, [view("a")]));
  await tick();
  const vote = (seq, upvotes) => ({ type: "QUESTION_UPVOTE_PASSIVE", roomId: "demo", seq, questionId: "a", upvotes });
  socket.receive(vote(8, 4));
  socket.receive(vote(7, 3));
  assert.equal(sync.state.seq, 5, "nothing is applied out of order");
  socket.receive(vote(6, 2));
  assert.equal(sync.state.seq, 8);
  assert.equal(sync.state.questions.get("a").upvotes, 4);
  clock.advance(5_000);
  assert.equal(api.calls.length, 0, "no snapshot was needed");
});

test("a ban or its lifting in this room brings a fresh snapshot that says so", async () => {
  const { sync, api } = setup();
  sync.start();
  const socket = FakeSocket.last();
  socket.open();
  api.answer(snap(1, []));
  await tick();
  socket.receive({ type: "BANNED_SELF", roomId: "elsewhere", banned: true });
  assert.equal(api.calls.length, 0, "another room's ban changes nothing here");
  socket.receive({ type: "BANNED_SELF", roomId: "demo", banned: true });
  assert.equal(api.calls.length, 1);
  api.answer({ ...snap(2, []), me: { participantId: "me", displayName: "Me", isHost: false, banned: true } });
  await tick();
  assert.equal(sync.state.me.banned, true);
});
