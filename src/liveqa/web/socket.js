// @ts-check
/**
 * The room's WebSocket: reconnects with exponential backoff and "equal jitter", so a restarted
 * server is not stampeded, and keeps every message in an outbox until the server answers it
 * with ACK or ERROR, resending what a lost connection ate.
 */
/** @import { Deps, Entry, Handlers, ServerMessage, Status, StatusDetail, Timer } from "./types.js" */

export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;

/**
 * Delay before reconnect attempt number `attempt` (0-based): between half and all of
 * min(cap, base * 2^attempt).
 * @param {number} attempt
 * @param {{base?: number, cap?: number, random?: () => number}} [options]
 */
export function backoffDelay(attempt, { base = BASE_DELAY_MS, cap = MAX_DELAY_MS, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const CONNECT_TIMEOUT_MS = 10_000;
// The server sends a `{}` keep-alive after 25 s of quiet; this much silence means a dead link
// (a laptop woke up, the network changed) that the browser has not noticed yet.
const SILENCE_MS = 75_000;
// A connection that stayed up this long was healthy: the next failure starts backoff afresh.
const STABLE_MS = 5_000;
// The server failed a message without storing it (its database restarting, say): sent again,
// as it is (posts carry a nonce, other messages set a state), after 1, 2, 4, 8 and 16 s.
const RETRIED_ERRORS = new Set(["internal_error"]);
const MAX_RETRIES = 5;
const RETRY_BASE_MS = 1_000;

/** An ERROR reply from the server: `code` is stable, `message` is for people. */
export class ServerError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * `ws://` or `wss://` URL of the room's socket on the page's own host; `view` "present" marks
 * a projector's socket, which the attendee count leaves out.
 * @param {{protocol: string, host: string}} location
 * @param {string} roomId
 * @param {string | null} view
 */
export function socketUrl(location, roomId, view = null) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/api/websocket?roomId=${encodeURIComponent(roomId)}`;
  return view ? `${url}&view=${encodeURIComponent(view)}` : url;
}

export class Realtime {
  /**
   * `handlers`: onEvent(message) for everything but replies, onOpen() after each connect,
   * onStatus(status, detail) with status "connecting" | "open" | "reconnecting" | "stopped",
   * onClose(code, reason) when a connection ends.
   * @param {string} url
   * @param {Handlers} handlers
   * @param {Deps} deps
   */
  constructor(url, handlers = {}, deps = {}) {
    this.url = url;
    this.handlers = handlers;
    this.WebSocket = deps.WebSocket ?? globalThis.WebSocket;
    this.setTimeout = deps.setTimeout ?? globalThis.setTimeout.bind(globalThis);
    this.clearTimeout = deps.clearTimeout ?? globalThis.clearTimeout.bind(globalThis);
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.refPrefix = deps.refPrefix ?? `c${Math.floor(this.random() * 1e6).toString(36)}-`;
    /** @type {Status} */
    this.status = "stopped";
    /** @type {WebSocket | null} */
    this.socket = null;
    this.attempt = 0;
    /** @type {Timer | null} */
    this.timer = null;
    /** @type {Timer | null} */
    this.silence = null;
    this.openedAt = 0;
    this.counter = 0;
    /** @type {Map<string, Entry>} */
    this.outbox = new Map();
  }

  /** Connect, and keep reconnecting until stop(). */
  start() {
    if (this.status !== "stopped") return;
    this.setStatus("connecting");
    this.connect();
  }

  /** Close for good; unanswered messages stay in the outbox. */
  stop() {
    this.setStatus("stopped");
    this.clearTimer();
    if (this.silence !== null) this.clearTimeout(this.silence);
    this.silence = null;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, "leaving");
    }
  }

  /** Skip the wait before the next attempt (the network is back, the user asked). */
  retryNow() {
    if (this.status !== "reconnecting" || this.socket) return;
    this.clearTimer();
    this.connect();
  }

  /** Close the current connection and open a new one (e.g. after becoming host). */
  reconnect() {
    if (this.status === "stopped") return;
    this.attempt = 0;
    if (this.socket) this.socket.close(1000, "reconnecting");
    else this.retryNow();
  }

  /**
   * Send `message` now or as soon as connected; resolves with the ACK, rejects with a
   * ServerError. Messages still unanswered when a connection drops are sent again.
   * @param {object} message
   * @returns {Promise<ServerMessage>}
   */
  send(message) {
    this.counter += 1;
    const ref = `${this.refPrefix}${this.counter}`;
    const data = JSON.stringify({ ...message, ref });
    return new Promise((resolve, reject) => {
      this.outbox.set(ref, { data, resolve, reject, retries: 0, retry: null });
      this.transmit(data);
    });
  }

  /**
   * Send `data` on the open connection, if any; what is not sent goes with the next one.
   * @param {string} data
   */
  transmit(data) {
    // onClose runs while the status still says "open" but the connection is gone.
    if (this.status === "open" && this.socket) this.socket.send(data);
  }

  /** Number of messages not yet answered by the server. */
  get unsent() {
    return this.outbox.size;
  }

  /**
   * @param {Status} status
   * @param {StatusDetail} detail
   */
  setStatus(status, detail = {}) {
    this.status = status;
    this.handlers.onStatus?.(status, detail);
  }

  clearTimer() {
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
  }

  connect() {
    this.timer = null;
    let socket;
    try {
      socket = new this.WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.timer = this.setTimeout(() => this.abandon(socket, 4000, "connect timeout"), CONNECT_TIMEOUT_MS);
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (event) => this.received(socket, event.data);
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
  }

  /** @param {WebSocket} socket */
  opened(socket) {
    if (socket !== this.socket) return;
    this.clearTimer();
    this.watch(socket);
    this.openedAt = this.now();
    this.setStatus("open");
    this.handlers.onOpen?.();
    // A message waiting to be retried goes when its timer says, not twice.
    for (const entry of this.outbox.values()) if (entry.retry === null) socket.send(entry.data);
  }

  /**
   * Send `entry` again after a backoff, on whatever connection is open then.
   * @param {Entry} entry
   */
  retryLater(entry) {
    const delay = RETRY_BASE_MS * 2 ** entry.retries;
    entry.retries += 1;
    entry.retry = this.setTimeout(() => {
      entry.retry = null;
      this.transmit(entry.data);
    }, delay);
  }

  /**
   * Give up on `socket` now: a dead link may take minutes to report its own close.
   * @param {WebSocket} socket
   * @param {number} code
   * @param {string} reason
   */
  abandon(socket, code, reason) {
    socket.close(code, reason);
    this.closed(socket, code, reason);
  }

  /**
   * (Re)start the silence watchdog of `socket`.
   * @param {WebSocket} socket
   */
  watch(socket) {
    if (this.silence !== null) this.clearTimeout(this.silence);
    this.silence = this.setTimeout(() => this.abandon(socket, 4001, "silent"), SILENCE_MS);
  }

  /**
   * @param {WebSocket} socket
   * @param {unknown} data
   */
  received(socket, data) {
    if (socket !== this.socket) return;
    this.watch(socket);
    if (typeof data !== "string") return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    // Keep-alives (`{}`) and anything else without a type carry nothing for us.
    if (!message || typeof message !== "object" || typeof message.type !== "string") return;
    const reply = message.type === "ACK" || message.type === "ERROR";
    const entry = reply ? this.outbox.get(message.ref) : undefined;
    if (entry) {
      if (message.type === "ERROR" && RETRIED_ERRORS.has(message.code) && entry.retries < MAX_RETRIES) {
        this.retryLater(entry);
        return;
      }
      this.outbox.delete(message.ref);
      if (message.type === "ACK") entry.resolve(message);
      else entry.reject(new ServerError(message.code, message.message));
      return;
    }
    this.handlers.onEvent?.(message);
  }

  /**
   * @param {WebSocket} socket
   * @param {number} code
   * @param {string} reason
   */
  closed(socket, code, reason) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.clearTimer();
    if (this.silence !== null) this.clearTimeout(this.silence);
    this.silence = null;
    if (this.status === "stopped") return;
    if (this.openedAt && this.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    this.openedAt = 0;
    this.handlers.onClose?.(code, reason);
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt, { random: this.random });
    this.attempt += 1;
    this.setStatus("reconnecting", { delay, attempt: this.attempt });
    this.timer = this.setTimeout(() => this.connect(), delay);
  }
}
