import test from "node:test";
import assert from "node:assert/strict";
import { arrange, topForScreen } from "../../src/liveqa/web/sort.js";

const q = (id, upvotes, askedAt, extra = {}) => ({ id, upvotes, askedAt, answeredAt: null, pending: false, ...extra });
const ids = (list) => list.map((question) => question.id);

const questions = [
  q("a", 3, 100),
  q("b", 5, 200),
  q("c", 3, 50),
  q("d", 1, 400, { answeredAt: 1000 }),
  q("e", 9, 300, { pending: true }),
  q("f", 0, 500, { answeredAt: 900 }),
  q("g", 2, 10, { pending: true }),
];

test("Top: most votes first, ties oldest first; pending apart, oldest first", () => {
  const { pending, list } = arrange(questions, "top");
  assert.deepEqual(ids(list), ["b", "c", "a", "d", "f"]);
  assert.deepEqual(ids(pending), ["g", "e"]);
});

test("Newest: most recent first", () => {
  assert.deepEqual(ids(arrange(questions, "newest").list), ["f", "d", "b", "a", "c"]);
});

test("Answered: only answered ones, latest answer first, no pending section", () => {
  const { pending, list } = arrange(questions, "answered");
  assert.deepEqual(ids(list), ["d", "f"]);
  assert.deepEqual(pending, []);
});

test("the order is total, so equal questions never swap places between renders", () => {
  const twins = [q("y", 1, 5), q("x", 1, 5)];
  assert.deepEqual(ids(arrange(twins, "top").list), ["x", "y"]);
  assert.deepEqual(ids(arrange(twins.reverse(), "top").list), ["x", "y"]);
});

test("the projector shows unanswered questions first, without the highlighted one", () => {
  assert.deepEqual(ids(topForScreen(questions, 3, "b")), ["c", "a", "d"]);
  assert.deepEqual(ids(topForScreen(questions, 10)), ["b", "c", "a", "d", "f"]);
});

test("arranging leaves the input untouched", () => {
  const before = ids(questions);
  arrange(questions, "newest");
  topForScreen(questions, 2);
  assert.deepEqual(ids(questions), before);
});
