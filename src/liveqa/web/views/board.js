/** The room page: title bar, "now answering", the views, the question lists and the form. */

import { h, icon, setText } from "../dom.js";
import { VIEWS, arrange } from "../sort.js";
import { QuestionList } from "./questions.js";
import { Composer } from "./composer.js";
import { ConnectionStatus } from "./status.js";
import { askerName } from "./card.js";
import { votes } from "../words.js";

const VIEW_KEY = "liveqa.view";

function storedView() {
  try {
    const view = localStorage.getItem(VIEW_KEY);
    return VIEWS.some((v) => v.id === view) ? view : "top";
  } catch {
    return "top";
  }
}

export class RoomBoard {
  /**
   * `handlers`: exit(), rename(), settings(), retry(), send(message), announce(text), and the
   * card actions (vote, reply, remove, highlight, approve, dismiss).
   */
  constructor(roomId, handlers) {
    this.handlers = handlers;
    this.view = storedView();
    this.cards = new Map();
    this.state = null;

    this.roomName = h("h1", { class: "room-name", dir: "auto", tabindex: -1 });
    const skip = h("a", {
      href: "#ask",
      class: "skip",
      text: "Skip to the question form",
      onclick: (event) => {
        event.preventDefault();
        this.unfold();
      },
    });
    this.settingsButton = h(
      "button",
      { type: "button", class: "icon-button", "aria-label": "Room settings", hidden: true, onclick: handlers.settings },
      icon("tune"),
    );
    this.myName = h("span", { class: "my-name" });
    this.meButton = h(
      "button",
      { type: "button", class: "me", onclick: handlers.rename },
      this.myName,
      h("span", { class: "visually-hidden", text: " (change your name)" }),
      icon("edit"),
    );
    const exit = h("a", {
      href: "/",
      class: "exit",
      text: "‹ Exit",
      "aria-label": "Exit the room",
      onclick: (event) => {
        event.preventDefault();
        handlers.exit();
      },
    });
    this.header = h(
      "header",
      { class: "bar" },
      exit,
      h("div", { class: "title" }, this.roomName, skip, this.settingsButton),
      this.meButton,
    );

    this.status = new ConnectionStatus({ onRetry: handlers.retry, announce: handlers.announce });
    this.notices = h("div", { class: "notices" });

    this.nowText = h("p", { class: "now-text", dir: "auto" });
    this.nowMeta = h("p", { class: "meta" });
    this.now = h(
      "section",
      { class: "now", "aria-labelledby": "now-title", hidden: true },
      h("h2", { id: "now-title", text: "Now answering" }),
      this.nowText,
      this.nowMeta,
    );

    this.tabs = VIEWS.map((view) =>
      h("button", {
        type: "button",
        class: "tab",
        dataset: { view: view.id },
        text: view.label,
        onclick: () => this.setView(view.id),
      }),
    );
    const nav = h("nav", { class: "views", "aria-label": "Sort questions" }, this.tabs);
    // The cards' "Response:" headings sit under this one, so the outline has no gap after h1.
    const listTitle = h("h2", { class: "visually-hidden", text: "Questions" });
    // For hosts: how many people have the room open.
    this.attendees = h("p", { class: "meta attendees", hidden: true });
    // On a wide screen a moderating host's form is folded away until asked for.
    this.askButton = h("button", { type: "button", class: "secondary small ask", text: "Ask a question", onclick: () => this.unfold() });

    this.pendingTitle = h("h2", { id: "pending-title" });
    this.pendingList = h("ol", { class: "questions", "aria-labelledby": "pending-title" });
    this.pending = h("section", { class: "pending-section", hidden: true }, this.pendingTitle, this.pendingList);
    this.listElement = h("ol", { class: "questions", "aria-label": "Questions" });
    // Top keeps the reader's place once they scrolled into the list: this re-sorts on demand.
    this.resortButton = h("button", {
      type: "button",
      class: "secondary small resort",
      hidden: true,
      onclick: () => {
        this.order = null;
        this.render(this.state);
        this.listElement.scrollIntoView({ block: "start" });
      },
    });
    this.empty = h("div", { class: "empty", hidden: true });
    const actions = {
      vote: handlers.vote,
      reply: handlers.reply,
      remove: handlers.remove,
      highlight: handlers.highlight,
      approve: handlers.approve,
      dismiss: handlers.dismiss,
    };
    this.pendingView = new QuestionList(this.pendingList, this.cards, actions);
    this.listView = new QuestionList(this.listElement, this.cards, actions);

    this.composer = new Composer(roomId, handlers.send);
    this.element = h(
      "div",
      { class: "room" },
      this.header,
      h(
        "main",
        { id: "main", class: "room-main" },
        // Inside the main landmark, so it is found with the rest of the page.
        this.status.element,
        h("div", { class: "column" }, this.notices, this.now, this.attendees, this.askButton, listTitle, nav, this.pending, this.resortButton, this.listElement, this.empty),
      ),
      h("div", { class: "composer-dock" }, h("div", { class: "column" }, this.composer.element)),
    );
  }

