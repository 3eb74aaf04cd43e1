import test from "node:test";
import assert from "node:assert/strict";
import { emptyState, fromSnapshot, applyEvent, applyAck } from "../../src/liveqa/web/state.js";

const ME = "me00000000000001";
const OTHER = "ot00000000000002";

const room = (extra = {}) => ({
  roomId: "demo",
  displayName: "Demo",
  themeColor: "#038cfc",
  state: "open",
  moderation: false,
  allowAnonymous: true,
  highlightedQuestionId: null,
  createdAt: "2024-05-01T10:00:00.000Z",
  ...extra,
});

const view = (id, extra = {}) => ({
  questionId: id,
  roomId: "demo",
  questionText: `question ${id}`,
  questionTimestamp: "2024-05-01T10:00:00.000Z",
  author: { participantId: OTHER, displayName: "Other" },
  anonymous: false,
  pending: false,
  upvotes: 1,
  answerText: null,
  answerTimestamp: null,
  answerAuthor: null,
  ...extra,
});

const snapshot = (questions, seq = 10, extra = {}) => ({
  room: room(),
  questions,
  seq,
  me: { participantId: ME, displayName: "Me", isHost: false, isOwner: false },
  ...extra,
});

const loaded = (questions = [view("q1", { upvoted: true, mine: false })], seq = 10) =>
  fromSnapshot(emptyState(), snapshot(questions, seq));

test("a snapshot gives questions, my votes, my questions and the seq", () => {
  const state = fromSnapshot(
    emptyState(),
    snapshot([view("q1", { upvoted: true, mine: false }), view("q2", { upvoted: false, mine: true, anonymous: true, author: null })]),
  );
  assert.equal(state.seq, 10);
  assert.equal(state.questions.size, 2);
  assert.equal(state.questions.get("q1").askedAt, Date.parse("2024-05-01T10:00:00.000Z"));
  assert.equal(state.votes.get("q1"), true);
  assert.equal(state.votes.get("q2"), false);
  assert.ok(state.mine.has("q2"));
  assert.equal(state.questions.get("q2").author, null);
  assert.equal(state.me.displayName, "Me");
});

test("the next event in sequence applies and advances seq", () => {
  const state = loaded();
  const { state: next, gap } = applyEvent(state, {
    type: "QUESTION_UPDATE_INFO_PASSIVE",
    roomId: "demo",
    seq: 11,
    question: view("q2"),
  });
  assert.equal(gap, false);
  assert.equal(next.seq, 11);
  assert.equal(next.questions.get("q2").text, "question q2");
  assert.equal(state.questions.has("q2"), false, "the old state is not mutated");
});

test("an event already covered by the snapshot is ignored", () => {
  const state = loaded();
  const { state: next, gap } = applyEvent(state, {
    type: "QUESTION_DELETE_PASSIVE",
    roomId: "demo",
    seq: 10,
    questionId: "q1",
  });
  assert.equal(gap, false);
  assert.equal(next, state);
});

test("a gap in seq applies nothing and asks for a resync", () => {
  const state = loaded();
  const { state: next, gap } = applyEvent(state, {
    type: "QUESTION_UPVOTE_PASSIVE",
    roomId: "demo",
    seq: 12,
    questionId: "q1",
    upvotes: 7,
  });
  assert.equal(gap, true);
  assert.equal(next, state);
});

test("events for another room, unknown types and keep-alives change nothing", () => {
  const state = loaded();
  for (const event of [
    { type: "QUESTION_DELETE_PASSIVE", roomId: "other", seq: 11, questionId: "q1" },
    { type: "SOMETHING_NEW", roomId: "demo", seq: 11 },
    {},
  ]) {
    assert.equal(applyEvent(state, event).state, state);
  }
});

test("vote counts update; my own vote comes from my channel without touching seq", () => {
  let state = loaded();
  state = applyEvent(state, { type: "QUESTION_UPVOTE_PASSIVE", roomId: "demo", seq: 11, questionId: "q1", upvotes: 4 }).state;
  assert.equal(state.questions.get("q1").upvotes, 4);
  state = applyEvent(state, { type: "QUESTION_UPVOTE_SELF", roomId: "demo", questionId: "q1", upvoted: false, upvotes: 3 }).state;
  assert.equal(state.votes.get("q1"), false);
  assert.equal(state.questions.get("q1").upvotes, 4, "the count comes from the sequenced event");
  assert.equal(state.seq, 11);
});

test("a question I post is mine and starts with my vote", () => {
  const state = loaded([]);
  const { state: next } = applyEvent(state, {
    type: "QUESTION_UPDATE_INFO_PASSIVE",
    roomId: "demo",
    seq: 11,
    question: view("q9", { author: { participantId: ME, displayName: "Me" } }),
  });
  assert.ok(next.mine.has("q9"));
  assert.equal(next.votes.get("q9"), true);
});

