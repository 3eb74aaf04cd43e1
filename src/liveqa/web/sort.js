// @ts-check
/** The question lists each view shows: Top, Newest and Answered, plus those awaiting approval. */
/** @import { Order, Question } from "./types.js" */

export const VIEWS = Object.freeze([
  { id: "top", label: "Top" },
  { id: "newest", label: "Newest" },
  { id: "answered", label: "Answered" },
]);

/** @type {Order} */
const byTop = (a, b) => b.upvotes - a.upvotes || a.askedAt - b.askedAt || compareIds(a, b);
/** @type {Order} */
const byNewest = (a, b) => b.askedAt - a.askedAt || compareIds(a, b);
/** @type {Order} */
// arrange() sorts answered questions only with it.
const byAnswered = (a, b) => (b.answeredAt ?? 0) - (a.answeredAt ?? 0) || compareIds(a, b);
/** @type {Order} */
const byOldest = (a, b) => a.askedAt - b.askedAt || compareIds(a, b);

/** @type {Order} */
function compareIds(a, b) {
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/**
 * `{pending, list}` for a view: `pending` holds questions awaiting approval (oldest first, never
 * in Answered); `list` the others in the view's order.
 * @param {Iterable<Question>} questions
 * @param {string} view
 */
export function arrange(questions, view) {
  /** @type {Question[]} */
  const pending = [];
  /** @type {Question[]} */
  const list = [];
  for (const question of questions) {
    if (question.pending) pending.push(question);
    else if (view !== "answered" || question.answeredAt !== null) list.push(question);
  }
  const order = view === "newest" ? byNewest : view === "answered" ? byAnswered : byTop;
  list.sort(order);
  pending.sort(byOldest);
  return { pending: view === "answered" ? [] : pending, list };
}

/**
 * The `count` questions with most votes, unanswered first, leaving out `exceptId`.
 * @param {Iterable<Question>} questions
 * @param {number} count
 * @param {string | null} exceptId
 */
export function topForScreen(questions, count, exceptId = null) {
  return [...questions]
    .filter((q) => !q.pending && q.id !== exceptId)
    .sort((a, b) => (a.answeredAt === null ? 0 : 1) - (b.answeredAt === null ? 0 : 1) || byTop(a, b))
    .slice(0, count);
}
