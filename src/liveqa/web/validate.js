// @ts-check
/** Input rules checked before sending, so people see problems at once; the server checks again. */

export const LIMITS = Object.freeze({ displayName: 40, roomName: 80, question: 500, answer: 2000 });

// Paths the server answers itself: a room there could never be reached.
const RESERVED_IDS = new Set([
  "api", "static", "assets", "admin", "health", "healthz", "metrics", "present",
  "favicon.ico", "robots.txt", "index.html", "manifest.json", "sitemap.xml",
]);
const RESERVED_SUFFIXES = [".js", ".css", ".ico", ".txt", ".html", ".json", ".png", ".svg", ".xml"];

/** A room id as people type it: trimmed and lower-cased. */
/** @param {string} value */
export function normalizeRoomId(value) {
  return value.trim().toLowerCase();
}

/**
 * Every rule a room id breaks, as sentences; empty when the id is valid.
 * @param {string} id
 */
export function roomIdProblems(id) {
  if (id === "") return ["Enter a room ID."];
  /** @type {string[]} */
  const problems = [];
  if (id.length < 3 || id.length > 16) problems.push("Room ID must be 3-16 characters long.");
  if (/[^-_.a-z0-9]/.test(id)) {
    problems.push("Room ID can contain lowercase letters, numbers, hyphens, dots and underscores.");
  }
  if (!/^[a-z]/.test(id)) problems.push("Room ID must start with a letter.");
  if (!/[a-z0-9]$/.test(id)) problems.push("Room ID must end with a letter or number.");
  if (problems.length > 0) return problems;
  if (RESERVED_IDS.has(id) || RESERVED_SUFFIXES.some((suffix) => id.endsWith(suffix))) {
    return [`"${id}" is reserved; pick another room ID.`];
  }
  return [];
}

/**
 * Why `value` is not acceptable as `label` text of at most `max` characters, or null.
 * @param {string} value
 * @param {string} label
 * @param {number} max
 */
export function textProblem(value, label, max) {
  const text = value.trim();
  if (text === "") return `${label} must not be empty.`;
  // Count code points as the server does, so an emoji counts once.
  const length = [...text].length;
  if (length > max) return `${label} must be at most ${max} characters (now ${length}).`;
  return null;
}
