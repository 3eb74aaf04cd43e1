import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  THEME_COLORS,
  SURFACES,
  TEXT_CONTRAST,
  contrast,
  luminance,
  readableOn,
  themeVariables,
} from "../../src/liveqa/web/contrast.js";

const css = readFileSync(new URL("../../src/liveqa/web/app.css", import.meta.url), "utf8");

/** Custom properties of the first `:root {…}` block after `marker` in app.css. */
function rootVariables(marker) {
  const start = css.indexOf(marker);
  assert.ok(start >= 0, marker);
  const block = css.slice(css.indexOf(":root", start), css.indexOf("}", css.indexOf(":root", start)));
  return Object.fromEntries([...block.matchAll(/(--[\w-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [m[1], m[2]]));
}

const light = rootVariables("/* liveqa");
const dark = rootVariables("prefers-color-scheme: dark");

test("WCAG arithmetic matches known values", () => {
  assert.equal(luminance("#ffffff"), 1);
  assert.equal(luminance("#000000"), 0);
  assert.equal(contrast("#000000", "#ffffff"), 21);
  assert.equal(contrast("#777777", "#777777"), 1);
  assert.ok(Math.abs(contrast("#767676", "#ffffff") - 4.54) < 0.01);
});

test("a colour already readable is kept as is", () => {
  assert.equal(readableOn("#000000", "#ffffff"), "#000000");
});

test("app.css surfaces are the ones contrast is checked against", () => {
  assert.equal(light["--surface"], SURFACES.light);
  assert.equal(dark["--surface"], SURFACES.dark);
});

for (const color of THEME_COLORS) {
  test(`theme ${color}: text and fills are readable in light and dark mode`, () => {
    const vars = themeVariables(color);
    assert.ok(contrast(vars["--accent"], "#ffffff") >= TEXT_CONTRAST, "white text on accent fills");
    assert.ok(contrast(vars["--accent-text-light"], SURFACES.light) >= TEXT_CONTRAST, "accent text, light");
    assert.ok(contrast(vars["--accent-text-dark"], SURFACES.dark) >= TEXT_CONTRAST, "accent text, dark");
  });
}

test("the CSS defaults equal the default theme's computed colours", () => {
  const vars = themeVariables(THEME_COLORS[0]);
  for (const name of ["--accent", "--accent-text-light", "--accent-text-dark"]) assert.equal(light[name], vars[name], name);
});

for (const [mode, vars] of [["light", light], ["dark", dark]]) {
  test(`${mode} mode: body, muted and error text are readable on the surface`, () => {
    for (const name of ["--text", "--muted", "--error"]) {
      const ratio = contrast(vars[name], vars["--surface"]);
      assert.ok(ratio >= TEXT_CONTRAST, `${name} ${vars[name]} on ${vars["--surface"]}: ${ratio.toFixed(2)}`);
    }
    assert.ok(contrast(vars["--border"], vars["--surface"]) >= 3, "control borders");
  });
}
