// @ts-check
/**
 * Pure helpers of the code editor (editor.js), unit-tested with `node --test`.
 */

/**
 * @typedef {{name: string, path: string, text: string}} SourceFile A file in the
 *   editor: its tab name, its path under the app's folder, its text.
 * @typedef {{file: string, line: number}} ErrorPlace
 */

/**
 * The localStorage key of the reader's edits of one app on one page.
 * @param {string} pathname The docs page's path.
 * @param {string} name The app's name.
 * @returns {string}
 */
export function storageKey(pathname, name) {
  return `live-asgi-edits:${pathname}:${name}`;
}

/**
 * The editor's language for a file: by its extension, and Jinja for HTML
 * files that hold template tags.
 * @param {string} name
 * @param {string} text
 * @returns {"python" | "html" | "jinja" | "css" | "javascript" | "text"}
 */
export function languageOf(name, text) {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  if (ext === "py" || ext === "pyi") return "python";
  if (ext === "jinja" || ext === "jinja2" || ext === "j2") return "jinja";
  if (ext === "html" || ext === "htm") return /\{%|\{\{|\{#/.test(text) ? "jinja" : "html";
  if (ext === "css") return "css";
  if (ext === "js" || ext === "mjs" || ext === "cjs" || ext === "json") return "javascript";
  return "text";
}

/**
 * The edited files worth keeping: path to text, for those that differ from
 * the published ones.
 * @param {SourceFile[]} published
 * @param {Record<string, string>} current path to text
 * @returns {Record<string, string>}
 */
export function changedFiles(published, current) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const file of published) {
    const text = current[file.path];
    if (typeof text === "string" && text !== file.text) out[file.path] = text;
  }
  return out;
}

/**
 * Read kept edits back: only texts of files the app still has.
 * @param {string | null} stored What localStorage held.
 * @param {SourceFile[]} published
 * @returns {Record<string, string>}
 */
export function readEdits(stored, published) {
  if (!stored) return {};
  /** @type {unknown} */
  let data;
  try {
    data = JSON.parse(stored);
  } catch {
    return {};
  }
  if (!data || typeof data !== "object") return {};
  const files = /** @type {Record<string, unknown>} */ (/** @type {any} */ (data).files || {});
  /** @type {Record<string, string>} */
  const out = {};
  for (const file of published) {
    const text = files[file.path];
    if (typeof text === "string") out[file.path] = text;
  }
  return out;
}

/**
 * Where an error of the app happened, from its Python traceback: the last
 * `File "...", line N` of a file in the editor (a SyntaxError names the
 * line it could not read; an ImportError the import that failed).
 * @param {string} traceback
 * @param {SourceFile[]} files
 * @returns {ErrorPlace | null}
 */
export function errorPlace(traceback, files) {
  /** @type {ErrorPlace | null} */
  let place = null;
  for (const match of traceback.matchAll(/File "([^"]+)", line (\d+)/g)) {
    const file = files.find((f) => match[1] === f.path || match[1].endsWith(`/${f.path}`));
    if (file) place = { file: file.name, line: Number(match[2]) };
  }
  return place;
}
