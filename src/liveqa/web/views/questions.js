// @ts-check
/** A keyed list of question cards that re-orders with minimal DOM moves and a short glide. */

import { QuestionCard } from "./card.js";
import { stableIds, tops } from "../reorder.js";
/** @import { Keyed, Question } from "../types.js" */

const GLIDE_MS = 250;
const reducedMotion = globalThis.matchMedia?.("(prefers-reduced-motion: reduce)");

export class QuestionList {
  /**
   * `element`: the <ol>; `cards`: a Map id → QuestionCard shared between lists.
   * @param {HTMLElement} element
   * @param {Map<string, QuestionCard>} cards
   * @param {ConstructorParameters<typeof QuestionCard>[1]} actions
   */
  constructor(element, cards, actions) {
    this.element = element;
    this.cards = cards;
    this.actions = actions;
  }

  /**
   * Show `questions` in this order; `context(question)` gives each card's rendering context.
   * @param {Question[]} questions
   * @param {(question: Question) => Parameters<QuestionCard["update"]>[1]} context
   */
  render(questions, context) {
    const desired = questions.map((q) => q.id);
    for (const question of questions) {
      let card = this.cards.get(question.id);
      if (!card) {
        card = new QuestionCard(question, this.actions);
        this.cards.set(question.id, card);
      }
      card.update(question, context(question));
    }
    const nodes = this.nodes();
    const current = Array.from(nodes, (node) => node.dataset.id);
    if (sameOrder(current, desired)) return;
    const wanted = new Set(desired);
    const before = this.positions();
    const focused = document.activeElement;
    for (const node of [...nodes]) {
      if (!wanted.has(node.dataset.id)) node.remove();
    }
    const stable = stableIds(current, desired);
    let next = null;
    for (let i = desired.length - 1; i >= 0; i -= 1) {
      const node = /** @type {QuestionCard} */ (this.cards.get(desired[i])).root;
      if (!stable.has(desired[i]) || node.parentNode !== this.element) {
        this.element.insertBefore(node, next);
      }
      next = node;
    }
    // Moving a node drops its focus: give it back so keyboard users stay where they were.
    if (focused && focused !== document.activeElement && this.element.contains(focused)) {
      /** @type {HTMLElement} */ (focused).focus({ preventScroll: true });
    }
    this.glide(before);
  }

  /** The cards' root elements, in the order on screen. */
  nodes() {
    return /** @type {HTMLCollectionOf<Keyed>} */ (this.element.children);
  }

  /** Top offsets of the cards now on screen, to animate from. */
  positions() {
    return reducedMotion?.matches ? new Map() : tops(this.nodes(), window.innerHeight);
  }

  /** @param {Map<string, number>} before */
  glide(before) {
    for (const [id, top] of before) {
      const root = this.cards.get(id)?.root;
      if (!root || root.parentNode !== this.element) continue;
      const delta = top - root.getBoundingClientRect().top;
      if (Math.abs(delta) < 1) continue;
      root.animate([{ transform: `translateY(${delta}px)` }, { transform: "none" }], {
        duration: GLIDE_MS,
        easing: "ease-out",
      });
    }
  }
}

/**
 * @param {string[]} a
 * @param {string[]} b
 */
function sameOrder(a, b) {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
