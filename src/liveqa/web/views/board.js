// @ts-check
/** The room page: title bar, "now answering", the views, the question lists and the form. */

import { h, icon, setText } from "../dom.js";
import { VIEWS, arrange } from "../sort.js";
import { QuestionList } from "./questions.js";
import { Composer } from "./composer.js";
import { ConnectionStatus } from "./status.js";
import { askerName, editedNote } from "./card.js";
import { votes } from "../words.js";
import { FILTERS, applyFilter, countText, isFiltering } from "../filter.js";
/** @import { BoardHandlers, CardActions, Loaded, Question } from "../types.js" */

const VIEW_KEY = "liveqa.view";
// How long a notice about my own question stays, and how many show at once.
const TOAST_MS = 15_000;
const TOASTS_SHOWN = 3;

function storedView() {
  try {
    const view = localStorage.getItem(VIEW_KEY);
    return VIEWS.find((v) => v.id === view)?.id ?? "top";
  } catch {
    return "top";
  }
}

export class RoomBoard {
  /**
   * `handlers`: exit(), rename(), settings(), retry(), send(message), announce(text), and the
   * card actions (vote, reply, remove, highlight, approve, dismiss, mark, edit, ban), and for the
   * waiting queue approveMany(ids) and dismissMany(ids), each resolving once done.
   * @param {string} roomId @param {BoardHandlers} handlers
   */
  constructor(roomId, handlers) {
    this.handlers = handlers;
    this.view = storedView();
    /** @type {Map<string, import("./card.js").QuestionCard>} */
    this.cards = new Map();
    /** @type {Loaded | null} */
    this.state = null;
    this.filter = "all";
    this.query = "";
    // Waiting questions a host ticked for one bulk action.
    /** @type {Set<string>} */
    this.selected = new Set();

    this.roomName = h("h1", { class: "room-name", dir: "auto", tabindex: -1 });
    const skip = h("a", {
      href: "#ask",
      class: "skip",
      text: "Skip to the question form",
      onclick: (/** @type {Event} */ event) => {
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
      onclick: (/** @type {Event} */ event) => {
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
    // News about my own questions, for me only: shown on top of the page and read out politely.
    this.toasts = h("div", { class: "toasts", "aria-live": "polite", "aria-relevant": "additions" });
    // What a banned person sees, for as long as the ban lasts.
    this.banned = h(
      "section",
      { class: "notice banned", role: "region", "aria-label": "You are banned from this room", hidden: true },
      h("h2", { text: "You are banned from this room" }),
      h("p", { text: "A host has banned you: you can read the questions, but not ask, vote or edit, and your questions are hidden." }),
    );

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
    this.finder = this.buildFinder();
    // The cards' "Response:" headings sit under this one, so the outline has no gap after h1.
    const listTitle = h("h2", { class: "visually-hidden", text: "Questions" });
    // For hosts: how many people have the room open.
    this.attendees = h("p", { class: "meta attendees", hidden: true });
    // On a wide screen a moderating host's form is folded away until asked for.
    this.askButton = h("button", { type: "button", class: "secondary small ask", text: "Ask a question", onclick: () => this.unfold() });

    this.pendingTitle = h("h2", { id: "pending-title", tabindex: -1 });
    this.pendingList = h("ol", { class: "questions", "aria-labelledby": "pending-title" });
    this.bulk = this.buildBulk();
    this.pending = h("section", { class: "pending-section", hidden: true }, this.pendingTitle, this.bulk, this.pendingList);
    this.listElement = h("ol", { class: "questions", "aria-label": "Questions" });
    // Top keeps the reader's place once they scrolled into the list: this re-sorts on demand.
    this.resortButton = h("button", {
      type: "button",
      class: "secondary small resort",
      hidden: true,
      onclick: () => {
        this.order = null;
        if (this.state) this.render(this.state);
        this.listElement.scrollIntoView({ block: "start" });
      },
    });
    this.empty = h("div", { class: "empty", hidden: true });
    /** @type {CardActions} */
    const actions = {
      vote: handlers.vote,
      reply: handlers.reply,
      remove: handlers.remove,
      highlight: handlers.highlight,
      approve: handlers.approve,
      dismiss: handlers.dismiss,
      mark: handlers.mark,
      select: (question, on) => {
        if (on) this.selected.add(question.id);
        else this.selected.delete(question.id);
        if (this.state) this.render(this.state);
      },
      edit: handlers.edit,
      ban: handlers.ban,
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
        h(
          "div",
          { class: "column" },
          this.notices,
          this.banned,
          this.now,
          this.attendees,
          this.askButton,
          listTitle,
          nav,
          this.finder,
          this.pending,
          this.resortButton,
          this.listElement,
          this.empty,
        ),
      ),
      h("div", { class: "composer-dock" }, h("div", { class: "column" }, this.composer.element)),
    );
    // Under the sticky title bar, so they never cover its controls and follow it as one scrolls.
    this.header.append(this.toasts);
  }

  /** The search box, the filter buttons and the "N of M questions" count. */
  buildFinder() {
    /** @type {HTMLInputElement} */
    this.search = h("input", {
      type: "search",
      id: "question-search",
      class: "search",
      dir: "auto",
      placeholder: "Words or a name",
      autocomplete: "off",
      enterkeyhint: "search",
      oninput: () => {
        this.query = this.search.value;
        this.order = null;
        if (this.state) this.render(this.state);
      },
    });
    /** @type {HTMLButtonElement[]} */
    this.filters = FILTERS.map((filter) =>
      h("button", {
        type: "button",
        class: "filter",
        dataset: { filter: filter.id },
        text: filter.label,
        "aria-pressed": String(filter.id === this.filter),
        onclick: () => this.setFilter(filter.id),
      }),
    );
    // role=status: screen readers hear the count change as the person types.
    /** @type {HTMLParagraphElement} */
    this.count = h("p", { class: "meta count", role: "status" });
    return h(
      "div",
      { class: "finder", role: "search", "aria-label": "Questions" },
      h("label", { for: "question-search", class: "visually-hidden", text: "Search questions" }),
      this.search,
      h("div", { class: "filters", role: "group", "aria-label": "Show" }, this.filters),
      this.count,
    );
  }

  /** The hosts' tools over the waiting queue: act on the ticked questions, or on all shown. */
  buildBulk() {
    // One action at a time; the buttons stay enabled meanwhile, so the focus stays on them.
    let busy = false;
    const run = async (/** @type {() => Promise<unknown>} */ action) => {
      if (busy) return;
      busy = true;
      this.bulk.setAttribute("aria-busy", "true");
      this.bulkError.hidden = true;
      try {
        await action();
      } catch (error) {
        setText(this.bulkError, /** @type {Error} */ (error).message);
        this.bulkError.hidden = false;
      } finally {
        busy = false;
        this.bulk.removeAttribute("aria-busy");
        if (this.state) this.render(this.state);
      }
    };
    /** @type {HTMLButtonElement} */
    this.approveSelected = h("button", {
      type: "button",
      class: "secondary small",
      onclick: () => this.selected.size && run(() => this.handlers.approveMany([...this.selected])),
    });
    /** @type {HTMLButtonElement} */
    this.dismissSelected = h("button", {
      type: "button",
      class: "danger small",
      onclick: () => this.selected.size && run(() => this.handlers.dismissMany([...this.selected])),
    });
    /** @type {HTMLButtonElement} */
    this.approveAll = h("button", {
      type: "button",
      class: "secondary small",
      onclick: () => run(() => this.handlers.approveMany(this.shownPending.map((q) => q.id))),
    });
    /** @type {HTMLParagraphElement} */
    this.bulkError = h("p", { class: "error", role: "alert", hidden: true });
    /** @type {Question[]} */
    this.shownPending = [];
    return h(
      "div",
      { class: "bulk", role: "group", "aria-label": "Waiting questions", hidden: true },
      this.approveSelected,
      this.dismissSelected,
      this.approveAll,
      this.bulkError,
    );
  }

  /** @param {string} filter */
  setFilter(filter) {
    this.filter = filter;
    this.order = null;
    if (this.state) this.render(this.state);
  }

  /** Back to every question: the search emptied, the filter on All. */
  showAll() {
    this.search.value = "";
    this.query = "";
    this.setFilter("all");
    this.search.focus();
  }

  /** @param {string} view */
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

  /** Show `text` as a passing notice of its own; it goes after a while or when dismissed. @param {string} text */
  toast(text) {
    const element = h("div", { class: "toast" });
    const close = () => element.remove();
    element.append(
      h("p", { dir: "auto", text }),
      h("button", { type: "button", class: "icon-button", "aria-label": "Close this notice", onclick: close }, icon("close")),
    );
    this.toasts.append(element);
    while (this.toasts.children.length > TOASTS_SHOWN) this.toasts.firstElementChild?.remove();
    // Not while someone points at it or has its button focused (WCAG 2.2.1): they are reading it.
    const expire = () => {
      if (element.matches(":hover, :focus-within")) setTimeout(expire, TOAST_MS);
      else close();
    };
    setTimeout(expire, TOAST_MS);
  }

  /** Put a notice (a node with its own dismiss button) above the questions. @param {Node} node */
  notice(node) {
    this.notices.append(node);
  }

  /** Render `state`. @param {Loaded} state */
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
    const banned = Boolean(me?.banned);
    this.banned.hidden = !banned;
    this.composer.setRoom(room, banned);

    const now = Date.now();
    const context = (/** @type {Question} */ question) => ({
      voted: state.votes.get(question.id) ?? false,
      mine: state.mine.has(question.id),
      isHost,
      banned,
      highlighted: room.highlightedQuestionId === question.id,
      roomState: room.state,
      selected: this.selected.has(question.id),
      now,
    });
    const questions = [...state.questions.values()];
    const arranged = arrange(questions, this.view);
    const mine = (/** @type {Question} */ question) => state.mine.has(question.id);
    const narrowing = { filter: this.filter, query: this.query };
    const { pending, list } = applyFilter(arranged, { ...narrowing, mine, asker: (q) => askerName(q, mine(q)) });
    const filtering = isFiltering(narrowing);
    const total = arranged.pending.length + arranged.list.length;
    const waitingFilter = /** @type {HTMLButtonElement} */ (this.filters.find((button) => button.dataset.filter === "waiting"));
    waitingFilter.hidden = this.filter !== "waiting" && arranged.pending.length === 0 && !(isHost && room.moderation);
    for (const button of this.filters) button.setAttribute("aria-pressed", String(button.dataset.filter === this.filter));
    setText(this.count, filtering ? countText(pending.length + list.length, total) : "");
    for (const id of this.selected) {
      if (!state.questions.get(id)?.pending) this.selected.delete(id);
    }
    const answeredCount = questions.filter((q) => q.answeredAt !== null && !q.pending).length;
    for (const tab of this.tabs) {
      const selected = tab.dataset.view === this.view;
      tab.setAttribute("aria-pressed", String(selected));
      if (tab.dataset.view === "answered") setText(tab, `Answered (${answeredCount})`);
    }

    setText(this.pendingTitle, isHost ? `Waiting for approval (${pending.length})` : "Your questions waiting for approval");
    this.pending.hidden = pending.length === 0 && (filtering || !(isHost && room.moderation));
    this.renderBulk(isHost, pending);
    this.pendingView.render(pending, context);
    const shown = this.keepPlace(list);
    this.listView.render(shown, context);
    for (const id of this.cards.keys()) {
      if (!state.questions.has(id)) this.cards.delete(id);
    }
    this.renderEmpty(list.length === 0 && pending.length === 0, questions.length === 0, filtering && total > 0, banned);
    this.renderNow(state);
  }

  /** @param {boolean} isHost @param {Question[]} pending */
  renderBulk(isHost, pending) {
    this.shownPending = pending;
    const hide = !isHost || pending.length === 0;
    // The toolbar goes with the last waiting question: keep keyboard users in the queue.
    if (hide && !this.bulk.hidden && this.bulk.contains(document.activeElement)) {
      (this.pending.hidden ? this.search : this.pendingTitle).focus({ preventScroll: true });
    }
    this.bulk.hidden = hide;
    const ticked = this.selected.size;
    setText(this.approveSelected, `Approve selected (${ticked})`);
    setText(this.dismissSelected, `Dismiss selected (${ticked})`);
    setText(this.approveAll, `Approve all (${pending.length})`);
    for (const button of [this.approveSelected, this.dismissSelected]) {
      button.setAttribute("aria-disabled", String(ticked === 0));
    }
  }

  /**
   * `list` in Top's fresh order while the reader is at the top of it; once they scrolled into
   * it, in the order they are reading (new questions last), with a button to re-sort.
   * @param {Question[]} list
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

  /** @param {boolean} empty @param {boolean} roomEmpty @param {boolean} filtered @param {boolean} banned */
  renderEmpty(empty, roomEmpty, filtered, banned) {
    this.empty.hidden = !empty;
    const kind = !empty ? "" : filtered ? "filtered" : roomEmpty || this.view !== "answered" ? "room" : "answered";
    // Rebuilt only when it says something else, so its button keeps the focus across events.
    if (`${kind}|${banned}` === this.emptyKind) return;
    this.emptyKind = `${kind}|${banned}`;
    if (kind === "") return;
    if (kind === "filtered") {
      const all = h("button", { type: "button", class: "secondary small", text: "Show all questions", onclick: () => this.showAll() });
      this.empty.replaceChildren(h("p", { text: "No questions match." }), all);
      return;
    }
    let lines =
      kind === "room"
        ? ["It looks like there are no questions in this room yet.", "Use the form below to ask the first question!"]
        : ["No answered questions yet."];
    // The form is closed to a banned person: no invitation to use it.
    if (banned) lines = lines.slice(0, 1);
    this.empty.replaceChildren(...lines.map((line) => h("p", { text: line })));
  }

  /** @param {Loaded} state */
  renderNow(state) {
    const id = state.room.highlightedQuestionId;
    const question = id ? state.questions.get(id) : null;
    this.now.hidden = !question;
    if (!question) return;
    setText(this.nowText, question.text);
    const edited = editedNote(question);
    setText(this.nowMeta, `asked by ${askerName(question, state.mine.has(question.id))} · ${votes(question.upvotes)}${edited ? ` · ${edited}` : ""}`);
  }

  /** Refresh relative times on every card. @param {number} now */
  tick(now) {
    for (const card of this.cards.values()) card.tick(now);
  }
}
