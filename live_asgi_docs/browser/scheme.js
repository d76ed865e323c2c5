// @ts-check
/**
 * The colour scheme of an embed: the docs page's, not the reader's system
 * setting.
 *
 * A theme with no dark mode (alabaster, sphinx-rtd-theme, MkDocs' own theme)
 * stays white for a reader whose system is dark, so the embed must stay light
 * too; a theme with a dark mode (Furo, PyData, Material for MkDocs) shows its
 * light or dark page, and the reader may flip its switch at any time.
 *
 * Rather than knowing themes by name (and their attributes, which differ in
 * every theme and change between versions), the embed looks at what the
 * reader sees around it: the background colour behind it, composed from the
 * computed backgrounds of its ancestors. Dark when white text reads better on
 * it than black. Where nothing has a background, the page's canvas shows: its
 * `color-scheme` (or `<meta name="color-scheme">`) decides.
 *
 * The result goes into the embed's CSS `color-scheme`, which picks the
 * toolbar's colours (`light-dark()` in live-asgi.css) and, inherited by the
 * iframe, sets the app page's `prefers-color-scheme` (Chromium), so an app
 * with dark styles matches the page. It is looked at again when the page's
 * root or body change attributes (theme switches), when a background
 * transition ends, and when the system setting changes (themes that follow it).
 */

/** @typedef {"light" | "dark"} Scheme */
/** @typedef {{r: number, g: number, b: number, a: number}} Rgba  r, g, b 0-255; a 0-1 */

/**
 * A computed CSS colour (`rgb(…)`, `rgba(…)`, `transparent`) as numbers, or
 * null for any other syntax.
 * @param {string} text
 * @returns {Rgba | null}
 */
export function parseColor(text) {
  const value = text.trim().toLowerCase();
  if (value === "transparent") return { r: 0, g: 0, b: 0, a: 0 };
  const match = /^rgba?\(([^)]*)\)$/.exec(value);
  if (!match) return null;
  const parts = match[1].split(/[\s,/]+/).filter(Boolean);
  if (parts.length !== 3 && parts.length !== 4) return null;
  /** @param {string} part @param {number} scale */
  const number = (part, scale) => (part.endsWith("%") ? (parseFloat(part) / 100) * scale : parseFloat(part));
  const [r, g, b] = parts.slice(0, 3).map((p) => number(p, 255));
  const a = parts.length === 4 ? number(parts[3], 1) : 1;
  if (![r, g, b, a].every(Number.isFinite)) return null;
  return { r, g, b, a: Math.min(1, Math.max(0, a)) };
}

/**
 * The colour a reader sees through layers of backgrounds.
 * @param {Rgba[]} layers nearest first (the embed's parent, then its parent, …)
 * @param {Rgba} canvas what shows where every layer is transparent (opaque)
 * @returns {Rgba} opaque
 */
export function composite(layers, canvas) {
  const opaque = layers.findIndex((c) => c.a >= 1);
  let seen = opaque === -1 ? canvas : layers[opaque];
  const above = opaque === -1 ? layers : layers.slice(0, opaque);
  for (const layer of above.reverse()) {
    seen = {
      r: layer.r * layer.a + seen.r * (1 - layer.a),
      g: layer.g * layer.a + seen.g * (1 - layer.a),
      b: layer.b * layer.a + seen.b * (1 - layer.a),
      a: 1,
    };
  }
  return seen;
}

/**
 * WCAG relative luminance of an sRGB colour.
 * @param {Rgba} color
 */
export function luminance(color) {
  /** @param {number} c */
  const linear = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b);
}

/**
 * The scheme of a background: dark when white text has more contrast on it
 * than black text.
 * @param {Rgba} color opaque
 * @returns {Scheme}
 */
export function schemeOf(color) {
  const l = luminance(color);
  return (1.05 / (l + 0.05) > (l + 0.05) / 0.05) ? "dark" : "light";
}

