// Unit tests of how an embed tells the docs page's colour scheme: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { canvasScheme, composite, parseColor, schemeOf } from "../../live_asgi_docs/browser/scheme.js";

const WHITE = { r: 255, g: 255, b: 255, a: 1 };
const BLACK = { r: 0, g: 0, b: 0, a: 1 };

test("computed colours are read in the syntaxes browsers give", () => {
  assert.deepEqual(parseColor("rgb(27, 30, 35)"), { r: 27, g: 30, b: 35, a: 1 });
  assert.deepEqual(parseColor("rgba(0, 0, 0, 0)"), { r: 0, g: 0, b: 0, a: 0 });
  assert.deepEqual(parseColor("rgb(255 255 255 / 50%)"), { r: 255, g: 255, b: 255, a: 0.5 });
  assert.deepEqual(parseColor("transparent"), { r: 0, g: 0, b: 0, a: 0 });
  assert.equal(parseColor("oklch(0.2 0.01 250)"), null);
  assert.equal(parseColor("rgb(1, 2)"), null);
});

test("the scheme of the themes' backgrounds", () => {
  assert.equal(schemeOf(WHITE), "light"); // alabaster, MkDocs' theme
  assert.equal(schemeOf({ r: 252, g: 252, b: 252, a: 1 }), "light"); // sphinx-rtd-theme's content
  assert.equal(schemeOf({ r: 19, g: 20, b: 22, a: 1 }), "dark"); // Furo dark
  assert.equal(schemeOf({ r: 30, g: 33, b: 41, a: 1 }), "dark"); // Material slate
  assert.equal(schemeOf({ r: 160, g: 160, b: 160, a: 1 }), "light"); // mid grey: black text reads better
  assert.equal(schemeOf({ r: 90, g: 90, b: 90, a: 1 }), "dark");
});

test("the first opaque background hides what is behind it; translucent ones blend", () => {
  const dark = { r: 20, g: 20, b: 20, a: 1 };
  assert.equal(schemeOf(composite([dark, WHITE], WHITE)), "dark");
  assert.equal(schemeOf(composite([], BLACK)), "dark");
  assert.equal(schemeOf(composite([], WHITE)), "light");
  // A light tint over a dark page stays dark.
  assert.equal(schemeOf(composite([{ r: 255, g: 255, b: 255, a: 0.05 }, dark], WHITE)), "dark");
  assert.deepEqual(composite([{ r: 0, g: 0, b: 0, a: 0.5 }], WHITE), { r: 127.5, g: 127.5, b: 127.5, a: 1 });
});

test("where no element paints, the canvas's scheme decides", () => {
  assert.equal(canvasScheme("normal", "", true), "light");
  assert.equal(canvasScheme("normal", "light dark", true), "dark");
  assert.equal(canvasScheme("normal", "light dark", false), "light");
  assert.equal(canvasScheme("dark", "light", false), "dark");
  assert.equal(canvasScheme("only light", "", true), "light");
  assert.equal(canvasScheme("light dark", "", true), "dark");
});
