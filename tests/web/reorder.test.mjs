import test from "node:test";
import assert from "node:assert/strict";
import { stableIds, tops } from "../../src/liveqa/web/reorder.js";

/** Apply the moves the list view would make and return the resulting order and move count. */
function reorder(current, desired) {
  const stable = stableIds(current, desired);
  let moves = 0;
  for (const id of desired) if (!stable.has(id)) moves += 1;
  return { stable, moves };
}

test("an unchanged list moves nothing", () => {
  const { moves } = reorder(["a", "b", "c"], ["a", "b", "c"]);
  assert.equal(moves, 0);
});

test("one question climbing moves just that one", () => {
  const { stable, moves } = reorder(["a", "b", "c", "d", "e"], ["d", "a", "b", "c", "e"]);
  assert.equal(moves, 1);
  assert.ok(!stable.has("d"));
});

test("one question sinking moves just that one", () => {
  const { moves } = reorder(["a", "b", "c", "d", "e"], ["b", "c", "d", "e", "a"]);
  assert.equal(moves, 1);
});

test("new and removed ids are handled", () => {
  const { stable } = reorder(["a", "x", "b"], ["n", "a", "b"]);
  assert.deepEqual([...stable].sort(), ["a", "b"]);
});

test("a reversed list keeps one in place", () => {
  const { moves } = reorder(["a", "b", "c", "d"], ["d", "c", "b", "a"]);
  assert.equal(moves, 3);
});

test("the kept ids are in the same relative order in both lists (random cases)", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 200; round += 1) {
    const current = Array.from({ length: 30 }, (_, i) => `q${i}`);
    const desired = [...current].sort(() => random() - 0.5).filter(() => random() > 0.1);
    const stable = [...stableIds(current, desired)];
    const inCurrent = current.filter((id) => stable.includes(id));
    const inDesired = desired.filter((id) => stable.includes(id));
    assert.deepEqual(inCurrent, inDesired);
  }
});

function longestInOrder(current, desired) {
  // Brute force over subsets: the largest set of common ids in the same order in both lists.
  const common = current.filter((id) => desired.includes(id));
  let best = 0;
  for (let mask = 0; mask < 2 ** common.length; mask += 1) {
    const chosen = common.filter((_, i) => mask & (1 << i));
    const positions = chosen.map((id) => desired.indexOf(id));
    if (positions.every((p, i) => i === 0 || positions[i - 1] < p)) best = Math.max(best, chosen.length);
  }
  return best;
}

test("as few moves as possible (checked by brute force on small lists)", () => {
  const permutations = (items) =>
    items.length <= 1 ? [items] : items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
  const current = ["a", "b", "c", "d", "e"];
  for (const desired of permutations(current)) {
    assert.equal(stableIds(current, desired).size, longestInOrder(current, desired), desired.join(""));
  }
});

/** Nodes 100 px tall with ids 0, 1, ... stacked from `offset` (negative once scrolled), counting
 * the box reads. */
function stack(count, offset) {
  const reads = [];
  const nodes = Array.from({ length: count }, (_, i) => ({
    dataset: { id: String(i) },
    getBoundingClientRect() {
      reads.push(i);
      return { top: offset + i * 100, bottom: offset + (i + 1) * 100 };
    },
  }));
  return { nodes, reads };
}

const ids = (found) => [...found.keys()].map(Number);

test("tops gives the offsets of the nodes in the viewport", () => {
  assert.deepEqual([...tops(stack(500, 0).nodes, 800)].slice(0, 2), [["0", 0], ["1", 100]]);
  assert.deepEqual(ids(tops(stack(500, 0).nodes, 800)), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(ids(tops(stack(500, -25_050).nodes, 800)), [250, 251, 252, 253, 254, 255, 256, 257, 258]);
  assert.deepEqual(ids(tops(stack(500, -49_950).nodes, 800)), [499]);
});

test("tops reads a few boxes, not the whole list", () => {
  const { nodes, reads } = stack(500, -25_050);
  tops(nodes, 800);
  assert.ok(reads.length < 25, `${reads.length} reads`);
});

test("tops is empty when nothing is in view", () => {
  assert.equal(tops([], 800).size, 0);
  assert.equal(tops(stack(5, -1_000).nodes, 800).size, 0);
  assert.equal(tops(stack(5, 900).nodes, 800).size, 0);
});
