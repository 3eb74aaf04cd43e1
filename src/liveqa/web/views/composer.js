// @ts-check
/**
 * The "Add your question!" form. Drafts and questions not yet confirmed by the server are kept
 * in sessionStorage, so neither going offline nor reloading loses what someone typed; each post
 * carries a nonce, so sending it again never stores it twice.
 */

import { h, setText, randomId } from "../dom.js";
import { LIMITS, textProblem } from "../validate.js";
/** @import { Outgoing, Room, Send } from "../types.js" */

/** @type {Record<string, string>} */
const STATE_NOTES = {
  voting: "This room takes no new questions right now, only votes.",
  closed: "This room is closed: questions and votes are read-only.",
};

const BANNED_NOTE = "A host has banned you from this room: you cannot ask questions here.";

/** @template T @param {string} key @param {T} fallback @returns {T} */
function load(key, fallback) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? "null") ?? fallback;
  } catch {
    return fallback;
  }
}

/** @param {string} key @param {unknown} value */
function save(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the text still lives in the page.
  }
}

export class Composer {
  /** `send(message)` → promise of the ACK, rejected with the server's reason. @param {string} roomId @param {Send} send */
  constructor(roomId, send) {
    this.send = send;
    this.draftKey = `liveqa.draft.${roomId}`;
    this.queueKey = `liveqa.outbox.${roomId}`;
    this.queued = load(this.queueKey, /** @type {Outgoing[]} */ ([]));

    this.textarea = h("textarea", {
      id: "ask",
      dir: "auto",
      rows: 2,
      autocomplete: "off",
      "aria-describedby": "ask-count ask-error ask-note",
    });
    this.textarea.value = load(this.draftKey, "");
    this.count = h("span", { id: "ask-count", class: "count-chars" });
    this.anonymous = h("input", { type: "checkbox", id: "ask-anonymous" });
    this.anonymousField = h("label", { class: "check", for: "ask-anonymous" }, this.anonymous, " Ask anonymously");
    this.submit = h("button", { type: "submit", class: "primary", text: "Submit your question" });
    this.error = h("p", { id: "ask-error", class: "error", role: "alert", hidden: true });
    this.note = h("p", { id: "ask-note", class: "note", hidden: true });
    this.queue = h("ul", { class: "queued", "aria-label": "Questions not sent yet", hidden: true });
    this.element = h(
      "form",
      { class: "composer", novalidate: true, "aria-label": "Ask a question" },
      h("label", { for: "ask", class: "prompt", text: "Add your question!" }),
      this.textarea,
      h("div", { class: "composer-row" }, this.anonymousField, this.count, this.submit),
      this.error,
      this.note,
      this.queue,
    );
    this.textarea.addEventListener("input", () => {
      this.changed();
      // Shown on submit, a problem then follows the text.
      if (this.invalid) this.showError(textProblem(this.textarea.value, "Your question", LIMITS.question));
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.element.requestSubmit();
      }
    });
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.post();
    });
    this.changed();
    this.renderQueue();
  }

  /** Send questions left over from an earlier page load or connection. */
  resume() {
    for (const entry of this.queued) this.deliver(entry);
  }

  /** Follow the room's settings (state, anonymous questions) and whether I am `banned` there. @param {Room} room */
  setRoom(room, banned = false) {
    const note = banned ? BANNED_NOTE : (STATE_NOTES[room.state] ?? "");
    setText(this.note, note);
    this.note.hidden = !note;
    const open = room.state === "open" && !banned;
    this.textarea.disabled = !open;
    // Not open: the note, not a composer that looks usable.
    this.element.classList.toggle("shut", !open);
    this.anonymousField.hidden = !room.allowAnonymous;
    if (!room.allowAnonymous) this.anonymous.checked = false;
    this.open = open;
    this.changed();
  }

  changed() {
    const length = [...this.textarea.value.trim()].length;
    setText(this.count, `${length}/${LIMITS.question}`);
    this.count.classList.toggle("over", length > LIMITS.question);
    this.submit.disabled = this.open === false || length === 0;
    save(this.draftKey, this.textarea.value);
  }

  /** @param {string | null} message */
  showError(message) {
    setText(this.error, message ?? "");
    this.error.hidden = !message;
  }

  post() {
    const problem = textProblem(this.textarea.value, "Your question", LIMITS.question);
    this.invalid = problem !== null;
    if (problem) {
      this.showError(problem);
      this.textarea.focus();
      return;
    }
    this.showError(null);
    const entry = {
      nonce: randomId(),
      questionText: this.textarea.value.trim(),
      anonymous: this.anonymous.checked,
    };
    // Anonymity is per question.
    this.anonymous.checked = false;
    this.queued.push(entry);
    save(this.queueKey, this.queued);
    this.textarea.value = "";
    this.changed();
    this.renderQueue();
    this.deliver(entry);
  }

  /** @param {Outgoing} entry */
  async deliver(entry) {
    try {
      await this.send({ type: "QUESTION_POST_TO_ROOM", ...entry });
      this.forget(entry);
    } catch (error) {
      this.forget(entry);
      // Give the text back rather than lose it, unless something new is being typed.
      if (this.textarea.value.trim() === "") {
        this.textarea.value = entry.questionText;
        this.changed();
      }
      this.showError(`Your question was not posted: ${/** @type {Error} */ (error).message}`);
    }
  }

  /** @param {Outgoing} entry */
  forget(entry) {
    this.queued = this.queued.filter((e) => e.nonce !== entry.nonce);
    save(this.queueKey, this.queued);
    this.renderQueue();
  }

  renderQueue() {
    this.queue.replaceChildren(
      ...this.queued.map((entry) => h("li", {}, h("span", { class: "sending", text: "Sending… " }), entry.questionText)),
    );
    this.queue.hidden = this.queued.length === 0;
  }
}
