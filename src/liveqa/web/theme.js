/** Carry a room's theme colour through the page with readable contrast in light and dark mode. */

import { DEFAULT_THEME_COLOR, THEME_COLORS, themeVariables } from "./contrast.js";

/** Set the page's theme variables for `color` (unknown colours fall back to the default). */
export function applyTheme(color) {
  const chosen = THEME_COLORS.includes(color) ? color : DEFAULT_THEME_COLOR;
  const root = document.documentElement;
  for (const [name, value] of Object.entries(themeVariables(chosen))) {
    root.style.setProperty(name, value);
  }
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", chosen);
}
