// @ts-check
/** "New Room": shown for a room id nobody uses yet; the creator becomes its host. */

import { h, setText } from "../dom.js";
import { LIMITS, textProblem } from "../validate.js";
import { DEFAULT_THEME_COLOR } from "../contrast.js";
import { field } from "./dialog.js";
import { palette } from "./palette.js";
import { absoluteLink, shareLink } from "./settings.js";
import { loopbackWarning } from "../links.js";
import { roomPath } from "../router.js";
/** @import { ApiError } from "../api.js" */
/** @import { Notice, RoomCreated, RoomPage } from "../types.js" */

/**
 * @typedef {object} Choice
 * @property {string} displayName the room's
 * @property {string} themeColor
 * @property {string | null} myName the creator's new name, null when not asked
 */

/**
 * Render the form into `container`. `needsName` adds a name field; `create({displayName,
 * themeColor, myName})` does the work and rejects with the server's error, which is shown
 * next to the button; `onCancel()` returns to the start page.
 * @param {HTMLElement} container
 * @param {string} roomId
 * @param {{needsName: boolean, myName: string, create: (choice: Choice) => Promise<void>, onCancel: () => void}} options
 */
function renderCreate(container, roomId, { needsName, myName, create, onCancel }) {
  const nameInput = h("input", { type: "text", autocomplete: "nickname", maxlength: LIMITS.displayName * 2 });
  nameInput.value = myName;
  const roomName = h("input", { type: "text", maxlength: LIMITS.roomName * 2 });
  roomName.value = `New Room: ${roomId}`;
  const colours = palette("Pick a theme color for your room.", DEFAULT_THEME_COLOR);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary", text: "Create Room" });
  const form = h(
    "form",
    { class: "panel", novalidate: true },
    h("h1", { text: "New Room" }),
    h("p", { text: "It looks like the room you specified doesn't exist. Let's create it now!" }),
    h("p", {}, "ID of the room to create: ", h("strong", { text: roomId })),
    needsName ? field("Enter your name:", nameInput, `1-${LIMITS.displayName} characters.`) : null,
    field("Pick a friendly name for your room.", roomName),
    colours.element,
    error,
    h(
      "div",
      { class: "form-actions" },
      submit,
      h("span", { text: "or" }),
      h("a", { href: "/", class: "button-link", text: "Return to Top", onclick: (/** @type {MouseEvent} */ event) => { event.preventDefault(); onCancel(); } }),
    ),
  );
  /**
   * @param {string} message
   * @param {HTMLElement} [input]
   */
  const fail = (message, input) => {
    setText(error, message);
    error.hidden = false;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  };
  form.addEventListener("submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    error.hidden = true;
    for (const input of [nameInput, roomName]) input.removeAttribute("aria-invalid");
    if (needsName) {
      const problem = textProblem(nameInput.value, "Your name", LIMITS.displayName);
      if (problem) return fail(problem, nameInput);
    }
    const problem = textProblem(roomName.value, "The room name", LIMITS.roomName);
    if (problem) return fail(problem, roomName);
    submit.disabled = true;
    try {
      await create({
        displayName: roomName.value.trim(),
        themeColor: colours.value(),
        myName: needsName ? nameInput.value.trim() : null,
      });
    } catch (failure) {
      fail(/** @type {Error} */ (failure).message);
    } finally {
      submit.disabled = false;
    }
  });
  container.replaceChildren(h("main", { id: "main", class: "page" }, form));
  (needsName ? nameInput : roomName).focus();
}

/**
 * The room page `page` found no room: offer to create it; once made (or made by someone else
 * meanwhile) the page connects, with `notice(title, ...body)` blocks saying what happened.
 * @param {RoomPage} page
 * @param {Notice} notice
 */
export function offerCreate(page, notice) {
  const { app, roomId } = page;
  renderCreate(page.container, roomId, {
    needsName: !app.isNamed(),
    myName: app.cachedName(),
    onCancel: () => app.navigate("/"),
    create: async ({ displayName, themeColor, myName }) => {
      if (myName !== null) {
        if (myName !== app.cachedName()) await app.rename(myName);
        app.markNamed();
      }
      try {
        const created = await app.api.createRoom(roomId, displayName, themeColor);
        page.notices.push(createdNotice(created, roomId, notice));
      } catch (error) {
        if (/** @type {ApiError} */ (error).status !== 409) throw error;
        page.notices.push(notice("Someone was quicker", h("p", { text: "This room was created by someone else a moment ago; you joined it as an attendee." })));
      }
      if (page.alive) page.connect();
    },
  });
}

/**
 * What the creator sees once the room is made.
 * @param {RoomCreated} created
 * @param {string} roomId
 * @param {Notice} notice
 */
function createdNotice(created, roomId, notice) {
  return notice(
    "Your room is ready",
    h("p", { text: "You are its owner. Share the host link with co-hosts only; attendees join with the room link." }),
    shareLink("Host link", absoluteLink(created.hostLink, created.joinUrl)).element,
    shareLink("Link for attendees", created.joinUrl ?? absoluteLink(roomPath(roomId))).element,
    loopbackWarning(created.joinUrl),
  );
}
