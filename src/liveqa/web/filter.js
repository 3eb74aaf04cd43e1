// @ts-check
/** Search and filters over the questions a page holds: text and asker, as the person types. */
/** @import { Question } from "./types.js" */

export const FILTERS = Object.freeze([
  { id: "all", label: "All" },
  { id: "unanswered", label: "Unanswered" },
  { id: "answered", label: "Answered" },
  { id: "waiting", label: "Waiting" },
  { id: "mine", label: "Mine" },
]);

const MARKS = /\p{M}/gu;

/**
 * `text` as searches compare it: case and accents ignored ("Élan" finds "elan"), spaces single.
 * @param {string | null | undefined} text
 */
export function searchKey(text) {
  return String(text ?? "")
    .normalize("NFKD")
    .replace(MARKS, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

// A question's searchable text, computed once per version of it (a changed question is a new
// object) and per way its asker is named, so typing over 2,000 questions stays instant.
/** @type {WeakMap<Question, {asker: string, key: string}>} */
const keys = new WeakMap();

/** @param {Question} question @param {string} asker */
function questionKey(question, asker) {
  const known = keys.get(question);
  if (known && known.asker === asker) return known.key;
  const key = searchKey(`${question.text}\n${asker}\n${question.answerText ?? ""}`);
  keys.set(question, { asker, key });
  return key;
}

/**
 * The part of `{pending, list}` to show for `filter` (an id of FILTERS) and the search `query`:
 * every word of the query must appear in the question, its answer or the name it is shown
 * under (`asker(question)`); `mine(question)` tells my own questions.
 * @param {{pending: Question[], list: Question[]}} questions
 * @param {{filter?: string, query?: string, mine: (q: Question) => boolean, asker: (q: Question) => string}} how
 */
export function applyFilter({ pending, list }, { filter = "all", query = "", mine, asker }) {
  const words = searchKey(query).split(" ").filter(Boolean);
  /** @param {Question} question */
  const matches = (question) => {
    if (filter === "mine" && !mine(question)) return false;
    if (words.length === 0) return true;
    const key = questionKey(question, asker(question));
    return words.every((word) => key.includes(word));
  };
  const keepPending = filter === "all" || filter === "waiting" || filter === "mine";
  const keepListed =
    filter === "unanswered"
      ? (/** @type {Question} */ q) => q.answeredAt === null
      : filter === "answered"
        ? (/** @type {Question} */ q) => q.answeredAt !== null
        : () => filter !== "waiting";
  return {
    pending: keepPending ? pending.filter(matches) : [],
    list: list.filter((q) => keepListed(q) && matches(q)),
  };
}

/** Whether a search or a filter narrows what is shown. @param {{filter?: string, query?: string}} how */
export function isFiltering({ filter = "all", query = "" }) {
  return filter !== "all" || searchKey(query) !== "";
}

/** "3 of 12 questions". @param {number} shown @param {number} total */
export function countText(shown, total) {
  return `${shown} of ${total} ${total === 1 ? "question" : "questions"}`;
}
