// @ts-check
/**
 * Keeps a room's state in step with the server: a snapshot after every (re)connect, events in
 * `seq` order, a fresh snapshot whenever one was missed, and my messages sent through the socket.
 * The socket opens first and the snapshot follows, so no event falls between the two.
 */

import { emptyState, fromSnapshot, applyEvent, applyAck } from "./state.js";
import { Realtime, socketUrl } from "./socket.js";
/** @import { ApiError, Handlers, Loaded, RoomEvent, State, SyncDeps, SyncOptions, Timer } from "./types.js" */

const RETRY_SNAPSHOT_MS = 2_000;
// How long events after a gap wait for the missing ones before a snapshot is fetched: the edge
// delivers an event that was late at once, out of order, and it usually fills the gap.
const GAP_GRACE_MS = 1_000;
// Close codes of a refused socket: 4000 + the HTTP status of the same refusal.
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;
// Sent to my sockets when I become a host (here or in another tab): only a socket opened since
// then gets the hosts' events, so this one reconnects.
const HOST_GRANTED = "HOST_GRANTED_SELF";
// Sent to my sockets when a host bans me from a room or lifts the ban: the snapshot says which.
const BANNED = "BANNED_SELF";

export class RoomSync {
  /**
   * `api`: the REST client; `onChange(state)` after every change; `onStatus(status, detail)`
   * for the connection; `onEvent(event, state)` for each applied event (announcements);
   * `onProblem(error)` when the room does not exist (the snapshot answered 404); `view`:
   * "present" for a projector, which does not count as an attendee.
   * @param {string} roomId @param {SyncOptions} options @param {SyncDeps} [deps]
   */
  constructor(roomId, { api, onChange, onStatus, onEvent, onProblem, view = null }, deps = {}) {
    this.roomId = roomId;
    this.api = api;
    this.onChange = onChange ?? (() => {});
    this.onEvent = onEvent ?? (() => {});
    this.onProblem = onProblem ?? (() => {});
    this.setTimeout = deps.setTimeout ?? globalThis.setTimeout.bind(globalThis);
    this.clearTimeout = deps.clearTimeout ?? globalThis.clearTimeout.bind(globalThis);
    this.state = emptyState();
    /** @type {Promise<void> | null} */
    this.syncing = null;
    this.again = false;
    /** @type {RoomEvent[]} */
    this.buffer = [];
    // Events after a gap, waiting up to GAP_GRACE_MS for the missing ones.
    /** @type {RoomEvent[]} */
    this.held = [];
    /** @type {Timer | null} */
    this.gapTimer = null;
    this.stopped = false;
    this.realtime = (deps.makeRealtime ?? defaultRealtime)(socketUrl(deps.location ?? globalThis.location, roomId, view), {
      onOpen: () => this.resync(),
      onEvent: (event) => this.received(event),
      onStatus: (status, detail) => onStatus?.(status, detail),
      onClose: (code) => this.closed(code),
    });
  }

  /** Connect; the first snapshot comes once connected (`onChange` then has a room). */
  start() {
    this.realtime.start();
  }

  /** Disconnect for good. */
  stop() {
    this.stopped = true;
    this.realtime.stop();
  }

  /** Send an intent; resolves with the ACK or rejects with the server's error. @param {RoomEvent} message */
  async send(message) {
    const ack = await this.realtime.send(message);
    if (!this.stopped) this.setState(applyAck(this.state, message, ack));
    return ack;
  }

  /** Fetch a snapshot, then replay the events that came meanwhile. */
  async resync() {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.buffer = this.takeHeld();
    this.syncing = this.fetchSnapshot();
    try {
      await this.syncing;
    } finally {
      this.syncing = null;
    }
    if (this.again && !this.stopped) {
      this.again = false;
      await this.resync();
    }
  }

  async fetchSnapshot() {
    let snapshot;
    for (;;) {
      if (this.stopped) return;
      try {
        snapshot = await this.api.room(this.roomId);
        break;
      } catch (caught) {
        const error = /** @type {ApiError} */ (caught);
        if (error.status === 401) {
          await this.renewSession();
        } else if (error.status === 404) {
          this.onProblem(error);
          this.stop();
          return;
        } else {
          await this.pause();
        }
      }
    }
    if (this.stopped) return;
    let state = fromSnapshot(this.state, snapshot);
    const buffered = this.buffer;
    this.buffer = [];
    for (const event of buffered) {
      const result = applyEvent(state, event);
      if (result.gap) {
        this.again = true;
        break;
      }
      state = result.state;
    }
    this.setState(state);
  }

  /** @returns {Promise<void>} */
  pause() {
    return new Promise((resolve) => this.setTimeout(resolve, RETRY_SNAPSHOT_MS));
  }

  async renewSession() {
    try {
      await this.api.session();
    } catch {
      await this.pause();
    }
  }

  /** @param {number} code */
  closed(code) {
    // The next attempt needs a valid cookie; a vanished room shows up in the snapshot (404).
    if (code === CLOSE_UNAUTHENTICATED) this.renewSession();
    else if (code === CLOSE_NOT_FOUND) this.resync();
  }

  /** @param {RoomEvent} event */
  received(event) {
    if (this.stopped) return;
    if (event.type === HOST_GRANTED) {
      if (event.roomId === this.roomId) this.realtime.reconnect();
      return;
    }
    if (event.type === BANNED) {
      if (event.roomId === this.roomId) this.resync();
      return;
    }
    if (this.syncing) {
      this.buffer.push(event);
      return;
    }
    const { state, gap } = applyEvent(this.state, event);
    if (gap) {
      this.held.push(event);
      this.gapTimer ??= this.setTimeout(() => {
        this.gapTimer = null;
        this.resync();
      }, GAP_GRACE_MS);
      return;
    }
    this.applied(event, state);
    this.applyHeld();
  }

  /** Apply the held events that now follow on; the wait ends once none is left. */
  applyHeld() {
    // Held events all have a seq: only those can leave a gap.
    this.held.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    while (this.held.length) {
      const [first] = this.held;
      const { state, gap } = applyEvent(this.state, first);
      if (gap) return;
      this.held.shift();
      this.applied(first, state);
    }
    this.takeHeld();
  }

  /** The held events, no longer waited on. */
  takeHeld() {
    if (this.gapTimer !== null) this.clearTimeout(this.gapTimer);
    this.gapTimer = null;
    const held = this.held;
    this.held = [];
    return held;
  }

  /** @param {RoomEvent} event @param {State} state */
  applied(event, state) {
    if (state === this.state) return;
    const before = this.state;
    this.setState(state);
    // An event changes only a loaded room (applyEvent), so both states have one.
    this.onEvent(event, /** @type {Loaded} */ (state), /** @type {Loaded} */ (before));
  }

  /** @param {State} state */
  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onChange(state);
  }
}

/** @param {string} url @param {Handlers} handlers */
function defaultRealtime(url, handlers) {
  return new Realtime(url, handlers);
}