test("an ACK marks my anonymous question as mine, and a vote ACK sets my vote", () => {
  let state = loaded([]);
  state = applyAck(state, { type: "QUESTION_POST_TO_ROOM", nonce: "n1" }, { type: "ACK", questionId: "q5", pending: true });
  assert.ok(state.mine.has("q5"));
  assert.equal(state.votes.get("q5"), true);
  state = applyAck(state, { type: "QUESTION_UPVOTE", questionId: "q5", removeUpvote: true }, { type: "ACK", upvoted: false, upvotes: 0 });
  assert.equal(state.votes.get("q5"), false);
  const same = applyAck(state, { type: "QUESTION_DELETE", questionId: "q5" }, { type: "ACK" });
  assert.equal(same, state);
});

test("answers merge into the question", () => {
  const state = loaded();
  const { state: next } = applyEvent(state, {
    type: "QUESTION_UPDATE_INFO_PASSIVE",
    roomId: "demo",
    seq: 11,
    question: view("q1", {
      answerText: "Soon.",
      answerTimestamp: "2024-05-01T10:05:00.000Z",
      answerAuthor: { participantId: "host", displayName: "Host" },
    }),
  });
  const question = next.questions.get("q1");
  assert.equal(question.answerText, "Soon.");
  assert.equal(question.answeredAt, Date.parse("2024-05-01T10:05:00.000Z"));
  assert.deepEqual(question.answerAuthor, { id: "host", name: "Host" });
  assert.equal(next.votes.get("q1"), true, "my vote survives an update");
});

