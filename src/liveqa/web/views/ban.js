// @ts-check
/** Hosts' confirmation before banning the asker of a question from the room. */

import { h } from "../dom.js";
import { openDialog } from "./dialog.js";
import { questionSummary } from "./reply.js";
/** @import { Question, Send } from "../types.js" */

/**
 * Ask "Ban this person from the room?"; bans through `send` when confirmed.
 * @param {Question} question @param {{mine: boolean, send: Send}} ctx
 */
export function openBan(question, { mine, send }) {
  const who = question.author ? question.author.name : "the anonymous asker";
  const dialog = openDialog({
    title: "Ban this person from the room?",
    body: [
      questionSummary(question, mine),
      h("p", { dir: "auto", text: `All questions of ${who} are hidden from everyone, and they can no longer ask, vote or edit here, even after reconnecting. You can lift the ban in the room settings.` }),
    ],
    submitLabel: "Ban",
    destructive: true,
    onSubmit: () => send({ type: "PARTICIPANT_BAN", questionId: question.id }),
  });
  /** @type {HTMLElement} */ (dialog.element.querySelector("button.secondary")).focus();
}
