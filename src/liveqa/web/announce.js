/** What the live region says about a room event: new questions, answers, room changes. */

import { truncate } from "./words.js";

const STATE_NEWS = {
  open: "The room is open for questions.",
  voting: "The room now takes votes only.",
  closed: "The room is closed.",
};

/** Sentences announcing `event`, which turned `before` into `state`. */
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
  return [];
}
