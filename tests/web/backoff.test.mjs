import test from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, BASE_DELAY_MS, MAX_DELAY_MS } from "../../src/liveqa/web/backoff.js";

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
