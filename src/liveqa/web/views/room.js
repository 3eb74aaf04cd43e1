// @ts-check
/**
 * The room route: join (host link, name prompt), create an unknown room, then keep the board
 * in step with the server and turn clicks into messages.
 */

import { h } from "../dom.js";
import { roomIdProblems } from "../validate.js";
import { hostKeyFromHash } from "../router.js";
import { applyTheme } from "../contrast.js";
import { RoomSync } from "../sync.js";
import { sentence } from "../words.js";
import { announcements, personalNews } from "../announce.js";
import { RoomBoard } from "./board.js";
import { batches } from "../batch.js";
/** @import { ApiError, App, Child, Loaded, Me, QuestionCard, RoomEvent, ServerError, State, Status, StatusDetail, Timer } from "../types.js" */

const TICK_MS = 10_000;

// Screens and dialogs most attendees never open load on demand, keeping the first load small.
const loaders = {
  start: () => import("./start.js"),
  create: () => import("./create.js"),
  reply: () => import("./reply.js"),
  remove: () => import("./remove.js"),
  edit: () => import("./edit.js"),
  ban: () => import("./ban.js"),
  rename: () => import("./rename.js"),
  settings: () => import("./settings.js"),
};

/**
 * Mount the room `roomId` into `container`; returns the function that leaves it.
 * @param {HTMLElement} container @param {App} app @param {string} roomId
 */
export function mountRoom(container, app, roomId) {
  const problems = roomIdProblems(roomId);
  if (problems.length > 0) {
    loaders.start().then(({ renderStart }) => renderStart(container, app, { roomId, problems }));
    return () => {};
  }
  const page = new RoomPage(container, app, roomId);
  page.load();
  return () => page.leave();
}

function closeDialogs() {
  for (const dialog of document.querySelectorAll("dialog")) dialog.close();
}

/** @param {string} text @param {...Child} extra */
function message(text, ...extra) {
  return h("main", { id: "main", class: "page" }, h("div", { class: "panel" }, h("h1", { text }), extra));
}

/** A dismissible notice block; a null or false part of `body` is left out. @param {string} title @param {...Child} body */
function notice(title, ...body) {
  const element = h(
    "section",
    { class: "notice", role: "region", "aria-label": title },
    h("h2", { text: title }),
    body,
    h("button", { type: "button", class: "secondary small", text: "Dismiss", onclick: () => element.remove() }),
  );
  return element;
}

class RoomPage {
  /** @param {HTMLElement} container @param {App} app @param {string} roomId */
  constructor(container, app, roomId) {
    this.container = container;
    this.app = app;
    this.roomId = roomId;
    this.alive = true;
    // Made by connect(), before anything but leave() reads it.
    /** @type {RoomSync} */
    this.sync = /** @type {any} */ (null);
    /** @type {RoomBoard | null} */
    this.board = null;
    /** @type {Timer[]} */
    this.timers = [];
    this.renderQueued = false;
    /** @type {(() => void)[]} */
    this.listeners = [];
    // Questions this page deleted: their deletion is no news to tell me about.
    /** @type {Set<string>} */
    this.deletedByMe = new Set();
    /** @type {HTMLElement[]} */
    this.notices = [];
    this.wasHost = false;
    /** @type {boolean | undefined} */
    this.wasBanned = undefined;
  }

  async load() {
    const { app, roomId } = this;
    this.container.replaceChildren(message("Loading the room…"));
    this.notices = [];
    try {
      await app.participant();
      const key = hostKeyFromHash(location.hash);
      if (key) {
        // The key is in the fragment so servers never log it; drop it from the address bar too.
        history.replaceState(history.state, "", location.pathname + location.search);
        try {
          await app.api.becomeHost(roomId, key);
        } catch (caught) {
          const error = /** @type {ApiError} */ (caught);
          if (error.status === 403) {
            this.notices.push(notice("This host link no longer works", h("p", { text: "The host key may have been rotated. You are in the room as an attendee." })));
          } else if (error.status !== 404) {
            throw error;
          }
        }
      }
    } catch (error) {
      if (this.alive) this.failed(/** @type {Error} */ (error));
      return;
    }
    if (this.alive) this.connect();
  }

  /** @param {Error} error */
  failed(error) {
    const retry = h("button", { type: "button", class: "primary", text: "Try again", onclick: () => this.load() });
    this.container.replaceChildren(message(`The room could not be loaded. ${sentence(error.message)}`, retry));
  }

