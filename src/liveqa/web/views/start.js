// @ts-check
/** The start page: pick a name and a room, optionally as host with the room's host key. */

import { h, setText } from "../dom.js";
import { LIMITS, normalizeRoomId, roomIdProblems, textProblem } from "../validate.js";
import { roomPath } from "../router.js";
import { relativeTime } from "../reltime.js";
import { field } from "./dialog.js";
/** @import { ApiError } from "../api.js" */
/** @import { App, HostedRoom } from "../types.js" */

/** @type {Record<string, string>} */
const STATE_NAMES = { open: "open", voting: "voting only", closed: "closed" };

/** @param {string} id */
function errorList(id) {
  return h("ul", { class: "error", id, role: "alert", hidden: true });
}

/**
 * @param {HTMLElement} list
 * @param {HTMLElement} input
 * @param {string[]} messages
 */
function showErrors(list, input, messages) {
  list.replaceChildren(...messages.map((message) => h("li", { text: message })));
  list.hidden = messages.length === 0;
  if (messages.length) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

/**
 * "Your rooms": the rooms this participant hosts, each a link in; null when there are none.
 * @param {App} app
 */
async function yourRooms(app) {
  /** @type {HostedRoom[]} */
  let rooms;
  try {
    ({ rooms } = await app.api.call("GET", "/api/me/rooms"));
  } catch {
    return null;
  }
  if (rooms.length === 0) return null;
  const now = Date.now();
  const items = rooms.map((room) => {
    const path = roomPath(room.roomId);
    const link = h("a", { href: path, dir: "auto", text: room.displayName });
    link.addEventListener("click", (/** @type {MouseEvent} */ event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      app.navigate(path);
    });
    const details = [
      room.roomId,
      STATE_NAMES[room.state] ?? room.state,
      room.questions === 1 ? "1 question" : `${room.questions} questions`,
      room.role === "owner" ? "owner" : "co-host",
      `active ${relativeTime(Date.parse(room.lastActivity), now)}`,
    ];
    return h("li", {}, link, h("p", { class: "hint", text: details.join(" · ") }));
  });
  return h("section", { class: "panel", "aria-labelledby": "your-rooms" }, h("h2", { id: "your-rooms", text: "Your rooms" }), h("ul", {}, items));
}

/**
 * Whether no room has the id `roomId` yet (false when that cannot be told).
 * @param {App} app
 * @param {string} roomId
 */
function isNewRoom(app, roomId) {
  return app.api.room(roomId).then(
    () => false,
    (/** @type {ApiError} */ error) => error.status === 404,
  );
}

/**
 * Render into `container`. `app` gives api, participant(), markNamed(), navigate();
 * `initial` may prefill the room id and show why it was refused.
 * @param {HTMLElement} container
 * @param {App} app
 * @param {{roomId?: string, problems?: string[]}} initial
 */
export function renderStart(container, app, initial = {}) {
  const name = h("input", { type: "text", autocomplete: "nickname", maxlength: LIMITS.displayName * 2, "aria-describedby": "name-errors" });
  const room = h("input", {
    type: "text",
    autocomplete: "off",
    autocapitalize: "none",
    spellcheck: "false",
    "aria-describedby": "room-hint room-errors",
  });
  const asHost = h("input", { type: "checkbox", id: "as-host" });
  const hostKey = h("input", { type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false", "aria-describedby": "key-errors" });
  const nameErrors = errorList("name-errors");
  const roomErrors = errorList("room-errors");
  const keyErrors = errorList("key-errors");
  const formError = h("p", { class: "error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary", text: "Enter Room" });
  const keyField = h("div", { hidden: true }, field("Host key:", hostKey), keyErrors);

  const roomField = field("Enter the ID of the room that you want to join.", room);
  roomField.append(
    h("p", {
      class: "hint",
      id: "room-hint",
      text: "3-16 characters: lowercase letters, numbers, - _ and dots. A new ID creates the room.",
    }),
    roomErrors,
  );
  const form = h(
    "form",
    { class: "panel", novalidate: true },
    h("h1", { text: "Welcome to Interactive Audience Questions!" }),
    h("p", { class: "lead", text: "It's easy to get started!" }),
    field("Enter your name:", name),
    nameErrors,
    roomField,
    h("label", { class: "check", for: "as-host" }, asHost, " Join as Host"),
    keyField,
    formError,
    h("div", { class: "form-actions" }, submit),
  );
  const main = h("main", { id: "main", class: "page" }, form);
  container.replaceChildren(main);

  room.value = initial.roomId ?? "";
  if (initial.problems?.length) showErrors(roomErrors, room, initial.problems);
  asHost.addEventListener("change", () => {
    keyField.hidden = !asHost.checked;
    if (asHost.checked) hostKey.focus();
  });
  room.addEventListener("blur", () => {
    room.value = normalizeRoomId(room.value);
  });
  app.participant().then(
    (me) => {
      // A name the server made up ("Guest 1234") is only a hint until the person picks one.
      if (app.isNamed()) name.value ||= me.displayName;
      else name.placeholder = me.displayName;
      yourRooms(app).then((section) => section && main.append(section));
    },
    (/** @type {Error} */ error) => {
      setText(formError, error.message);
      formError.hidden = false;
    },
  );
  (initial.roomId ? room : name).focus();

  form.addEventListener("submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    formError.hidden = true;
    room.value = normalizeRoomId(room.value);
    const roomId = room.value;
    const nameProblem = textProblem(name.value, "Your name", LIMITS.displayName);
    const roomProblems = roomIdProblems(roomId);
    // A room nobody made yet has no key: its creator becomes its host without one.
    const keyNeeded = asHost.checked && hostKey.value.trim() === "" && roomProblems.length === 0 && !(await isNewRoom(app, roomId));
    const keyProblems = keyNeeded ? ["Enter the room's host key, or untick Join as Host."] : [];
    showErrors(nameErrors, name, nameProblem ? [nameProblem] : []);
    showErrors(roomErrors, room, roomProblems);
    showErrors(keyErrors, hostKey, keyProblems);
    const firstBad = [nameProblem && name, roomProblems.length && room, keyProblems.length && hostKey].find(Boolean);
    if (firstBad) {
      firstBad.focus();
      return;
    }
    submit.disabled = true;
    try {
      const me = await app.participant();
      const wanted = name.value.trim();
      if (wanted !== me.displayName) {
        try {
          await app.rename(wanted);
        } catch (failure) {
          const error = /** @type {ApiError} */ (failure);
          showErrors(nameErrors, name, [error.message]);
          name.focus();
          return;
        }
      }
      app.markNamed();
      if (asHost.checked && hostKey.value.trim() !== "") {
        try {
          await app.api.becomeHost(roomId, hostKey.value.trim());
        } catch (failure) {
          const error = /** @type {ApiError} */ (failure);
          // An unknown room is fine: it is created next, and its creator is its host.
          if (error.status !== 404) {
            const text = error.status === 403 ? "That host key does not open this room." : error.message;
            showErrors(keyErrors, hostKey, [text]);
            hostKey.focus();
            return;
          }
        }
      }
      app.navigate(roomPath(roomId));
    } catch (error) {
      setText(formError, /** @type {Error} */ (error).message);
      formError.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return () => {};
}
