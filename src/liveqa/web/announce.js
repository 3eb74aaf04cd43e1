// @ts-check
/**
 * What the live region says about a room event: new questions, answers, room changes; and what
 * an asker is told, on their own screen only, about their own questions.
 */

import { truncate } from "./words.js";
/** @import { Loaded, Question, RoomEvent } from "./types.js" */

/** @type {Record<string, string>} */
const STATE_NEWS = {
  open: "The room is open for questions.",
  voting: "The room now takes votes only.",
  closed: "The room is closed.",
};

/**
 * Sentences announcing `event`, which turned `before` into `state`.
 * @param {RoomEvent} event @param {Loaded} state @param {Loaded} before @returns {string[]}
 */
export function announcements(event, state, before) {
  if (event.type === "QUESTION_UPDATE_INFO_PASSIVE") return questionNews(event.question.questionId, state, before);
  if (event.type !== "ROOMINFO_UPDATE_PASSIVE") return [];
  const { room } = state;
  const old = before.room;
  const news = [];
  if (room.displayName !== old.displayName) news.push(`The room is now called ${room.displayName}.`);
  if (room.state !== old.state) news.push(STATE_NEWS[room.state]);
  const spotlight = room.highlightedQuestionId && state.questions.get(room.highlightedQuestionId);
  if (spotlight && room.highlightedQuestionId !== old.highlightedQuestionId) {
    news.push(`Now answering: ${truncate(spotlight.text, 140)}`);
  }
  return news.filter(Boolean);
}

/** @param {string} id @param {Loaded} state @param {Loaded} before */
function questionNews(id, state, before) {
  const question = state.questions.get(id);
  const previous = before.questions.get(id);
  if (!question) return [];
  const mine = state.mine.has(id);
  if (!previous || (previous.pending && !question.pending)) {
    if (question.pending) return [mine ? "Your question is waiting for approval by a host." : "A new question is waiting for approval."];
    if (mine) return ["Your question was posted."];
    return [`New question from ${question.author?.name ?? "someone anonymous"}: ${truncate(question.text, 140)}`];
  }
  if (question.answeredAt !== null && question.answerText !== previous.answerText) {
    return [`Answered: ${truncate(question.text, 80)} Answer: ${truncate(question.answerText ?? "", 200)}`];
  }
  if (question.answeredAt !== null && previous.answeredAt === null) return [`Answered: ${truncate(question.text, 80)}`];
  return [];
}

/**
 * What `event` means for my own questions (`state.mine`): answered, highlighted or dismissed by
 * a host. `deletedByMe` holds the ids this page deleted itself, which are no news to me.
 * @param {RoomEvent} event @param {Loaded} state @param {Loaded} before @param {Set<string>} [deletedByMe]
 */
export function personalNews(event, state, before, deletedByMe = new Set()) {
  const quote = (/** @type {Question} */ question) => `“${truncate(question.text, 80)}”`;
  if (event.type === "QUESTION_UPDATE_INFO_PASSIVE") {
    const id = event.question.questionId;
    const question = state.questions.get(id);
    const previous = before.questions.get(id);
    if (!state.mine.has(id) || !question || !previous) return [];
    if (question.answeredAt === null || previous.answeredAt !== null) return [];
    if (question.answerText === null) return [`A host marked your question answered: ${quote(question)}`];
    return [`A host answered your question ${quote(question)}: ${truncate(question.answerText, 200)}`];
  }
  if (event.type === "ROOMINFO_UPDATE_PASSIVE") {
    const id = state.room.highlightedQuestionId;
    const question = id && state.questions.get(id);
    if (!question || !state.mine.has(id) || id === before.room.highlightedQuestionId) return [];
    return [`A host is answering your question now: ${quote(question)}`];
  }
  if (event.type === "QUESTION_DELETE_PASSIVE") {
    const id = event.questionId;
    const question = before.questions.get(id);
    if (!question?.pending || !before.mine.has(id) || deletedByMe.has(id)) return [];
    return [`A host dismissed your question: ${quote(question)}`];
  }
  return [];
}