  /** Open the room's socket; the board appears with the first snapshot. */
  connect() {
    this.sync = new RoomSync(this.roomId, {
      api: this.app.api,
      onChange: (state) => (this.board ? this.scheduleRender() : this.show(state)),
      onStatus: (status, detail) => this.status(status, detail),
      onEvent: (event, state, before) => {
        // My own news replaces what everyone hears; the notice itself is read out.
        const mine = personalNews(event, state, before, this.deletedByMe);
        for (const text of mine) this.board?.toast(text);
        if (mine.length > 0) return;
        for (const text of announcements(event, state, before)) this.app.announcer.say(text);
      },
      onProblem: () => (this.board ? this.gone() : this.offerCreate()),
    });
    this.sync.start();
  }

  /** @param {Status} status @param {StatusDetail} detail */
  status(status, detail) {
    if (this.board) this.board.status.update(status, detail, this.sync.realtime.unsent);
    else if (status === "reconnecting") {
      const retry = h("button", { type: "button", class: "primary", text: "Try again", onclick: () => this.sync.realtime.retryNow() });
      this.container.replaceChildren(message("Still trying to reach the room…", retry));
      // Meanwhile the room itself, from a snapshot; its banner says it is reconnecting.
      this.sync.resync();
    }
  }

  async offerCreate() {
    const { offerCreate } = await loaders.create();
    if (this.alive) offerCreate(this, notice);
  }

  /** @param {State} state */
  show(state) {
    const { app, roomId } = this;
    const announce = (/** @type {string} */ text) => app.announcer.say(text);
    const board = new RoomBoard(roomId, {
      exit: () => app.navigate("/"),
      rename: () => this.rename(),
      settings: () => this.settings(),
      retry: () => this.sync.realtime.retryNow(),
      send: (msg) => this.send(msg),
      announce,
      vote: (q, up, card) => this.perform({ type: "QUESTION_UPVOTE", questionId: q.id, removeUpvote: !up }, card, "Your vote was not counted"),
      reply: (q, card) =>
        this.withModule(loaders.reply, card, ({ openReply }) =>
          openReply(q, { mine: this.sync.state.mine.has(q.id), send: (msg) => this.send(msg) }),
        ),
      remove: (q, card) =>
        this.withModule(loaders.remove, card, ({ openRemove }) =>
          openRemove(q, { mine: this.sync.state.mine.has(q.id), send: (msg) => this.send(msg) }),
        ),
      highlight: (q, on, card) =>
        this.perform({ type: "QUESTION_HIGHLIGHT", questionId: on ? q.id : null }, card, "Not highlighted"),
      approve: (q, card) => this.perform({ type: "QUESTION_APPROVE", questionId: q.id }, card, "Not approved"),
      dismiss: (q, card) => this.perform({ type: "QUESTION_DELETE", questionId: q.id }, card, "Not dismissed"),
      mark: (q, answered, card) =>
        this.perform({ type: "QUESTION_MARK_ANSWERED", questionId: q.id, answered }, card, answered ? "Not marked answered" : "Not reopened"),
      approveMany: (ids) => this.bulk("QUESTIONS_APPROVE", ids, "approved"),
      dismissMany: (ids) =>
        this.withModule(loaders.remove, null, ({ openDismissMany }) =>
          openDismissMany(ids.length, () => this.bulk("QUESTIONS_DISMISS", ids, "dismissed")),
        ),
      edit: (q, card) =>
        this.withModule(loaders.edit, card, ({ openEdit }) =>
          openEdit(q, { isHost: Boolean(this.sync.state.me?.isHost), send: (msg) => this.send(msg) }),
        ),
      ban: (q, card) =>
        this.withModule(loaders.ban, card, ({ openBan }) =>
          openBan(q, { mine: this.sync.state.mine.has(q.id), send: (msg) => this.send(msg) }),
        ),
    });
    this.board = board;
    for (const node of this.notices) board.notice(node);
    this.container.replaceChildren(board.element);
    this.status(this.sync.realtime.status, {});
    // Its name first; Tab then reaches the skip link.
    board.roomName.focus({ preventScroll: true });
    this.render();
    board.composer.resume();
    this.timers.push(setInterval(() => board.tick(Date.now()), TICK_MS));
    this.listen(window, "online", () => this.sync.realtime.retryNow());
    this.listen(document, "visibilitychange", () => {
      if (document.visibilityState === "visible") this.sync.realtime.retryNow();
    });
    if (!app.isNamed()) loaders.rename().then(({ welcome }) => this.alive && welcome(this, notice), () => {});
    // Hosts will need their tools, so fetch them while the network is there.
    if (state.me?.isHost) for (const name of /** @type {const} */ (["reply", "remove", "edit", "ban", "rename", "settings"])) loaders[name]().catch(() => {});
  }

  /** @param {EventTarget} target @param {string} type @param {() => void} handler */
  listen(target, type, handler) {
    target.addEventListener(type, handler);
    this.listeners.push(() => target.removeEventListener(type, handler));
  }

