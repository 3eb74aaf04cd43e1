// @ts-check
/** One question card: created once, then updated in place as the question changes. */

import { h, icon, setText } from "../dom.js";
import { relativeTime, absoluteTime } from "../reltime.js";
import { votes } from "../words.js";
/** @import { CardActions, CardContext, Question, Timer } from "../types.js" */

const ERROR_SHOWN_MS = 8_000;

/** @param {HTMLTimeElement} element @param {number} ms @param {number} now */
function setTime(element, ms, now) {
  const iso = new Date(ms).toISOString();
  if (element.dateTime !== iso) {
    element.dateTime = iso;
    element.title = absoluteTime(ms);
  }
  setText(element, relativeTime(ms, now));
}

/** What a card says about changed words: a host's change is always named as one. @param {Question} question */
export function editedNote(question) {
  if (question.editedBy === "host") return "edited by a host";
  if (question.editedBy === "author") return "edited";
  return "";
}

/**
 * The name shown for who asked: theirs, "Anonymous", or "you (anonymous)" for my own.
 * @param {Question} question @param {boolean} mine
 */
export function askerName(question, mine) {
  if (question.author) return question.author.name;
  return mine ? "you (anonymous)" : "Anonymous";
}

/**
 * Whether my own question is still mine alone to change: no answer, nobody else's vote, no
 * host's edit, the room not closed and me not banned (the server checks the same; this only
 * decides which buttons to offer).
 * @param {Question} question @param {CardContext} ctx
 */
export function authorMayChange(question, ctx) {
  const othersVotes = question.upvotes - (ctx.voted ? 1 : 0);
  return (
    ctx.mine &&
    !ctx.banned &&
    ctx.roomState !== "closed" &&
    question.answeredAt === null &&
    question.editedBy !== "host" &&
    othersVotes <= 0
  );
}

export class QuestionCard {
  /**
   * `actions`: vote(question, upvoted), reply, remove, highlight(question, on), approve, dismiss,
   * mark(question, answered), select(question, ticked), edit, ban.
   * @param {Question} question @param {CardActions} actions
   */
  constructor(question, actions) {
    this.id = question.id;
    this.actions = actions;
    // update() runs right after (QuestionList); the empty key makes it render.
    this.question = question;
    /** @type {CardContext} */
    this.ctx = /** @type {any} */ (null);
    this.key = "";
    const textId = `q-${question.id}`;
    this.text = h("p", { class: "q-text", id: textId, dir: "auto" });
    this.badge = h("span", { class: "badge" });
    this.asker = h("b", { dir: "auto" });
    this.host = h("span", { class: "badge", hidden: true, text: "HOST" });
    this.askedAt = h("time");
    this.edited = h("span", { class: "edited", hidden: true });
    this.meta = h("p", { class: "meta" }, "asked by ", this.asker, " ", this.host, " (", this.askedAt, ")", this.edited);
    this.answerTitle = h("h3", { text: "Response:" });
    this.answerText = h("p", { class: "a-text", dir: "auto" });
    this.answerer = h("b", { dir: "auto" });
    this.answeredAt = h("time");
    this.answeredWhen = h("span", {}, ", ", this.answeredAt);
    this.answerLead = h("span");
    this.answer = h(
      "div",
      { class: "answer", hidden: true },
      this.answerTitle,
      this.answerText,
      h("p", { class: "a-meta" }, this.answerLead, this.answerer, this.answeredWhen),
    );
    // Hosts tick waiting questions to approve or dismiss several at once.
    this.selectBox = h("input", {
      type: "checkbox",
      "aria-describedby": textId,
      onchange: () => this.actions.select(this.question, this.selectBox.checked),
    });
    this.select = h("label", { class: "select" }, this.selectBox, h("span", { text: "Select" }));
    this.voteCount = h("span", { class: "count" });
    this.vote = h(
      "button",
      { type: "button", class: "vote", onclick: () => this.onVote() },
      this.voteCount,
      icon("thumb"),
    );
    this.hostButtons = h("span", { class: "host-actions" });
    this.error = h("p", { class: "error", hidden: true });
    this.root = h(
      "li",
      { class: "card", dataset: { id: question.id } },
      h(
        "article",
        { "aria-labelledby": textId },
        h("div", { class: "card-head" }, this.text, this.badge),
        this.meta,
        this.answer,
        h("div", { class: "actions" }, this.vote, this.hostButtons),
        this.error,
      ),
    );
    /** @type {Timer | undefined} */
    this.errorTimer = undefined;
    this.hostKey = "";
  }

  onVote() {
    this.actions.vote(this.question, !this.ctx.voted, this);
  }

