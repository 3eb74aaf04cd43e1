// @ts-check
/** A polite live region: new questions and answers read out without stealing focus. */
/** @import { Timer } from "./types.js" */

const MIN_GAP_MS = 1_500;

export class Announcer {
  /** @param {HTMLElement} region */
  constructor(region) {
    this.region = region;
    /** @type {string[]} */
    this.queue = [];
    /** @type {Timer | null} */
    this.timer = null;
  }

  /**
   * Queue `text`; bursts are merged so a busy room does not flood a screen reader.
   * @param {string} text
   */
  say(text) {
    this.queue.push(text);
    if (this.timer === null) this.flush();
  }

  flush() {
    this.timer = null;
    if (this.queue.length === 0) return;
    const text = this.queue.length > 3 ? `${this.queue.length} updates in the room.` : this.queue.join(" ");
    this.queue = [];
    // Clearing first makes a repeated sentence be read again.
    this.region.textContent = "";
    this.timer = setTimeout(() => {
      this.region.textContent = text;
      this.timer = setTimeout(() => this.flush(), MIN_GAP_MS);
    }, 50);
  }
}