/**
 * The scheme of the page's canvas (what shows where no element paints a background).
 * @param {string} rootColorScheme the root element's computed `color-scheme`
 * @param {string} meta the content of `<meta name="color-scheme">`, or ""
 * @param {boolean} systemDark the reader's system prefers dark
 * @returns {Scheme}
 */
export function canvasScheme(rootColorScheme, meta, systemDark) {
  const declared = rootColorScheme.trim() && rootColorScheme.trim() !== "normal" ? rootColorScheme : meta;
  const words = declared.toLowerCase().split(/[\s,]+/);
  const dark = words.includes("dark");
  if (!dark) return "light";
  return words.includes("light") ? (systemDark ? "dark" : "light") : "dark";
}

const WHITE = { r: 255, g: 255, b: 255, a: 1 };
const BLACK = { r: 0, g: 0, b: 0, a: 1 };

/** @type {CanvasRenderingContext2D | null | undefined} */
let painter;

/**
 * A computed colour of any syntax as numbers: the common ones parsed, others
 * (`oklch()`, `color()`) painted on a 1-pixel canvas and read back.
 * @param {string} text
 * @returns {Rgba | null}
 */
function toRgba(text) {
  const parsed = parseColor(text);
  if (parsed) return parsed;
  if (painter === undefined) {
    painter = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  }
  if (!painter) return null;
  painter.clearRect(0, 0, 1, 1);
  painter.fillStyle = text;
  painter.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = painter.getImageData(0, 0, 1, 1).data;
  return { r, g, b, a: a / 255 };
}

const systemDark = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

/**
 * The scheme of what the reader sees around an element.
 * @param {Element} el
 * @returns {Scheme}
 */
export function surroundingScheme(el) {
  /** @type {Rgba[]} */
  const layers = [];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const color = toRgba(getComputedStyle(node).backgroundColor);
    if (!color || color.a === 0) continue;
    layers.push(color);
    if (color.a >= 1) break;
  }
  const root = document.documentElement;
  const meta = document.querySelector('meta[name="color-scheme"]')?.getAttribute("content") || "";
  const canvas = canvasScheme(getComputedStyle(root).colorScheme || "", meta, Boolean(systemDark?.matches));
  return schemeOf(composite(layers, canvas === "dark" ? BLACK : WHITE));
}

/** The elements that follow the page's scheme. @type {Set<HTMLElement>} */
const following = new Set();
let pending = 0;
let watching = false;

function update() {
  pending = 0;
  for (const el of following) {
    const scheme = surroundingScheme(el);
    if (el.style.colorScheme !== scheme) el.style.colorScheme = scheme;
  }
}

function later() {
  if (!pending) pending = requestAnimationFrame(update);
}

function watch() {
  if (watching) return;
  watching = true;
  // Theme switches: an attribute or class on <html> or <body> (Furo's
  // body[data-theme], PyData's html[data-theme], Material's
  // [data-md-color-scheme], class-based dark modes), or a stylesheet swapped in <head>.
  const observer = new MutationObserver(later);
  observer.observe(document.documentElement, { attributes: true });
  if (document.body) observer.observe(document.body, { attributes: true });
  if (document.head) observer.observe(document.head, { childList: true });
  // A theme that fades its background: look again when the fade ends.
  document.addEventListener("transitionend", (event) => {
    if (/background/.test(event.propertyName)) later();
  }, true);
  // Themes that follow the system setting ("auto").
  systemDark?.addEventListener("change", later);
  // Stylesheets that arrive after the loader ran.
  addEventListener("load", later);
}

/**
 * Make an element (an embed) take the scheme of the page around it, now and
 * whenever the page changes its scheme.
 * @param {HTMLElement} el
 */
export function followScheme(el) {
  following.add(el);
  el.style.colorScheme = surroundingScheme(el);
  watch();
}

/**
 * Stop following (the embed is torn down): its stylesheet's scheme applies again.
 * @param {HTMLElement} el
 */
export function unfollowScheme(el) {
  following.delete(el);
  el.style.removeProperty("color-scheme");
}
