// @ts-check
/** Hosts' "Reply to Question" dialog, also used to edit an answer. */

import { h } from "../dom.js";
import { LIMITS, textProblem } from "../validate.js";
import { relativeTime } from "../reltime.js";
import { votes } from "../words.js";
import { askerName } from "./card.js";
import { openDialog, field } from "./dialog.js";
/** @import { Question, Send } from "../types.js" */

/** Summary of a question as dialogs show it: text, who asked when, votes. @param {Question} question @param {boolean} mine */
export function questionSummary(question, mine) {
  return h(
    "div",
    { class: "summary" },
    h("p", { class: "label", text: "Question:" }),
    h("blockquote", { text: question.text }),
    h("p", { class: "meta", text: `by ${askerName(question, mine)} (${relativeTime(question.askedAt, Date.now())})` }),
    h("p", { class: "meta", text: votes(question.upvotes) }),
  );
}

/**
 * Open the dialog; `send(message)` resolves on ACK and rejects with the server's error.
 * @param {Question} question @param {{mine: boolean, send: Send}} ctx
 */
export function openReply(question, { mine, send }) {
  const editing = question.answerText !== null;
  const textarea = h("textarea", { rows: 5 });
  textarea.value = question.answerText ?? "";
  openDialog({
    title: editing ? "Edit Reply" : "Reply to Question",
    body: [questionSummary(question, mine), field("Your answer", textarea, `Up to ${LIMITS.answer} characters.`)],
    submitLabel: editing ? "Update" : "Submit",
    onSubmit: async () => {
      const problem = textProblem(textarea.value, "The answer", LIMITS.answer);
      if (problem) throw new Error(problem);
      await send({ type: "QUESTION_POST_ANSWER", questionId: question.id, answerText: textarea.value.trim() });
    },
  });
  textarea.focus();
}