  /**
   * Run `use(module)` once `load()` has fetched it; offline, say so next to the cause.
   * @template M @param {() => Promise<M>} load @param {QuestionCard | null} card @param {(module: M) => void} use
   */
  async withModule(load, card, use) {
    let module;
    try {
      module = await load();
    } catch {
      const text = "This needs the server, which cannot be reached now. Try again when back online.";
      if (card?.root.isConnected) card.showError(text);
      this.app.announcer.say(text);
      return;
    }
    if (this.alive) use(module);
  }

  /**
   * Send a message; errors come back as exceptions carrying the server's words.
   * @param {RoomEvent} msg @returns {Promise<RoomEvent>}
   */
  async send(msg) {
    if (msg.type === "QUESTION_DELETE") this.deletedByMe.add(msg.questionId);
    try {
      return await this.sync.send(msg);
    } catch (caught) {
      const error = /** @type {ServerError} */ (caught);
      // A delete resent after a reconnect finds the question already gone: that is success.
      if (msg.type === "QUESTION_DELETE" && error.code === "unknown_question") return /** @type {RoomEvent} */ ({});
      throw new Error(sentence(error.message));
    }
  }

  /**
   * Approve or dismiss `ids` in messages the server takes; says how many it changed.
   * @param {string} type @param {string[]} ids @param {string} verb
   */
  async bulk(type, ids, verb) {
    let count = 0;
    for (const questionIds of batches(ids)) {
      const ack = await this.send({ type, questionIds });
      count += ack.questionIds?.length ?? 0;
    }
    this.app.announcer.say(`${count} ${count === 1 ? "question" : "questions"} ${verb}.`);
  }

  /**
   * Send a message for a card; a refusal is shown on that card.
   * @param {RoomEvent} msg @param {QuestionCard} card @param {string} failure
   */
  async perform(msg, card, failure) {
    try {
      await this.send(msg);
    } catch (error) {
      const text = `${failure}: ${/** @type {Error} */ (error).message}`;
      if (card?.root.isConnected) card.showError(text);
      this.app.announcer.say(text);
    }
  }

  rename() {
    const me = this.sync.state.me;
    this.withModule(loaders.rename, null, ({ openRename }) =>
      openRename(me?.displayName ?? this.app.cachedName(), (name) => this.app.rename(name)),
    );
  }

  settings() {
    // Only a host of a loaded room has the settings button.
    const { room, me } = /** @type {Loaded & {me: Me}} */ (this.sync.state);
    this.withModule(loaders.settings, null, ({ openSettings }) =>
      openSettings(room, me, {
        send: (msg) => this.send(msg),
        api: this.app.api,
        joinUrl: this.sync.state.joinUrl,
        rules: this.sync.state.rules,
      }),
    );
  }

  /** I lost host rights here: the server closed my host socket, and this snapshot says so. */
  revoked() {
    closeDialogs();
    const text = "You are no longer a host";
    this.board?.notice(notice(text));
    this.app.announcer.say(text);
  }

  gone() {
    if (!this.alive) return;
    closeDialogs();
    const back = h("a", { href: "/", class: "button-link", text: "Back to the start page" });
    back.addEventListener("click", (/** @type {Event} */ event) => {
      event.preventDefault();
      this.app.navigate("/");
    });
    this.container.replaceChildren(message("This room was deleted.", back));
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    // Coalesce bursts of events into one render per frame (timeout when frames are paused).
    const run = () => {
      if (!this.renderQueued) return;
      this.renderQueued = false;
      this.render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 250);
  }

  render() {
    if (!this.alive || !this.board) return;
    // The board is shown with the first snapshot, so the room is loaded.
    const state = /** @type {Loaded} */ (this.sync.state);
    const isHost = Boolean(state.me?.isHost);
    if (this.wasHost && !isHost) this.revoked();
    this.wasHost = isHost;
    // The banned notice is on screen; screen reader users hear the change as it happens.
    const banned = Boolean(state.me?.banned);
    if (this.wasBanned !== undefined && banned !== this.wasBanned) {
      this.app.announcer.say(banned ? "A host has banned you from this room." : "A host lifted your ban: you can ask and vote again.");
    }
    this.wasBanned = banned;
    applyTheme(state.room.themeColor);
    document.title = `${state.room.displayName} · Interactive Question & Answer`;
    this.board.render(state);
  }

  leave() {
    this.alive = false;
    this.sync?.stop();
    this.board?.status.dispose();
    for (const timer of this.timers) clearInterval(timer);
    for (const remove of this.listeners) remove();
    closeDialogs();
  }
}