test("a deleted question cannot come back through a late unsequenced event", () => {
  let state = loaded();
  state = applyEvent(state, { type: "QUESTION_DELETE_PASSIVE", roomId: "demo", seq: 11, questionId: "q1" }).state;
  assert.equal(state.questions.has("q1"), false);
  state = applyEvent(state, { type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", question: view("q1", { pending: true }) }).state;
  assert.equal(state.questions.has("q1"), false);
});

test("an approved question does not turn pending again from a stale copy", () => {
  let state = loaded([view("q1", { pending: true })]);
  state = applyEvent(state, { type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", seq: 11, question: view("q1") }).state;
  assert.equal(state.questions.get("q1").pending, false);
  state = applyEvent(state, { type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", question: view("q1", { pending: true }) }).state;
  assert.equal(state.questions.get("q1").pending, false);
});

test("room updates replace the room settings", () => {
  const state = loaded();
  const { state: next } = applyEvent(state, {
    type: "ROOMINFO_UPDATE_PASSIVE",
    roomId: "demo",
    seq: 11,
    room: room({ displayName: "Renamed", themeColor: "#d35192", highlightedQuestionId: "q1" }),
  });
  assert.equal(next.room.displayName, "Renamed");
  assert.equal(next.room.highlightedQuestionId, "q1");
});

test("a rename reaches questions, answers and me", () => {
  const state = loaded([
    view("q1", { author: { participantId: ME, displayName: "Me" } }),
    view("q2", { answerText: "x", answerTimestamp: "2024-05-01T10:05:00.000Z", answerAuthor: { participantId: ME, displayName: "Me" } }),
    view("q3"),
  ]);
  const { state: next } = applyEvent(state, {
    type: "USERINFO_UPDATE_PASSIVE",
    roomId: "demo",
    seq: 11,
    participant: { participantId: ME, displayName: "New Me" },
  });
  assert.equal(next.questions.get("q1").author.name, "New Me");
  assert.equal(next.questions.get("q2").answerAuthor.name, "New Me");
  assert.equal(next.questions.get("q3"), state.questions.get("q3"), "others keep their identity");
  assert.equal(next.me.displayName, "New Me");
  assert.equal(next.seq, 11);
});

test("a resync keeps unchanged question objects, so their cards are not redrawn", () => {
  const state = loaded([view("q1"), view("q2")]);
  const next = fromSnapshot(state, snapshot([view("q1"), view("q2", { upvotes: 5 })], 12));
  assert.equal(next.questions.get("q1"), state.questions.get("q1"));
  assert.notEqual(next.questions.get("q2"), state.questions.get("q2"));
  assert.equal(next.seq, 12);
});

test("attendance numbers are kept when the server sends them", () => {
  const state = fromSnapshot(emptyState(), snapshot([], 1, { attendees: 3 }));
  assert.equal(state.attendees, 3);
  const { state: next } = applyEvent(state, { type: "ATTENDANCE_PASSIVE", roomId: "demo", attendees: 4 });
  assert.equal(next.attendees, 4);
  assert.equal(loaded().attendees, null);
});

test("a host's question is marked, and the mark alone is a change worth showing", () => {
  const state = loaded([view("q1"), view("q2", { authorIsHost: true })]);
  assert.equal(state.questions.get("q1").authorIsHost, false);
  assert.equal(state.questions.get("q2").authorIsHost, true);
  const again = fromSnapshot(state, snapshot([view("q1", { authorIsHost: true }), view("q2", { authorIsHost: true })]));
  assert.notEqual(again.questions.get("q1"), state.questions.get("q1"));
  assert.equal(again.questions.get("q2"), state.questions.get("q2"));
});

test("clearing removes every question, or only the answered ones, for good", () => {
  const answered = { answerText: "Yes", answerTimestamp: "2024-05-01T10:05:00.000Z" };
  // Answered is the timestamp: a bare mark counts, a reopened reply does not (as on the server).
  const marked = { answerTimestamp: "2024-05-01T10:06:00.000Z" };
  const reopened = { answerText: "Later" };
  const state = loaded([view("q1"), view("q2", answered), view("q3", { pending: true }), view("q4", marked), view("q5", reopened)]);
  const clear = (answeredOnly, seq) => ({ type: "QUESTIONS_CLEAR_PASSIVE", roomId: "demo", seq, answeredOnly });
  const { state: some } = applyEvent(state, clear(true, 11));
  assert.deepEqual([...some.questions.keys()], ["q1", "q3", "q5"]);
  assert.equal(some.seq, 11);
  const { state: none } = applyEvent(some, clear(false, 12));
  assert.equal(none.questions.size, 0);
  // A late copy of a held question (hosts' channel, no seq) does not bring it back.
  const { state: late } = applyEvent(none, { type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", question: view("q3", { pending: true }) });
  assert.equal(late.questions.size, 0);
});

test("an edit shows who made it, and the mark alone is a change worth showing", () => {
  const state = loaded([view("q1")]);
  assert.equal(state.questions.get("q1").editedBy, null);
  const edited = { type: "QUESTION_UPDATE_INFO_PASSIVE", roomId: "demo", seq: 11, question: view("q1", { questionText: "Fixed", editedBy: "host" }) };
  const { state: next } = applyEvent(state, edited);
  assert.equal(next.questions.get("q1").text, "Fixed");
  assert.equal(next.questions.get("q1").editedBy, "host");
  const again = fromSnapshot(next, snapshot([view("q1", { questionText: "Fixed", editedBy: "author" })]));
  assert.notEqual(again.questions.get("q1"), next.questions.get("q1"));
});

test("a ban hides the person's questions in sequence; lifting it shows them again", () => {
  const state = loaded([view("q1"), view("q2"), view("q3")]);
  const { state: hidden } = applyEvent(state, { type: "PARTICIPANT_BAN_PASSIVE", roomId: "demo", seq: 11, questionIds: ["q2", "q3", "unknown"] });
  assert.deepEqual([...hidden.questions.keys()], ["q1"]);
  assert.equal(hidden.seq, 11);
  const { gap } = applyEvent(hidden, { type: "PARTICIPANT_UNBAN_PASSIVE", roomId: "demo", seq: 13, questions: [] });
  assert.equal(gap, true);
  const { state: shown } = applyEvent(hidden, { type: "PARTICIPANT_UNBAN_PASSIVE", roomId: "demo", seq: 12, questions: [view("q2"), view("q3")] });
  assert.deepEqual([...shown.questions.keys()].sort(), ["q1", "q2", "q3"]);
  assert.equal(shown.seq, 12);
});

test("hosts' rules come with the snapshot and follow the hosts' channel", () => {
  const rules = { blockedWords: ["spam"], bans: [] };
  const state = fromSnapshot(emptyState(), snapshot([], 10, { rules }));
  assert.deepEqual(state.rules, rules);
  const ban = { banId: "b1", displayName: "Troll", questionText: "x", bannedAt: "2024-05-01T10:00:00.000Z" };
  const { state: banned } = applyEvent(state, { type: "BANS_UPDATE_PASSIVE", roomId: "demo", bans: [ban] });
  const { state: words } = applyEvent(banned, { type: "BLOCKED_WORDS_UPDATE_PASSIVE", roomId: "demo", words: ["spam", "eggs"] });
  assert.deepEqual(words.rules, { blockedWords: ["spam", "eggs"], bans: [ban] });
  assert.equal(words.seq, 10);
  // An attendee has no rules to update.
  const attendee = loaded();
  assert.equal(applyEvent(attendee, { type: "BANS_UPDATE_PASSIVE", roomId: "demo", bans: [ban] }).state, attendee);
});
