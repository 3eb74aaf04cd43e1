import test from "node:test";
import assert from "node:assert/strict";
import { BATCH, batches } from "../../src/liveqa/web/batch.js";

test("a selection goes in slices the server takes, in order", () => {
  assert.equal(BATCH, 200);
  const ids = Array.from({ length: 450 }, (_, i) => `q${i}`);
  const slices = batches(ids);
  assert.deepEqual(slices.map((slice) => slice.length), [200, 200, 50]);
  assert.deepEqual(slices.flat(), ids);
  assert.deepEqual(batches([]), []);
  assert.deepEqual(batches(["a", "b", "c"], 2), [["a", "b"], ["c"]]);
});
