// @ts-check
/** The origin's REST API: JSON in and out, errors as ApiError with the server's words. */
/** @import { Api } from "./types.js" */

/** A refused or failed request; `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const OFFLINE_MESSAGE = "Could not reach the server. Check your connection and try again.";

/** @typedef {typeof globalThis.fetch} Fetch */

/**
 * `method` `path` with `body` as JSON; resolves with the JSON answer.
 * @param {string} method
 * @param {string} path
 * @param {unknown} body
 * @param {Fetch} fetchImpl
 * @returns {Promise<any>}
 */
async function request(method, path, body, fetchImpl) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: "same-origin" };
  // The server refuses a change without a JSON body or this header, which no other site's page
  // can send without a CORS preflight (docs/protocol.md).
  if (method !== "GET") headers["X-LiveQA"] = "1";
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetchImpl(path, init);
  } catch {
    throw new ApiError(0, "offline", OFFLINE_MESSAGE);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = payload?.error;
    const message = typeof error?.message === "string" ? error.message : `The server answered ${response.status}.`;
    throw new ApiError(response.status, error?.code ?? "http_error", message);
  }
  return payload;
}

/** @param {string} roomId */
export const room = (roomId) => `/api/rooms/${encodeURIComponent(roomId)}`;

/**
 * REST calls of the app; `fetchImpl` is replaceable for tests.
 * @param {Fetch} fetchImpl
 * @returns {Api}
 */
export function makeApi(fetchImpl = globalThis.fetch.bind(globalThis)) {
  /** @type {Api["call"]} */
  const call = (method, path, body) => request(method, path, body, fetchImpl);
  return {
    /** The participant behind this browser's cookie, created on first use. */
    session: () => call("POST", "/api/session"),
    /** Change my display name everywhere. */
    rename: (displayName) => call("PATCH", "/api/me", { displayName }),
    /** Create a room; resolves with {room, hostKey, hostLink}. */
    createRoom: (roomId, displayName, themeColor) =>
      call("POST", "/api/rooms", { roomId, displayName, themeColor }),
    /** The room snapshot {room, questions, seq, me}. */
    room: (roomId) => call("GET", room(roomId)),
    /** Become a host of the room with its host key. */
    becomeHost: (roomId, hostKey) => call("POST", `${room(roomId)}/hosts`, { hostKey }),
    /** Any other request, for modules loaded on demand (see hostapi.js). */
    call,
  };
}

/**
 * Where hosts download the room's questions.
 * @param {string} roomId
 * @param {"csv" | "json"} format
 */
export function exportUrl(roomId, format) {
  return `${room(roomId)}/export.${format}`;
}

/**
 * The server-drawn QR code (SVG) that opens the room.
 * @param {string} roomId
 */
export function qrUrl(roomId) {
  return `${room(roomId)}/qr.svg`;
}
