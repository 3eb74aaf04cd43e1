// @ts-check
/**
 * The projector view `/{roomId}/present`: the highlighted question large, the top questions,
 * the join link with its QR code. Read-only; readable from the back of the room.
 */

import { h, icon, setText } from "../dom.js";
import { qrUrl } from "../api.js";
import { roomIdProblems } from "../validate.js";
import { roomPath } from "../router.js";
import { topForScreen } from "../sort.js";
import { applyTheme } from "../contrast.js";
import { RoomSync } from "../sync.js";
import { askerName, editedNote } from "./card.js";
import { votes } from "../words.js";
import { loopbackWarning } from "../links.js";
/** @import { App, Room, State } from "../types.js" */

const TOP_COUNT = 5;
// What the big screen invites people to do, by room state: [idle text, join label].
/** @type {Record<string, string[]>} */
const INVITATIONS = {
  open: ["Ask your questions now!", "Join and ask at"],
  voting: ["Vote for the questions you want answered!", "Join and vote at"],
  closed: ["Questions are closed.", "See the questions at"],
};

/** Load the projector's own stylesheet once, from this release (the page's import map). */
function addStylesheet() {
  if (document.querySelector("link[data-present]")) return;
  const href = import.meta.resolve("/static/present.css");
  document.head.append(h("link", { rel: "stylesheet", href, "data-present": "" }));
}

/** What the big screen shows for a room id nobody uses: no empty boxes, no join link. @param {HTMLElement} container */
function missing(container) {
  const start = h("a", { href: "/", text: "Go to the start page" });
  container.replaceChildren(
    h("main", { id: "main", class: "present" }, h("h1", { class: "room-name", text: "This room does not exist." }), h("p", {}, start)),
  );
}

/**
 * Mount the projector view; returns the function that leaves it.
 * @param {HTMLElement} container @param {App} app @param {string} roomId
 */
export function mountPresent(container, app, roomId) {
  addStylesheet();
  let joinUrl = new URL(roomPath(roomId), location.origin).href;
  const roomName = h("h1", { class: "room-name", dir: "auto" });
  const attendees = h("p", { class: "attendees", hidden: true });
  const spotText = h("p", { class: "spot-text", dir: "auto" });
  const spotMeta = h("p", { class: "spot-meta" });
  const spotlight = h(
    "section",
    { class: "spotlight", "aria-labelledby": "spot-title", hidden: true },
    h("h2", { id: "spot-title", text: "Now answering" }),
    spotText,
    spotMeta,
  );
  const idleText = h("p", { class: "spot-text" });
  const idle = h("section", { class: "spotlight idle", hidden: true }, idleText);
  const top = h("ol", { class: "top-list" });
  const topSection = h("section", { class: "top", "aria-labelledby": "top-title", hidden: true }, h("h2", { id: "top-title", text: "Top questions" }), top);
  const status = h("p", { class: "present-status", role: "status" });
  const qr = h("img", {
    src: qrUrl(roomId),
    width: 240,
    height: 240,
    // Without a code the link below still works; a broken-image icon would only distract.
    onerror: () => {
      qr.hidden = true;
    },
  });
  const joinText = h("p", { class: "join-url", dir: "auto" });
  const joinLabel = h("p", { class: "join-label", text: INVITATIONS.open[1] });
  const joinWarning = h("div");
  // The server's link (its --public-url, or the address this page came from) once known.
  const showJoin = (/** @type {string} */ url) => {
    joinUrl = url;
    setText(joinText, url.replace(/^https?:\/\//, ""));
    qr.alt = `QR code that opens ${url}`;
    joinWarning.replaceChildren(loopbackWarning(url, "join-warning") ?? "");
  };
  const join = h(
    "aside",
    { class: "join", "aria-label": "How to join" },
    qr,
    joinLabel,
    joinText,
    joinWarning,
  );
  container.replaceChildren(
    h(
      "main",
      { id: "main", class: "present" },
      h("header", { class: "present-head" }, roomName, attendees),
      h("div", { class: "present-body" }, h("div", { class: "present-questions" }, spotlight, idle, topSection), join),
      status,
    ),
  );
  setText(roomName, "Loading…");
  showJoin(joinUrl);

  /** @type {RoomSync | null} */
  let sync = null;
  let alive = true;
  /** @param {State} state */
  const render = (state) => {
    // Called once a snapshot came, so the room is known.
    const room = /** @type {Room} */ (state.room);
    applyTheme(room.themeColor);
    document.title = `${room.displayName} · Projector`;
    setText(roomName, room.displayName);
    if (state.joinUrl && state.joinUrl !== joinUrl) showJoin(state.joinUrl);
    const highlighted = room.highlightedQuestionId ? state.questions.get(room.highlightedQuestionId) : null;
    const [invitation, joinWords] = INVITATIONS[room.state] ?? INVITATIONS.open;
    setText(idleText, invitation);
    setText(joinLabel, joinWords);
    spotlight.hidden = !highlighted;
    idle.hidden = Boolean(highlighted);
    if (highlighted) {
      setText(spotText, highlighted.text);
      const asker = askerName(highlighted, false) + (highlighted.authorIsHost ? " (host)" : "");
      const edited = editedNote(highlighted);
      setText(spotMeta, `asked by ${asker} · ${votes(highlighted.upvotes)}${edited ? ` · ${edited}` : ""}`);
    }
    const list = topForScreen([...state.questions.values()], TOP_COUNT, highlighted?.id);
    top.replaceChildren(
      ...list.map((q) =>
        h(
          "li",
          { class: q.answeredAt === null ? "" : "answered" },
          h("span", { class: "top-votes", "aria-label": votes(q.upvotes) }, String(q.upvotes), icon("thumb")),
          h("span", { class: "top-text", dir: "auto", text: q.text }),
          q.editedBy === "host" ? h("span", { class: "top-edited", text: "edited by a host" }) : null,
        ),
      ),
    );
    topSection.hidden = list.length === 0;
    if (typeof state.attendees === "number" && sync?.realtime.status === "open") {
      attendees.hidden = false;
      setText(attendees, `${state.attendees} ${state.attendees === 1 ? "person" : "people"} here`);
    }
  };

  const start = async () => {
    const problems = roomIdProblems(roomId);
    if (problems.length > 0) {
      setText(roomName, problems[0]);
      return;
    }
    try {
      await app.participant();
    } catch (error) {
      setText(roomName, `Could not load the room: ${/** @type {Error} */ (error).message}`);
      if (alive) setTimeout(start, 3_000);
      return;
    }
    if (!alive) return;
    sync = new RoomSync(roomId, {
      api: app.api,
      view: "present",
      onChange: render,
      onStatus: (value) => {
        setText(status, value === "reconnecting" ? "Reconnecting…" : "");
        // A count from before the connection dropped is stale: show none until the next one.
        if (value !== "open") attendees.hidden = true;
      },
      onProblem: () => missing(container),
    });
    sync.start();
  };
  start();
  return () => {
    alive = false;
    sync?.stop();
  };
}
