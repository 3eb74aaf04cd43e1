import test from "node:test";
import assert from "node:assert/strict";
import { announcements } from "../../src/liveqa/web/announce.js";

const question = (id, extra = {}) => ({
  id,
  text: `text ${id}`,
  author: { id: "p1", name: "Ann" },
  pending: false,
  answeredAt: null,
  answerText: null,
  ...extra,
});
const room = (extra = {}) => ({ displayName: "Demo", state: "open", highlightedQuestionId: null, ...extra });
const state = (questions, extra = {}) => ({
  room: room(extra.room),
  questions: new Map(questions.map((q) => [q.id, q])),
  mine: new Set(extra.mine ?? []),
});
const posted = { type: "QUESTION_UPDATE_INFO_PASSIVE", question: { questionId: "q1" } };

test("a new question is read out with its author", () => {
  assert.deepEqual(announcements(posted, state([question("q1")]), state([])), ["New question from Ann: text q1"]);
});

test("my own question and pending ones get their own words", () => {
  assert.deepEqual(announcements(posted, state([question("q1")], { mine: ["q1"] }), state([])), ["Your question was posted."]);
  assert.deepEqual(announcements(posted, state([question("q1", { pending: true })]), state([])), [
    "A new question is waiting for approval.",
  ]);
});

test("an approved question is news; an unchanged one is not", () => {
  const before = state([question("q1", { pending: true })]);
  assert.equal(announcements(posted, state([question("q1")]), before).length, 1);
  assert.deepEqual(announcements(posted, state([question("q1")]), state([question("q1")])), []);
});

test("answers are read out with the question", () => {
  const answered = question("q1", { answeredAt: 5, answerText: "Soon" });
  assert.deepEqual(announcements(posted, state([answered]), state([question("q1")])), ["Answered: text q1 Answer: Soon"]);
});

test("room changes: name, state and the highlighted question", () => {
  const event = { type: "ROOMINFO_UPDATE_PASSIVE" };
  const after = state([question("q1")], { room: { displayName: "New", state: "closed", highlightedQuestionId: "q1" } });
  assert.deepEqual(announcements(event, after, state([question("q1")])), [
    "The room is now called New.",
    "The room is closed.",
    "Now answering: text q1",
  ]);
});

test("votes and deletions are not announced", () => {
  const s = state([question("q1")]);
  assert.deepEqual(announcements({ type: "QUESTION_UPVOTE_PASSIVE" }, s, s), []);
  assert.deepEqual(announcements({ type: "QUESTION_DELETE_PASSIVE" }, s, s), []);
});
