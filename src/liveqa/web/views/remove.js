/** The confirmation before deleting a question (hosts, or its author while it is theirs alone). */

import { h } from "../dom.js";
import { relativeTime } from "../reltime.js";
import { openDialog } from "./dialog.js";
import { questionSummary } from "./reply.js";

/** Ask "Really delete this question?"; deletes through `send` when confirmed. */
export function openRemove(question, { mine, send }) {
  const body = [questionSummary(question, mine)];
  if (question.answeredAt !== null) {
    body.push(
      h("p", { class: "label", text: "Answered:" }),
      h("blockquote", { text: question.answerText ?? "" }),
      h("p", {
        class: "meta",
        text: `by ${question.answerAuthor?.name ?? "a host"} (${relativeTime(question.answeredAt, Date.now())})`,
      }),
    );
  }
  const dialog = openDialog({
    title: "Really delete this question?",
    body,
    submitLabel: "Delete",
    destructive: true,
    onSubmit: () => send({ type: "QUESTION_DELETE", questionId: question.id }),
  });
  dialog.element.querySelector("button.secondary").focus();
}
