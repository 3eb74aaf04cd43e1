// @ts-check
/**
 * Hosts' room settings: name, colour, state, moderation, anonymity, blocked words, bans, hosts,
 * host link, export.
 */

import { h, setText } from "../dom.js";
import { exportUrl } from "../api.js";
import { hostApi } from "../hostapi.js";
import { loopbackWarning } from "../links.js";
import { roomPath } from "../router.js";
import { LIMITS, textProblem } from "../validate.js";
import { openDialog, field } from "./dialog.js";
import { palette } from "./palette.js";
/** @import { Api, Ban, HostKey, Hosts, Me, Participant, Room, Rules, Send } from "../types.js" */

const STATES = [
  ["open", "Open", "Anyone can ask and vote."],
  ["voting", "Voting only", "No new questions; votes still count."],
  ["closed", "Closed", "Read-only."],
];

/**
 * A read-only link with a Copy button (the button is left out where the clipboard is not available).
 * @param {string} label @param {string} url @param {string} [hint]
 */
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

/**
 * Absolute URL of a path such as `/room#host=KEY`, on the server's join URL when known.
 * @param {string} path @param {string | null} [joinUrl]
 */
export function absoluteLink(path, joinUrl) {
  return new URL(path, joinUrl ?? location.origin).href;
}

/**
 * Open the settings of `room` for `me`: `send` applies changes through the socket, `api` is the
 * REST client, `joinUrl` the room's link as the server gives it, `rules` the hosts' view of the
 * blocked words and bans.
 * @param {Room} room @param {Me} me
 * @param {{send: Send, api: Api, joinUrl: string | null, rules: Rules | null}} options
 */
export function openSettings(room, me, { send, api, joinUrl, rules }) {
  const attendeeLink = joinUrl ?? absoluteLink(roomPath(room.roomId));
  const { hosts, hostKey, rotate, removeHost, deleteRoom } = hostApi(api, room.roomId);
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
  const hostList = hostsPanel(me, { hosts, removeHost });

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
        h("summary", { text: "Blocked words and bans" }),
        blockedWordsPanel(rules?.blockedWords ?? [], send),
        bansPanel(rules?.bans ?? [], send),
      ),
      h(
        "details",
        { class: "more" },
        h("summary", { text: "Share, export and host key" }),
        shareLink("Link for attendees", attendeeLink).element,
        loopbackWarning(attendeeLink),
        h("p", {}, h("a", { href: roomPath(room.roomId, true), target: "_blank", rel: "noopener", text: "Open the projector view" })),
        me.isOwner
          ? keyPanel({ hostKey, rotate, refreshHosts: hostList.refresh, joinUrl })
          : h("p", { class: "note", text: "Only the room's owner (its creator) sees and changes the host key." }),
        hostList.element,
        h(
          "p",
          { class: "exports" },
          "Export questions: ",
          h("a", { href: exportUrl(room.roomId, "csv"), download: `${room.roomId}.csv`, text: "CSV" }),
          " · ",
          h("a", { href: exportUrl(room.roomId, "json"), download: `${room.roomId}.json`, text: "JSON" }),
        ),
      ),
      h(
        "details",
        { class: "more" },
        h("summary", { text: "Clear questions or delete the room" }),
        clearPanel(send),
        me.isOwner
          ? deletePanel(room.roomId, deleteRoom)
          : h("p", { class: "note", text: "Only the room's owner (its creator) can delete the room." }),
      ),
    ],
    submitLabel: "Update",
    onSubmit: async () => {
      const problem = textProblem(name.value, "The room name", LIMITS.roomName);
      if (problem) throw new Error(problem);
      const wanted = {
        displayName: name.value.trim(),
        themeColor: colours.value(),
        // One radio is always checked.
        state: /** @type {HTMLInputElement} */ (stateRadios.map((label) => label.querySelector("input")).find((input) => input?.checked)).value,
        moderation: moderation.checked,
        allowAnonymous: anonymous.checked,
      };
      const changes = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => room[/** @type {keyof Room} */ (key)] !== value));
      if (Object.keys(changes).length > 0) await send({ type: "ROOMINFO_UPDATE", ...changes });
    },
  });
}

