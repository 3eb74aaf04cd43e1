/** Minimal DOM moves for a keyed list: keep the longest run already in order, move the rest. */

/**
 * Ids of `current` (the order on screen) that can stay where they are when the list becomes
 * `desired`: a longest increasing subsequence of their new positions.
 */
export function stableIds(current, desired) {
  const position = new Map(desired.map((id, index) => [id, index]));
  const ids = current.filter((id) => position.has(id));
  const tails = [];
  const previous = new Array(ids.length).fill(-1);
  const tailIndex = [];
  ids.forEach((id, i) => {
    const value = position.get(id);
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

/** Top offset by id of each in-order node on screen, halving to the first. */
export function tops(nodes, height) {
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