  /** Show `question` with `ctx` = {voted, mine, isHost, banned, highlighted, roomState, now}. @param {Question} question @param {CardContext} ctx */
  update(question, ctx) {
    const key = [ctx.voted, ctx.mine, ctx.isHost, ctx.banned, ctx.highlighted, ctx.roomState, ctx.selected].join("|");
    if (question === this.question && key === this.key) return;
    this.question = question;
    this.ctx = ctx;
    this.key = key;
    const answered = question.answeredAt !== null;
    setText(this.text, question.text);
    setText(this.asker, askerName(question, ctx.mine));
    // A copy of a host's name is told apart.
    this.host.hidden = !question.authorIsHost;
    setTime(this.askedAt, question.askedAt, ctx.now);
    const edited = editedNote(question);
    setText(this.edited, edited ? ` · ${edited}` : "");
    this.edited.hidden = !edited;
    this.root.classList.toggle("answered", answered);
    this.root.classList.toggle("pending", question.pending);
    this.root.classList.toggle("highlighted", ctx.highlighted);
    this.root.classList.toggle("mine", ctx.mine);
    let badge = answered ? "ANSWERED" : "UNANSWERED";
    if (question.pending) badge = ctx.mine && !ctx.isHost ? "WAITING FOR APPROVAL" : "PENDING";
    else if (ctx.highlighted) badge = "NOW ANSWERING";
    setText(this.badge, badge);

    // A written answer stays visible when its question is reopened; a bare mark says who set it.
    const written = question.answerText !== null;
    this.answer.hidden = !answered && !written;
    this.answerTitle.hidden = !written;
    this.answerText.hidden = !written;
    setText(this.answerText, question.answerText ?? "");
    setText(this.answerLead, written ? "— " : "Marked answered by ");
    setText(this.answerer, question.answerAuthor?.name ?? "a host");
    this.answeredWhen.hidden = !answered;
    if (question.answeredAt !== null) setTime(this.answeredAt, question.answeredAt, ctx.now);
    this.selectBox.checked = Boolean(ctx.selected);

    setText(this.voteCount, String(question.upvotes));
    this.vote.setAttribute("aria-pressed", String(ctx.voted));
    this.vote.setAttribute(
      "aria-label",
      `${ctx.voted ? "Remove your up-vote" : "Up-vote"}: ${votes(question.upvotes)}`,
    );
    this.vote.hidden = question.pending;
    this.vote.disabled = ctx.roomState === "closed" || ctx.banned;
    this.renderHostButtons(question, ctx);
  }

  /** @param {Question} question @param {CardContext} ctx */
  renderHostButtons(question, ctx) {
    const written = question.answerText !== null;
    const authorMay = authorMayChange(question, ctx);
    // A host bans the asker of any question but their own and other hosts'.
    const bannable = !ctx.mine && !question.authorIsHost;
    const key = [ctx.isHost, ctx.roomState, question.pending, question.answeredAt !== null, written, ctx.highlighted, authorMay, bannable].join("|");
    if (key === this.hostKey) return;
    this.hostKey = key;
    /** @type {HTMLElement[]} */
    const buttons = [];
    /** @param {string} label @param {Parameters<typeof icon>[0]} iconName @param {() => void} onclick */
    const button = (label, iconName, onclick, extra = {}) =>
      h("button", { type: "button", class: "tool", onclick, ...extra }, icon(iconName), h("span", { text: label }));
    const edit = () => button("Edit", "edit", () => this.actions.edit(this.question, this));
    const remove = () => button("Delete", "delete", () => this.actions.remove(this.question, this), { class: "tool delete" });
    const ban = () => button("Ban", "block", () => this.actions.ban(this.question, this), { class: "tool delete" });
    if (ctx.isHost) {
      if (question.pending) {
        buttons.push(this.select);
        buttons.push(button("Approve", "check", () => this.actions.approve(this.question, this)));
        buttons.push(button("Dismiss", "close", () => this.actions.dismiss(this.question, this), { class: "tool delete" }));
        buttons.push(edit());
      } else {
        const answered = question.answeredAt !== null;
        buttons.push(button(written ? "Edit reply" : "Reply", written ? "edit" : "reply", () => this.actions.reply(this.question, this)));
        buttons.push(
          answered
            ? button("Reopen", "undo", () => this.actions.mark(this.question, false, this), { dataset: { slot: "mark" } })
            : button("Mark answered", "check", () => this.actions.mark(this.question, true, this), { dataset: { slot: "mark" } }),
        );
        buttons.push(
          button("Highlight", "star", () => this.actions.highlight(this.question, !this.ctx.highlighted, this), {
            "aria-pressed": String(ctx.highlighted),
          }),
        );
        buttons.push(edit(), remove());
      }
      if (bannable) buttons.push(ban());
    } else if (authorMay) {
      buttons.push(edit(), remove());
    }
    // Keep the focused button when its card re-renders, so keyboard users are not thrown out.
    // A button that turns into another (Mark answered, Reopen) shares a slot with it.
    const name = (/** @type {HTMLElement} */ element) => element.dataset.slot ?? element.textContent;
    const active = /** @type {HTMLElement} */ (document.activeElement);
    const focused = this.hostButtons.contains(active) ? name(active) : null;
    this.hostButtons.replaceChildren(...buttons);
    if (focused !== null) {
      const same = buttons.find((b) => name(b) === focused) ?? buttons.find((b) => b.tagName === "BUTTON");
      same?.focus({ preventScroll: true });
    }
  }

  /** Refresh relative times. @param {number} now */
  tick(now) {
    setText(this.askedAt, relativeTime(this.question.askedAt, now));
    if (this.question.answeredAt !== null) setText(this.answeredAt, relativeTime(this.question.answeredAt, now));
  }

  /** Show a server error next to this question for a while. @param {string} message */
  showError(message) {
    setText(this.error, message);
    this.error.hidden = false;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => {
      this.error.hidden = true;
    }, ERROR_SHOWN_MS);
  }
}
