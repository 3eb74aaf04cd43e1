import test from "node:test";
import assert from "node:assert/strict";
import { sentence, truncate, votes } from "../../src/liveqa/web/words.js";

test("server messages become sentences", () => {
  assert.equal(sentence("the room is closed"), "The room is closed.");
  assert.equal(sentence("Already done!"), "Already done!");
  assert.equal(sentence(""), "");
});

test("long texts are cut with an ellipsis", () => {
  assert.equal(truncate("short", 10), "short");
  assert.equal(truncate("abcdefghij", 5), "abcd…");
});

test("vote counts", () => {
  assert.equal(votes(1), "1 up-vote");
  assert.equal(votes(0), "0 up-votes");
});
