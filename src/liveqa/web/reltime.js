// @ts-check
/** Relative times ("2 minutes ago") and how often they need refreshing. */

/** @type {[string, number][]} */
const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/**
 * "just now", "5 seconds ago", "1 minute ago"... for a moment `thenMs` seen at `nowMs`.
 * @param {number} thenMs
 * @param {number} nowMs
 */
export function relativeTime(thenMs, nowMs) {
  // A server clock slightly ahead of ours must not give "in 3 seconds".
  const seconds = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (seconds < 10) return "just now";
  for (const [unit, size] of UNITS) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${unit}${count === 1 ? "" : "s"} ago`;
    }
  }
  return "just now";
}

/**
 * A readable absolute time for tooltips, in the reader's locale.
 * @param {number} ms
 */
export function absoluteTime(ms) {
  return new Date(ms).toLocaleString();
}
