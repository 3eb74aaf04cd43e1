// @ts-check
/** "Edit User Details": anyone changes their own display name; the welcome that offers it. */

import { h } from "../dom.js";
import { LIMITS, textProblem } from "../validate.js";
import { openDialog, field } from "./dialog.js";
/** @import { Notice, Room, RoomPage } from "../types.js" */

/**
 * Ask for a display name prefilled with `current`; `rename(name)` saves it or rejects with the reason.
 * @param {string} current
 * @param {(displayName: string) => Promise<unknown>} rename
 */
export function openRename(current, rename) {
  const input = h("input", { type: "text", autocomplete: "nickname", maxlength: LIMITS.displayName * 2 });
  input.value = current;
  openDialog({
    title: "Edit User Details",
    body: [
      field("Pick a friendly name for your user.", input, `1-${LIMITS.displayName} characters; everyone in the room sees it.`),
    ],
    submitLabel: "Update",
    onSubmit: async () => {
      const problem = textProblem(input.value, "Your name", LIMITS.displayName);
      if (problem) throw new Error(problem);
      await rename(input.value.trim());
    },
  });
  input.select();
}

/**
 * Someone who came by link has the server's "Guest …" name: offer the room page `page` a
 * notice (built by `notice(title, ...body)`) to change it, once.
 * @param {RoomPage} page
 * @param {Notice} notice
 */
export function welcome(page, notice) {
  const { app } = page;
  app.markNamed();
  const element = notice(
    // Offered once the board shows the loaded room.
    `Welcome to ${/** @type {Room} */ (page.sync.state.room).displayName}!`,
    h("p", {}, "Others see you as ", h("strong", { text: app.cachedName() }), "."),
    h("button", {
      type: "button",
      class: "primary small",
      text: "Choose your name",
      onclick: () => {
        element.remove();
        page.rename();
      },
    }),
  );
  page.board?.notice(element);
}
