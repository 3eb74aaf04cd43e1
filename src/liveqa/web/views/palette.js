// @ts-check
/** The theme colour picker: a radio group of the palette's swatches, usable by keyboard. */

import { h } from "../dom.js";
import { THEME_COLORS, THEME_NAMES } from "../contrast.js";

let counter = 0;

/**
 * A fieldset of colour radios; `value()` gives the chosen colour.
 * @param {string} legend
 * @param {string} selected
 * @returns {{element: HTMLFieldSetElement, value: () => string}}
 */
export function palette(legend, selected) {
  counter += 1;
  const name = `theme-${counter}`;
  const radios = THEME_COLORS.map((color, index) => {
    const radio = h("input", {
      type: "radio",
      name,
      value: color,
      checked: color === selected,
      "aria-label": `${THEME_NAMES[index]} (${color})`,
    });
    // Through CSSOM, not a style attribute, so a strict Content-Security-Policy allows it.
    radio.style.setProperty("--swatch", color);
    return radio;
  });
  if (!radios.some((radio) => radio.checked)) radios[0].checked = true;
  const element = h("fieldset", { class: "palette" }, h("legend", { text: legend }), h("div", { class: "swatches" }, radios));
  return {
    element,
    // One radio of a group stays checked: people can move the choice, never clear it.
    value: () => /** @type {HTMLInputElement} */ (radios.find((radio) => radio.checked)).value,
  };
}
