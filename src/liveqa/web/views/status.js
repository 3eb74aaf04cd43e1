// @ts-check
/** The connection banner: hidden while connected, "Reconnecting…" with a retry button otherwise. */

import { h, setText } from "../dom.js";
/** @import { Status, StatusDetail, Timer } from "../types.js" */

// Short blips (a reconnect after becoming host) should not flash a banner.
const SHOW_AFTER_MS = 1_000;
const BACK_SHOWN_MS = 3_000;

export class ConnectionStatus {
  /** @param {{onRetry: () => void, announce: (text: string) => void}} options */
  constructor({ onRetry, announce }) {
    this.announce = announce;
    this.text = h("span");
    this.retry = h("button", { type: "button", class: "secondary small", text: "Retry now", onclick: onRetry });
    this.element = h("div", { class: "connection", hidden: true }, this.text, this.retry);
    /** @type {Timer | undefined} */
    this.showTimer = undefined;
    /** @type {Timer | undefined} */
    this.hideTimer = undefined;
    this.lost = false;
    /** @type {Status} */
    this.status = "connecting";
  }

  /**
   * Reflect a Realtime status; `unsent` is the number of messages waiting to be sent.
   * @param {Status} status
   * @param {StatusDetail} detail
   * @param {number} unsent
   */
  update(status, detail, unsent) {
    this.status = status;
    if (status === "reconnecting") {
      const seconds = Math.max(1, Math.round((detail.delay ?? 0) / 1000));
      const waiting = unsent > 0 ? ` ${unsent === 1 ? "1 change" : `${unsent} changes`} will be sent when back.` : "";
      setText(this.text, `Connection lost. Reconnecting in ${seconds} s…${waiting}`);
      this.retry.hidden = false;
      clearTimeout(this.hideTimer);
      if (!this.lost) {
        this.lost = true;
        this.showTimer = setTimeout(() => {
          this.element.hidden = false;
          this.element.classList.add("offline");
          this.announce("Connection lost. Reconnecting.");
        }, SHOW_AFTER_MS);
      }
    } else if (status === "open" && this.lost) {
      this.lost = false;
      clearTimeout(this.showTimer);
      if (this.element.hidden) return;
      this.element.classList.remove("offline");
      setText(this.text, "Back online.");
      this.retry.hidden = true;
      this.announce("Back online.");
      this.hideTimer = setTimeout(() => {
        this.element.hidden = true;
      }, BACK_SHOWN_MS);
    }
  }

  /** Stop timers (leaving the page). */
  dispose() {
    clearTimeout(this.showTimer);
    clearTimeout(this.hideTimer);
  }
}
