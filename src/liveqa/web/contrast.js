// @ts-check
/** WCAG contrast arithmetic, the theme colours derived from a room's colour, and applying them. */

export const THEME_COLORS = ["#038cfc", "#d35192", "#188c2d", "#765f09", "#6e1786", "#af2c37"];
export const THEME_NAMES = ["blue", "pink", "green", "olive", "purple", "red"];
export const DEFAULT_THEME_COLOR = THEME_COLORS[0];
// Must match --surface in app.css (tests check both).
export const SURFACES = Object.freeze({ light: "#ffffff", dark: "#1c1f26" });
export const TEXT_CONTRAST = 4.5;

/** @typedef {[number, number, number]} Rgb */

/**
 * [r, g, b] in 0..255 of a "#rrggbb" colour.
 * @param {string} hex
 * @returns {Rgb}
 */
export function parseHex(hex) {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match) throw new Error(`not a #rrggbb colour: ${hex}`);
  const value = Number.parseInt(match[1], 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * "#rrggbb" of [r, g, b].
 * @param {number[]} rgb
 */
export function toHex(rgb) {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

/**
 * WCAG 2 relative luminance.
 * @param {string} hex
 */
export function luminance(hex) {
  const [r, g, b] = parseHex(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * WCAG 2 contrast ratio of two colours, 1..21.
 * @param {string} a
 * @param {string} b
 */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * @param {string} from
 * @param {string} to
 * @param {number} amount
 */
function mix(from, to, amount) {
  const a = parseHex(from);
  const b = parseHex(to);
  return toHex(a.map((c, i) => c + (b[i] - c) * amount));
}

/**
 * `color` moved toward black or white (away from `background`) just far enough to reach
 * `target` contrast against it.
 * @param {string} color
 * @param {string} background
 */
export function readableOn(color, background, target = TEXT_CONTRAST) {
  if (contrast(color, background) >= target) return color;
  const toward = luminance(background) > 0.18 ? "#000000" : "#ffffff";
  for (let step = 1; step <= 20; step += 1) {
    const candidate = mix(color, toward, step / 20);
    if (contrast(candidate, background) >= target) return candidate;
  }
  return toward;
}

/**
 * CSS custom properties for a theme colour: `--accent` for fills under white text (badges,
 * buttons) and `--accent-text-light` / `--accent-text-dark` for text on each surface.
 * @param {string} color
 */
export function themeVariables(color) {
  const accent = readableOn(color, "#ffffff");
  return {
    "--theme": color,
    "--accent": accent,
    "--accent-text-light": readableOn(color, SURFACES.light),
    "--accent-text-dark": readableOn(color, SURFACES.dark),
  };
}

/**
 * Set the page's theme variables for `color` (unknown colours fall back to the default).
 * @param {string} color
 */
export function applyTheme(color) {
  const chosen = THEME_COLORS.includes(color) ? color : DEFAULT_THEME_COLOR;
  const root = document.documentElement;
  for (const [name, value] of Object.entries(themeVariables(chosen))) {
    root.style.setProperty(name, value);
  }
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", chosen);
}
