// @ts-check
/**
 * Pure helpers of the page loader, unit-tested with `node --test`.
 */

import { INSTANCE_PATTERN, appUrl, parseAppUrl } from "./protocol.js";

export { appUrl };

/**
 * A fresh id for one app instance: short, URL-safe, unguessable enough that
 * two tabs never share one.
 * @returns {string}
 */
export function instanceId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Why live apps cannot run in this window, in words for the reader, or "".
 * @param {{location: {protocol: string, hostname: string}, isSecureContext: boolean, navigator: {serviceWorker?: unknown}}} win
 * @returns {string}
 */
export function failureText(win) {
  if (win.location.protocol === "file:") {
    return (
      "Live apps cannot run from a file:// page: browsers allow service workers only on " +
      "web servers. Serve the built docs, e.g. with `python -m http.server`, and open them " +
      "from http://localhost."
    );
  }
  if (!win.isSecureContext) {
    return (
      `Live apps need a secure page (https:// or http://localhost); this page is served over ` +
      `plain http from ${win.location.hostname}, where browsers disable service workers.`
    );
  }
  if (!win.navigator.serviceWorker) {
    return (
      "Live apps need service workers, which this browser window does not offer (a private " +
      "window of some browsers, or a browser setting). Open the page in a normal window."
    );
  }
  return "";
}

/**
 * Text as HTML that shows it as it is (in an element or a quoted attribute).
 * @param {string} text
 * @returns {string}
 */
export function escapeHtml(text) {
  /** @type {Record<string, string>} */
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(text).replace(/[&<>"']/g, (c) => entities[c]);
}

/**
 * A byte count for the reader: `850 kB`, `14.2 MB`.
 * @param {number} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${Math.round(bytes / 1e3)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The size of a start's download, for the reader deciding whether to start it:
 * ` (7.5 MB download)`, or nothing when the build did not know it.
 * @param {number} bytes What the build says the start downloads, as it travels.
 * @returns {string}
 */
export function downloadSize(bytes) {
  return bytes > 0 ? ` (${formatBytes(bytes)} download)` : "";
}

/**
 * What the status line says during a stage of the start.
 * @param {string} stage `runtime` (downloads, the packages' included), `compile`,
 *   `packages` (after a snapshot start) or `app`
 * @param {number} done Bytes downloaded so far, decoded (what the worker can count).
 * @param {number} total Bytes the build says the start downloads, as they travel (0: unknown).
 * @param {number} [decoded] What the browser decodes of them (more when they
 *   travel compressed): `done` is shown as the same share of `total`.
 * @returns {string}
 */
export function progressText(stage, done, total, decoded = total) {
  const sent = total > 0 && decoded > 0 ? Math.min(done, decoded) * (total / decoded) : done;
  const bytes = total > 0 ? `${formatBytes(sent)} of ${formatBytes(total)}` : formatBytes(done);
  switch (stage) {
    case "runtime":
      return `Downloading the Python runtime and the app's packages: ${bytes}`;
    case "compile":
      return "Starting Python and installing the app's packages…";
    case "packages":
      return `Installing the app's packages: ${bytes}`;
    case "app":
      return "Starting the app…";
    default:
      return "Preparing…";
  }
}

/**
 * The app path an iframe shows (`/items?x=1`), or null when the frame left
 * the app instance.
 * @param {string} href The frame's location.
 * @param {string} scope The app's service worker scope, ending in `/`.
 * @param {string} instance
 * @returns {string | null}
 */
export function appPath(href, scope, instance) {
  const parsed = parseAppUrl(href, scope);
  return parsed && parsed.instance === instance ? parsed.path : null;
}

/**
 * The path typed in the address bar as an app path: always starts with `/`.
 * @param {string} typed
 * @returns {string}
 */
export function normalizePath(typed) {
  const text = typed.trim();
  if (!text) return "/";
  return text.startsWith("/") ? text : `/${text}`;
}

/**
 * The last line of a Python traceback: the exception and its message.
 * @param {string} traceback
 * @returns {string}
 */
export function lastLine(traceback) {
  const lines = traceback.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1] : traceback;
}

/** The longest exception text the frame shows; the traceback below it has all. */
const EXCEPTION_TEXT_MAX = 600;

/**
 * The exception a Python traceback ends with: its type and its whole message,
 * which may span lines (FastAPI's missing "python-multipart" message ends in a
 * line that says only "pip install python-multipart"). Its lines are joined
 * with spaces.
 * @param {string} traceback The formatted traceback, as Pyodide gives it.
 * @returns {string}
 */
export function exceptionText(traceback) {
  const lines = traceback.replace(/\s+$/, "").split("\n");
  // The exception follows the last frame: a `  File "..."` line and the
  // indented source (and caret) lines under it.
  let at = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s+File "/.test(lines[i])) {
      at = i + 1;
      while (at < lines.length && /^\s/.test(lines[at])) at++;
      break;
    }
  }
  const text = lines.slice(at).map((l) => l.trim()).filter(Boolean).join(" ");
  if (!text) return lastLine(traceback);
  return text.length > EXCEPTION_TEXT_MAX ? `${text.slice(0, EXCEPTION_TEXT_MAX - 1)}…` : text;
}

/**
 * The app path of a page that shows an app alone (an app URL opened
 * directly): its address under the scope, without any `~<instance>`.
 * @param {string} href The page's location.
 * @param {string} scope The app's service worker scope, ending in `/`.
 * @returns {string}
 */
export function shellPath(href, scope) {
  if (!href.startsWith(scope)) return "/";
  let rest = href.slice(scope.length).replace(/#.*$/, "");
  rest = rest.replace(INSTANCE_PATTERN, "");
  if (rest === "index.html" || rest.startsWith("index.html?")) rest = rest.slice("index.html".length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}
