import test from "node:test";
import assert from "node:assert/strict";
import { applyFilter, countText, isFiltering, searchKey } from "../../src/liveqa/web/filter.js";

const q = (id, extra = {}) => ({ id, text: `text ${id}`, author: { name: "Ann" }, answeredAt: null, answerText: null, pending: false, ...extra });
const ids = (list) => list.map((question) => question.id);
const asker = (question) => question.author?.name ?? "Anonymous";

const pending = [q("p1", { pending: true, text: "Waiting on parking" }), q("p2", { pending: true, author: null })];
const list = [
  q("a", { text: "Where is the Café?", author: { name: "Zoë" } }),
  q("b", { text: "When do we eat?", answeredAt: 5, answerText: "At noon, in the café" }),
  q("c", { text: "Marked only", answeredAt: 6 }),
  q("d", { text: "Mine, anonymous", author: null }),
];
const mine = (question) => question.id === "d" || question.id === "p2";
const shown = (options) => {
  const result = applyFilter({ pending, list }, { mine, asker, ...options });
  return [ids(result.pending), ids(result.list)];
};

test("search ignores case, accents and extra spaces, and needs every word", () => {
  assert.equal(searchKey("  Élan   VITAL "), "elan vital");
  assert.deepEqual(shown({ query: "cafe" }), [[], ["a", "b"]]);
  assert.deepEqual(shown({ query: "CAFÉ where" }), [[], ["a"]]);
  assert.deepEqual(shown({ query: "nothing like it" }), [[], []]);
  assert.deepEqual(shown({ query: "   " }), [["p1", "p2"], ["a", "b", "c", "d"]]);
});

test("search finds the asker by the name shown, never an anonymous asker's", () => {
  assert.deepEqual(shown({ query: "zoe" }), [[], ["a"]]);
  assert.deepEqual(shown({ query: "ann" }), [["p1"], ["b", "c"]]);
  assert.deepEqual(shown({ query: "anonymous" }), [["p2"], ["d"]]);
});

test("filters: unanswered, answered (with or without a written answer), waiting, mine", () => {
  assert.deepEqual(shown({ filter: "unanswered" }), [[], ["a", "d"]]);
  assert.deepEqual(shown({ filter: "answered" }), [[], ["b", "c"]]);
  assert.deepEqual(shown({ filter: "waiting" }), [["p1", "p2"], []]);
  assert.deepEqual(shown({ filter: "mine" }), [["p2"], ["d"]]);
  assert.deepEqual(shown({ filter: "answered", query: "noon" }), [[], ["b"]]);
});

test("whether anything narrows the view, and the count", () => {
  assert.equal(isFiltering({ filter: "all", query: " " }), false);
  assert.equal(isFiltering({ filter: "mine", query: "" }), true);
  assert.equal(isFiltering({ filter: "all", query: "x" }), true);
  assert.equal(countText(1, 1), "1 of 1 question");
  assert.equal(countText(0, 12), "0 of 12 questions");
});

test("a search over 2,000 questions takes a few milliseconds", () => {
  const many = Array.from({ length: 2000 }, (_, i) => q(`q${i}`, { text: `Question number ${i} about topic ${i % 37} ${"words ".repeat(40)}` }));
  applyFilter({ pending: [], list: many }, { query: "warm up", mine: () => false, asker });
  const started = performance.now();
  let found;
  for (const query of ["t", "to", "top", "topi", "topic", "topic 3", "topic 36"]) {
    found = applyFilter({ pending: [], list: many }, { query, mine: () => false, asker });
  }
  const perKeystroke = (performance.now() - started) / 7;
  // Both words, anywhere: "topic" is in all of them, "36" in topic 36 and in numbers with 36.
  assert.deepEqual(ids(found.list), ids(many.filter((question) => question.id.slice(1).includes("36") || question.text.includes("topic 36 "))));
  assert.ok(perKeystroke < 15, `${perKeystroke.toFixed(1)} ms per keystroke`);
});
