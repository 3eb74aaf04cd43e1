// @ts-check
/** Small text helpers for what the page says. */

/**
 * `text` as a sentence: capital first letter, final full stop.
 * @param {unknown} text
 */
export function sentence(text) {
  const trimmed = String(text ?? "").trim();
  if (trimmed === "") return "";
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * `text` cut to at most `max` characters, with an ellipsis when cut.
 * @param {string} text
 * @param {number} max
 */
export function truncate(text, max) {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * "1 up-vote", "3 up-votes".
 * @param {number} count
 */
export function votes(count) {
  return `${count} ${count === 1 ? "up-vote" : "up-votes"}`;
}