  setView(view) {
    this.view = view;
    this.order = null;
    try {
      localStorage.setItem(VIEW_KEY, view);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    if (this.state) this.render(this.state);
  }

  /** Show the question form (folded away in the wide moderation layout) and go to it. */
  unfold() {
    this.element.classList.add("asking");
    this.composer.textarea.focus();
  }

  /** Put a notice (a node with its own dismiss button) above the questions. */
  notice(node) {
    this.notices.append(node);
  }

  /** Render `state`. */
  render(state) {
    this.state = state;
    const { room, me } = state;
    const isHost = Boolean(me?.isHost);
    setText(this.roomName, room.displayName);
    this.settingsButton.hidden = !isHost;
    // Hosts of a moderated room get the queue beside the list on a wide screen (app.css).
    this.element.classList.toggle("moderating", isHost && room.moderation);
    this.attendees.hidden = !isHost || typeof state.attendees !== "number";
    setText(this.attendees, `${state.attendees} ${state.attendees === 1 ? "person" : "people"} here`);
    setText(this.myName, me?.displayName ?? "No name yet");
    this.composer.setRoom(room);

    const now = Date.now();
    const context = (question) => ({
      voted: state.votes.get(question.id) ?? false,
      mine: state.mine.has(question.id),
      isHost,
      highlighted: room.highlightedQuestionId === question.id,
      roomState: room.state,
      now,
    });
    const questions = [...state.questions.values()];
    const { pending, list } = arrange(questions, this.view);
    const answeredCount = questions.filter((q) => q.answeredAt !== null && !q.pending).length;
    for (const tab of this.tabs) {
      const selected = tab.dataset.view === this.view;
      tab.setAttribute("aria-pressed", String(selected));
      if (tab.dataset.view === "answered") setText(tab, `Answered (${answeredCount})`);
    }

    setText(this.pendingTitle, isHost ? `Waiting for approval (${pending.length})` : "Your questions waiting for approval");
    this.pending.hidden = pending.length === 0 && !(isHost && room.moderation);
    this.pendingView.render(pending, context);
    const shown = this.keepPlace(list);
    this.listView.render(shown, context);
    for (const id of this.cards.keys()) {
      if (!state.questions.has(id)) this.cards.delete(id);
    }
    this.renderEmpty(list.length === 0 && pending.length === 0, questions.length === 0);
    this.renderNow(state);
  }

  /**
   * `list` in Top's fresh order while the reader is at the top of it; once they scrolled into
   * it, in the order they are reading (new questions last), with a button to re-sort.
   */
  keepPlace(list) {
    let shown = list;
    if (this.view === "top" && this.order && this.listElement.getBoundingClientRect().top < 0) {
      const rank = new Map(this.order.map((id, i) => [id, i]));
      shown = [...list].sort((a, b) => (rank.get(a.id) ?? 1e9) - (rank.get(b.id) ?? 1e9));
    }
    const moved = shown.filter((q, i) => q !== list[i]).length;
    this.resortButton.hidden = moved === 0;
    setText(this.resortButton, `${moved} ${moved === 1 ? "update" : "updates"}: sort again`);
    this.order = shown.map((q) => q.id);
    return shown;
  }

  renderEmpty(empty, roomEmpty) {
    this.empty.hidden = !empty;
    if (!empty) return;
    const lines =
      roomEmpty || this.view !== "answered"
        ? ["It looks like there are no questions in this room yet.", "Use the form below to ask the first question!"]
        : ["No answered questions yet."];
    this.empty.replaceChildren(...lines.map((line) => h("p", { text: line })));
  }

  renderNow(state) {
    const id = state.room.highlightedQuestionId;
    const question = id ? state.questions.get(id) : null;
    this.now.hidden = !question;
    if (!question) return;
    setText(this.nowText, question.text);
    setText(this.nowMeta, `asked by ${askerName(question, state.mine.has(id))} · ${votes(question.upvotes)}`);
  }

  /** Refresh relative times on every card. */
  tick(now) {
    for (const card of this.cards.values()) card.tick(now);
  }
}
