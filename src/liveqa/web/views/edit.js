// @ts-check
/** "Edit Question": hosts fix any question's words (typos, personal data); authors their own. */

import { h } from "../dom.js";
import { LIMITS, textProblem } from "../validate.js";
import { openDialog, field } from "./dialog.js";
/** @import { Question, Send } from "../types.js" */

/**
 * Open the dialog prefilled with the question's text; `send` saves through the socket.
 * @param {Question} question @param {{isHost: boolean, send: Send}} ctx
 */
export function openEdit(question, { isHost, send }) {
  const textarea = h("textarea", { rows: 4, dir: "auto" });
  textarea.value = question.text;
  const hint = isHost
    ? `Up to ${LIMITS.question} characters. Everyone will see that a host edited it.`
    : `Up to ${LIMITS.question} characters. You can change it until it has an answer or someone else's vote.`;
  openDialog({
    title: "Edit Question",
    body: [field("The question", textarea, hint)],
    submitLabel: "Save",
    onSubmit: async () => {
      const problem = textProblem(textarea.value, "The question", LIMITS.question);
      if (problem) throw new Error(problem);
      await send({ type: "QUESTION_EDIT", questionId: question.id, questionText: textarea.value.trim() });
    },
  });
  textarea.focus();
}
