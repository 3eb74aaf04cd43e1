// @ts-check
/**
 * Confirmations before deleting a question (hosts, or its author while it is theirs alone), or
 * dismissing several waiting ones.
 */

import { h } from "../dom.js";
import { relativeTime } from "../reltime.js";
import { openDialog } from "./dialog.js";
import { questionSummary } from "./reply.js";
/** @import { Child, Question, Send } from "../types.js" */

/**
 * Ask "Really delete this question?"; deletes through `send` when confirmed.
 * @param {Question} question @param {{mine: boolean, send: Send}} ctx
 */
export function openRemove(question, { mine, send }) {
  /** @type {Child[]} */
  const body = [questionSummary(question, mine)];
  if (question.answerText !== null) {
    const when = question.answeredAt === null ? "" : ` (${relativeTime(question.answeredAt, Date.now())})`;
    body.push(
      h("p", { class: "label", text: "Answered:" }),
      h("blockquote", { text: question.answerText }),
      h("p", { class: "meta", text: `by ${question.answerAuthor?.name ?? "a host"}${when}` }),
    );
  }
  const dialog = openDialog({
    title: "Really delete this question?",
    body,
    submitLabel: "Delete",
    destructive: true,
    onSubmit: () => send({ type: "QUESTION_DELETE", questionId: question.id }),
  });
  /** @type {HTMLElement} */ (dialog.element.querySelector("button.secondary")).focus();
}

/**
 * Ask before dismissing `count` waiting questions at once; `dismiss()` does it when confirmed.
 * @param {number} count @param {() => unknown} dismiss
 */
export function openDismissMany(count, dismiss) {
  const what = count === 1 ? "this waiting question" : `these ${count} waiting questions`;
  const dialog = openDialog({
    title: "Dismiss the selected questions?",
    body: [h("p", { text: `Dismissing deletes ${what}; their askers are told.` })],
    submitLabel: "Dismiss",
    destructive: true,
    onSubmit: dismiss,
  });
  /** @type {HTMLElement} */ (dialog.element.querySelector("button.secondary")).focus();
}