/** The room's blocked words and phrases, one a line, saved on their own. @param {string[]} words @param {Send} send */
function blockedWordsPanel(words, send) {
  const textarea = h("textarea", { rows: 4, dir: "auto", autocapitalize: "none", spellcheck: "false" });
  textarea.value = words.join("\n");
  const status = h("p", { class: "note", role: "status" });
  const button = h("button", {
    type: "button",
    class: "secondary small",
    text: "Save blocked words",
    onclick: async () => {
      button.disabled = true;
      try {
        const ack = await send({ type: "BLOCKED_WORDS_SET", words: textarea.value.split("\n") });
        textarea.value = ack.words.join("\n");
        setText(status, ack.words.length === 1 ? "1 word or phrase blocked." : `${ack.words.length} words or phrases blocked.`);
      } catch (error) {
        setText(status, `The blocked words were not saved: ${/** @type {Error} */ (error).message}`);
      } finally {
        button.disabled = false;
      }
    },
  });
  return h(
    "div",
    { class: "blocked-words" },
    field(
      "Blocked words and phrases, one per line",
      textarea,
      "Whole words, any case. A question containing one waits for approval when moderation is on, and is refused otherwise. Up to 100, each up to 50 characters.",
    ),
    h("div", { class: "share-row" }, button),
    status,
  );
}

/**
 * Who is banned from the room, each with the question they were banned from and a way back.
 * @param {Ban[]} bans @param {Send} send
 */
function bansPanel(bans, send) {
  const list = h("ul", { class: "bans" });
  const status = h("p", { class: "note", role: "status" });
  const render = (/** @type {Ban[]} */ current) => {
    if (current.length === 0) {
      list.replaceChildren(h("li", { class: "note", text: "Nobody is banned." }));
      return;
    }
    list.replaceChildren(
      ...current.map((ban) => {
        const name = ban.displayName ?? "The anonymous asker";
        const lift = h("button", {
          type: "button",
          class: "secondary small",
          text: "Lift ban",
          "aria-label": `Lift the ban of ${name}`,
          onclick: async () => {
            lift.disabled = true;
            try {
              await send({ type: "PARTICIPANT_UNBAN", banId: ban.banId });
              current = current.filter((other) => other.banId !== ban.banId);
              render(current);
              setText(status, `${name} is no longer banned.`);
            } catch (error) {
              lift.disabled = false;
              setText(status, `The ban was not lifted: ${/** @type {Error} */ (error).message}`);
            }
          },
        });
        return h(
          "li",
          {},
          h("b", { dir: "auto", text: name }),
          " for ",
          h("q", { dir: "auto", text: ban.questionText }),
          " ",
          lift,
        );
      }),
    );
  };
  render(bans);
  return h("section", { class: "bans-panel", "aria-label": "Banned people" }, h("h3", { text: "Banned people" }), list, status);
}

/** Delete all questions, or the answered ones, once the host ticked that they mean it. @param {Send} send */
function clearPanel(send) {
  const answered = h("input", { type: "radio", name: "clear-which", checked: true });
  const all = h("input", { type: "radio", name: "clear-which" });
  const sure = h("input", { type: "checkbox" });
  const status = h("p", { class: "note", role: "status" });
  const button = h("button", {
    type: "button",
    class: "danger small",
    text: "Clear questions",
    onclick: async () => {
      if (!sure.checked) {
        setText(status, "Tick the box first: clearing cannot be undone.");
        return;
      }
      button.disabled = true;
      try {
        const { cleared } = await send({ type: "QUESTIONS_CLEAR", answeredOnly: answered.checked });
        sure.checked = false;
        setText(status, cleared === 1 ? "1 question deleted." : `${cleared} questions deleted.`);
      } catch (error) {
        setText(status, `Nothing was cleared: ${/** @type {Error} */ (error).message}`);
      } finally {
        button.disabled = false;
      }
    },
  });
  return h(
    "fieldset",
    { class: "states" },
    h("legend", { text: "Clear questions" }),
    h("label", { class: "check" }, answered, " Answered questions only"),
    h("label", { class: "check" }, all, " All questions, waiting ones included"),
    h("label", { class: "check" }, sure, " Delete them for everyone; this cannot be undone"),
    h("div", { class: "share-row" }, button),
    status,
  );
}

