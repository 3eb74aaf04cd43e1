// @ts-check
/** Minimal DOM moves for a keyed list: keep the longest run already in order, move the rest. */
/** @import { Keyed } from "./types.js" */

/**
 * Ids of `current` (the order on screen) that can stay where they are when the list becomes
 * `desired`: a longest increasing subsequence of their new positions.
 * @param {string[]} current
 * @param {string[]} desired
 * @returns {Set<string>}
 */
export function stableIds(current, desired) {
  const position = new Map(desired.map((id, index) => [id, index]));
  const ids = current.filter((id) => position.has(id));
  /** @type {number[]} */
  const tails = [];
  /** @type {number[]} */
  const previous = new Array(ids.length).fill(-1);
  /** @type {number[]} */
  const tailIndex = [];
  ids.forEach((id, i) => {
    const value = /** @type {number} */ (position.get(id));
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = value;
    tailIndex[lo] = i;
    previous[i] = lo > 0 ? tailIndex[lo - 1] : -1;
  });
  const stable = new Set();
  for (let i = tails.length ? tailIndex[tails.length - 1] : -1; i >= 0; i = previous[i]) {
    stable.add(ids[i]);
  }
  return stable;
}

/**
 * Top offset by id of each in-order node on screen, halving to the first.
 * @param {ArrayLike<Keyed>} nodes
 * @param {number} height
 * @returns {Map<string, number>}
 */
export function tops(nodes, height) {
  /** @param {number} i */
  const box = (i) => nodes[i].getBoundingClientRect();
  let [i, end] = [0, nodes.length];
  while (i < end) {
    const mid = (i + end) >> 1;
    if (box(mid).bottom > 0) end = mid;
    else i = mid + 1;
  }
  const seen = new Map();
  for (let top; i < nodes.length && (top = box(i).top) < height; i += 1) {
    seen.set(nodes[i].dataset.id, top);
  }
  return seen;
}
