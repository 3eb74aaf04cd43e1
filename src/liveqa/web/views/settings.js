/** Hosts' room settings: name, colour, state, moderation, anonymity, host link, export. */

import { h, setText } from "../dom.js";
import { exportUrl } from "../api.js";
import { roomPath } from "../router.js";
import { LIMITS, textProblem } from "../validate.js";
import { openDialog, field } from "./dialog.js";
import { palette } from "./palette.js";

const STATES = [
  ["open", "Open", "Anyone can ask and vote."],
  ["voting", "Voting only", "No new questions; votes still count."],
  ["closed", "Closed", "Read-only."],
];

/** A read-only link with a Copy button (the button is left out where the clipboard is not available). */
export function shareLink(label, url, hint) {
  const input = h("input", { type: "text", readonly: true, class: "link" });
  input.value = url;
  input.addEventListener("focus", () => input.select());
  const copied = h("span", { class: "copied", role: "status" });
  const copy = navigator.clipboard
    ? h("button", {
        type: "button",
        class: "secondary small",
        text: "Copy",
        "aria-label": `Copy ${label.toLowerCase()}`,
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(input.value);
            setText(copied, "Copied.");
          } catch {
            input.select();
            setText(copied, "Select the link and copy it.");
          }
        },
      })
    : null;
  const element = h("div", { class: "share" }, field(label, input, hint), h("div", { class: "share-row" }, copy, copied));
  return { element, input };
}

/** Absolute URL of a host link path such as `/room#host=KEY`. */
export function absoluteLink(path) {
  return new URL(path, location.origin).href;
}

/**
 * Open the settings of `room`; `me` carries the host key. `send` applies changes through the
 * socket, `rotate()` asks the server for a new host key.
 */
export function openSettings(room, me, { send, rotate }) {
  const name = h("input", { type: "text", maxlength: LIMITS.roomName * 2 });
  name.value = room.displayName;
  const colours = palette("Theme colour", room.themeColor);
  const stateRadios = STATES.map(([value, label, hint]) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "radio", name: "room-state", value, checked: room.state === value }),
      ` ${label} `,
      h("span", { class: "hint", text: hint }),
    ),
  );
  const moderation = h("input", { type: "checkbox", checked: room.moderation });
  const anonymous = h("input", { type: "checkbox", checked: room.allowAnonymous });

  const hostLink = shareLink(
    "Host link",
    absoluteLink(hostPath(room.roomId, me.hostKey ?? "")),
    "Anyone who opens it becomes a host of this room: share it with co-hosts only.",
  );
  const rotateStatus = h("p", { class: "note", role: "status" });
  const rotateButton = h("button", {
    type: "button",
    class: "secondary small",
    text: "Rotate host key",
    onclick: async () => {
      rotateButton.disabled = true;
      try {
        const rotated = await rotate();
        hostLink.input.value = absoluteLink(rotated.hostLink);
        setText(rotateStatus, "New host key made: the old host link no longer works. Hosts stay hosts.");
      } catch (error) {
        setText(rotateStatus, `The host key was not rotated: ${error.message}`);
      } finally {
        rotateButton.disabled = false;
      }
    },
  });

  openDialog({
    title: "Room Settings",
    body: [
      field("Pick a friendly name for your room.", name),
      colours.element,
      h("fieldset", { class: "states" }, h("legend", { text: "Room state" }), stateRadios),
      h("label", { class: "check" }, moderation, " Moderation: hold new questions until a host approves them"),
      h("label", { class: "check" }, anonymous, " Allow anonymous questions"),
      h(
        "details",
        { class: "more" },
        h("summary", { text: "Share, export and host key" }),
        shareLink("Link for attendees", absoluteLink(roomPath(room.roomId))).element,
        h("p", {}, h("a", { href: roomPath(room.roomId, true), target: "_blank", rel: "noopener", text: "Open the projector view" })),
        hostLink.element,
        h("div", { class: "share-row" }, rotateButton),
        rotateStatus,
        h(
          "p",
          { class: "exports" },
          "Export questions: ",
          h("a", { href: exportUrl(room.roomId, "csv"), download: `${room.roomId}.csv`, text: "CSV" }),
          " · ",
          h("a", { href: exportUrl(room.roomId, "json"), download: `${room.roomId}.json`, text: "JSON" }),
        ),
      ),
    ],
    submitLabel: "Update",
    onSubmit: async () => {
      const problem = textProblem(name.value, "The room name", LIMITS.roomName);
      if (problem) throw new Error(problem);
      const wanted = {
        displayName: name.value.trim(),
        themeColor: colours.value(),
        state: stateRadios.map((label) => label.querySelector("input")).find((input) => input.checked).value,
        moderation: moderation.checked,
        allowAnonymous: anonymous.checked,
      };
      const changes = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => room[key] !== value));
      if (Object.keys(changes).length > 0) await send({ type: "ROOMINFO_UPDATE", ...changes });
    },
  });
}

/** Path of the host link for a room and key. */
export function hostPath(roomId, hostKey) {
  return `${roomPath(roomId)}#host=${encodeURIComponent(hostKey)}`;
}