/** Delete the room for good: the owner types its id to confirm. @param {string} roomId @param {(typed: string) => Promise<unknown>} deleteRoom */
function deletePanel(roomId, deleteRoom) {
  const typed = h("input", { type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false" });
  const status = h("p", { class: "note", role: "status" });
  const button = h("button", {
    type: "button",
    class: "danger small",
    text: "Delete this room",
    onclick: async () => {
      if (typed.value.trim() !== roomId) {
        setText(status, `Type the room's ID, ${roomId}, to confirm.`);
        typed.focus();
        return;
      }
      button.disabled = true;
      try {
        await deleteRoom(typed.value.trim());
        setText(status, "The room was deleted.");
      } catch (error) {
        setText(status, `The room was not deleted: ${/** @type {Error} */ (error).message}`);
        button.disabled = false;
      }
    },
  });
  return h(
    "div",
    { class: "delete-room" },
    field(`To delete this room with all its questions for everyone, type its ID (${roomId}):`, typed),
    h("div", { class: "share-row" }, button),
    status,
  );
}

/**
 * The owner's host key: fetched only when asked for (it is a secret that makes anyone a host),
 * and rotated, which by default takes host rights away from every co-host.
 * @param {{hostKey: () => Promise<HostKey>, rotate: (keep: boolean) => Promise<HostKey & {revoked: Participant[]}>, refreshHosts: () => void, joinUrl: string | null}} options
 */
function keyPanel({ hostKey, rotate, refreshHosts, joinUrl }) {
  const hostLink = shareLink("Host link", "", "Anyone who opens it becomes a co-host of this room: share it with co-hosts only.");
  hostLink.element.hidden = true;
  const status = h("p", { class: "note", role: "status" });
  const fill = (/** @type {HostKey} */ key) => {
    hostLink.input.value = absoluteLink(key.hostLink, joinUrl);
    hostLink.element.hidden = false;
  };
  const show = h("button", {
    type: "button",
    class: "secondary small",
    text: "Show host link",
    onclick: async () => {
      show.disabled = true;
      try {
        fill(await hostKey());
        show.hidden = true;
        hostLink.input.focus();
      } catch (error) {
        setText(status, `The host link could not be loaded: ${/** @type {Error} */ (error).message}`);
      } finally {
        show.disabled = false;
      }
    },
  });
  const keep = h("input", { type: "checkbox" });
  const rotateButton = h("button", {
    type: "button",
    class: "secondary small",
    text: "Rotate host key",
    onclick: async () => {
      rotateButton.disabled = true;
      try {
        const rotated = await rotate(keep.checked);
        fill(rotated);
        show.hidden = true;
        const names = rotated.revoked.map((person) => person.displayName);
        const lost = names.length === 0 ? "No co-host lost host rights." : `No longer hosts: ${names.join(", ")}.`;
        setText(status, `New host key made: the old host link no longer works. ${lost}`);
        refreshHosts();
      } catch (error) {
        setText(status, `The host key was not rotated: ${/** @type {Error} */ (error).message}`);
      } finally {
        rotateButton.disabled = false;
      }
    },
  });
  return h(
    "div",
    { class: "host-key" },
    h("div", { class: "share-row" }, show),
    hostLink.element,
    h("label", { class: "check" }, keep, " Keep the current co-hosts when rotating"),
    h("div", { class: "share-row" }, rotateButton),
    status,
  );
}

/**
 * Who hosts the room; the owner can take a co-host's rights away. Returns `{element, refresh}`.
 * @param {Me} me @param {{hosts: () => Promise<Hosts>, removeHost: (id: string) => Promise<Hosts>}} api
 */
function hostsPanel(me, { hosts, removeHost }) {
  const list = h("ul", { class: "hosts" });
  const status = h("p", { class: "note", role: "status" });
  const render = (/** @type {Hosts["hosts"]} */ current) => {
    list.replaceChildren(
      ...current.map((host) => {
        const role = host.role === "owner" ? "owner" : "co-host";
        const you = host.participantId === me.participantId ? ", you" : "";
        const remove =
          me.isOwner && host.role !== "owner"
            ? h("button", {
                type: "button",
                class: "danger small",
                text: "Remove",
                "aria-label": `Remove ${host.displayName} as host`,
                onclick: async (/** @type {Event} */ event) => {
                  /** @type {HTMLButtonElement} */ (event.currentTarget).disabled = true;
                  try {
                    render((await removeHost(host.participantId)).hosts);
                    setText(status, `${host.displayName} is no longer a host.`);
                  } catch (error) {
                    setText(status, `${host.displayName} was not removed: ${/** @type {Error} */ (error).message}`);
                    refresh();
                  }
                },
              })
            : null;
        return h("li", {}, h("span", { dir: "auto", text: host.displayName }), ` (${role}${you}) `, remove);
      }),
    );
  };
  const refresh = async () => {
    try {
      render((await hosts()).hosts);
    } catch (error) {
      setText(status, `The hosts could not be loaded: ${/** @type {Error} */ (error).message}`);
    }
  };
  refresh();
  return { element: h("section", { class: "hosts-panel", "aria-label": "Hosts" }, h("h3", { text: "Hosts" }), list, status), refresh };
}
