// @ts-check
/** The app: one page for the start screen, rooms and projector views, routed by the URL path. */

import { makeApi } from "./api.js";
import { Announcer } from "./live.js";
import { parseRoute } from "./router.js";
import { applyTheme, DEFAULT_THEME_COLOR } from "./contrast.js";
import { h } from "./dom.js";
/** @import { App, Participant } from "./types.js" */

const NAMED_KEY = "liveqa.named";
const TITLE = "Interactive Question & Answer";

const api = makeApi();
/** @type {Participant | null} */
let participant = null;
/** @type {Promise<Participant> | null} */
let session = null;

function readNamed() {
  try {
    return localStorage.getItem(NAMED_KEY);
  } catch {
    return null;
  }
}

/**
 * What every screen gets: the API, the live region, the session and navigation.
 * @type {App}
 */
const app = {
  api,
  // index.html has the elements this module looks up by id.
  announcer: new Announcer(/** @type {HTMLElement} */ (document.getElementById("live"))),
  /** The participant of this browser (the session cookie), fetched once per page. */
  participant() {
    session ??= api.session().then(
      (me) => (participant = me),
      (error) => {
        session = null;
        throw error;
      },
    );
    return session;
  },
  cachedName: () => participant?.displayName ?? "",
  /** Change my display name; rejects with the server's reason. */
  async rename(displayName) {
    participant = await api.rename(displayName);
    session = Promise.resolve(participant);
    return participant;
  },
  /** Whether this participant already chose a name (the server starts everyone as "Guest …"). */
  isNamed: () => participant !== null && readNamed() === participant.participantId,
  markNamed() {
    if (!participant) return;
    try {
      localStorage.setItem(NAMED_KEY, participant.participantId);
    } catch {
      // Without storage the welcome prompt may show again next time; nothing else is lost.
    }
  },
  navigate(path) {
    history.pushState(null, "", path);
    show();
  },
};

/** @type {(() => void) | null | undefined} */
let leave = null;
let shown = 0;

/** Show the screen of the current URL; each screen's code loads only when it is needed. */
async function show() {
  leave?.();
  leave = null;
  shown += 1;
  const current = shown;
  const container = /** @type {HTMLElement} */ (document.getElementById("app"));
  const route = parseRoute(location.pathname);
  document.body.dataset.route = route.name;
  document.title = TITLE;
  applyTheme(DEFAULT_THEME_COLOR);
  try {
    let unmount;
    if (route.name === "room") {
      const { mountRoom } = await import("./views/room.js");
      if (current === shown) unmount = mountRoom(container, app, route.roomId);
    } else if (route.name === "present") {
      const { mountPresent } = await import("./views/present.js");
      if (current === shown) unmount = mountPresent(container, app, route.roomId);
    } else {
      const { renderStart } = await import("./views/start.js");
      if (current === shown) unmount = renderStart(container, app);
    }
    if (current === shown) leave = unmount;
  } catch {
    container.replaceChildren(
      h(
        "div",
        { class: "panel" },
        h("p", { text: "The page could not be loaded. Check your connection." }),
        h("button", { type: "button", class: "primary", text: "Try again", onclick: show }),
      ),
    );
  }
}

window.addEventListener("popstate", show);
show();
