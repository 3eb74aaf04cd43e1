import test from "node:test";
import assert from "node:assert/strict";
import { announcements, personalNews } from "../../src/liveqa/web/announce.js";

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

test("a question marked answered without an answer is read out too", () => {
  const marked = question("q1", { answeredAt: 5 });
  assert.deepEqual(announcements(posted, state([marked]), state([question("q1")])), ["Answered: text q1"]);
});

test("my own question answered, marked, highlighted or dismissed is news for me alone", () => {
  const before = state([question("q1"), question("q2", { pending: true })], { mine: ["q1", "q2"] });
  const replied = state([question("q1", { answeredAt: 5, answerText: "Soon" })], { mine: ["q1"] });
  assert.deepEqual(personalNews(posted, replied, before), ["A host answered your question “text q1”: Soon"]);
  const marked = state([question("q1", { answeredAt: 5 })], { mine: ["q1"] });
  assert.deepEqual(personalNews(posted, marked, before), ["A host marked your question answered: “text q1”"]);
  // Someone else's question: nothing for me, whatever happens to it.
  const theirs = state([question("q1", { answeredAt: 5 })]);
  assert.deepEqual(personalNews(posted, theirs, state([question("q1")])), []);
  // An edited answer, or one that was already there, is not news again.
  assert.deepEqual(personalNews(posted, replied, state([question("q1", { answeredAt: 4, answerText: "Hm" })], { mine: ["q1"] })), []);

  const spotlight = { type: "ROOMINFO_UPDATE_PASSIVE" };
  const lit = state([question("q1")], { mine: ["q1"], room: { highlightedQuestionId: "q1" } });
  assert.deepEqual(personalNews(spotlight, lit, before), ["A host is answering your question now: “text q1”"]);
  assert.deepEqual(personalNews(spotlight, lit, lit), []);
  const litOther = state([question("q1")], { room: { highlightedQuestionId: "q1" } });
  assert.deepEqual(personalNews(spotlight, litOther, state([question("q1")])), []);

  const gone = { type: "QUESTION_DELETE_PASSIVE", questionId: "q2" };
  const after = state([question("q1")], { mine: ["q1", "q2"] });
  assert.deepEqual(personalNews(gone, after, before), ["A host dismissed your question: “text q2”"]);
  assert.deepEqual(personalNews(gone, after, before, new Set(["q2"])), []);
  assert.deepEqual(personalNews(gone, after, state([question("q2", { pending: true })])), []);
  // An approved question deleted is not "dismissed".
  const shown = state([question("q2")], { mine: ["q2"] });
  assert.deepEqual(personalNews(gone, after, shown), []);
});
