// @ts-check
/** Links people open: whether a phone can reach them, and what to do when it cannot. */

import { h } from "./dom.js";

/**
 * Whether `url` names this computer only (localhost, 127.0.0.0/8, ::1): no phone opens it.
 * @param {string} url
 */
export function isLoopback(url) {
  const host = new URL(url).hostname;
  return host === "localhost" || host.endsWith(".localhost") || host.startsWith("127.") || host === "[::1]";
}

/**
 * A warning, in words, for a link only this computer can open; null when others can open it.
 * @param {string | null | undefined} url
 * @returns {HTMLElement | null}
 */
export function loopbackWarning(url, className = "error") {
  if (!url || !isLoopback(url)) return null;
  return h(
    "p",
    { class: className },
    "Phones cannot open this link: it points at this computer itself. Start liveqa with ",
    h("code", { text: "--host 0.0.0.0" }),
    " and share this computer's network address, or with ",
    h("code", { text: "--public-url" }),
    " and the address people reach it at.",
  );
}
