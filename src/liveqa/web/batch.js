// @ts-check
/** Bulk moderation messages carry at most BATCH ids (the server's Limits.batch). */

export const BATCH = 200;

/**
 * `items` in consecutive slices of at most `size`.
 * @template T @param {T[]} items @returns {T[][]}
 */
export function batches(items, size = BATCH) {
  const slices = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}
