// @ts-check
/**
 * The life of an embed: set up, started (on scroll, click or load), running,
 * failed or crashed, restarted, torn down. The states and what moves between
 * them are in state.js; this module does what each step means for the page.
 */

import { followHeight } from "./autoheight.js";
import { bootWorker, retire, shutdown } from "./appworker.js";
import {
  appPath,
  appUrl,
  downloadSize,
  exceptionText,
  failureText,
  instanceId,
  normalizePath,
  progressText,
  shellPath,
} from "./embed.js";
import { storageKey } from "./editing.js";
import { MSG, parseAppUrl, readEmbedConfig, sendToWorker } from "./protocol.js";
import { disown, offerPort, own } from "./reconnect.js";
import { noServiceWorker, registerServiceWorker } from "./registration.js";
import { followScheme, unfollowScheme } from "./scheme.js";
import { stallWatch, transition } from "./state.js";
import { buildView, frameWindow, label, setControls, show, stateOf } from "./toolbar.js";

/**
 * @typedef {import("./protocol.js").EmbedConfig} EmbedConfig
 * @typedef {import("./protocol.js").EditorConfig} EditorConfig
 * @typedef {import("./editor.js").EditorHandle} EditorHandle
 * @typedef {import("./state.js").Event} StateEvent
 * @typedef {import("./toolbar.js").View & {
 *   config: EmbedConfig, initial: string, scope: string, path: string,
 *   worker: Worker | null, id: string, watchdog: number, resize: ResizeObserver | null,
 *   editor: Promise<EditorHandle | null> | null, runStarted: number,
 * }} Embed  `editor`: the code editor beside the app (loaded on demand), or null
 */

/** @type {WeakMap<HTMLElement, Embed>} */
const embeds = new WeakMap();
/** The embeds set up and not torn down, to find those a theme removed. */
/** @type {Set<Embed>} */
const live = new Set();

/** How far (px) above or below the viewport an embed starts with `autostart: visible`. */
const START_MARGIN = 200;

const observer =
  typeof IntersectionObserver === "function"
    ? new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            const embed = embeds.get(/** @type {HTMLElement} */ (entry.target));
            observer?.unobserve(entry.target);
            if (embed) start(embed);
          }
        },
        // Start a little before the embed is on screen.
        { rootMargin: `${START_MARGIN}px 0px` },
      )
    : null;

// A page that goes away gives its apps the chance a stopping server gives,
// as far as the browser lets the workers run.
addEventListener("pagehide", (event) => {
  if (event.persisted) return; // kept in the back/forward cache: the app lives on
  for (const embed of live) if (embed.worker) shutdown(embed.worker);
});

/**
 * Move an embed to the state an event leads to; false when the event means
 * nothing in its state.
 * @param {Embed} embed
 * @param {StateEvent} event
 */
function move(embed, event) {
  const next = transition(stateOf(embed), event);
  if (next === null) return false;
  embed.el.dataset.state = next;
  return true;
}

/**
 * Stop an embed's instance: its worker, its frame, its timers.
 * @param {Embed} embed
 */
function stopInstance(embed) {
  clearTimeout(embed.watchdog);
  embed.resize?.disconnect();
  embed.resize = null;
  if (embed.worker) retire(embed.worker);
  embed.worker = null;
  disown(embed.id);
  embed.id = "";
  embed.frame.hidden = true;
  // Unload the app page: its scripts must not keep calling a dead instance.
  if (embed.frame.getAttribute("src")) embed.frame.src = "about:blank";
  setControls(embed, false);
}

/**
 * A start failed: stop everything and say why, with a way to try again.
 * @param {Embed} embed
 * @param {string} text
 * @param {{traceback?: string, retry?: boolean}} [more]
 */
function fail(embed, text, more = {}) {
  stopInstance(embed);
  embed.editor?.then((editor) => editor?.setBusy(false));
  move(embed, "fail");
  show(embed, text, {
    kind: "error",
    traceback: more.traceback,
    action: more.retry === false ? undefined : "Try again",
    onAction: () => start(embed),
  });
}

/**
 * The runtime died while the app was running.
 * @param {Embed} embed
 * @param {string} reason
 */
function crash(embed, reason) {
  stopInstance(embed);
  embed.editor?.then((editor) => editor?.setBusy(false));
  // The page that crashed it may do so again: restart at the first page.
  embed.path = embed.config.full ? "/" : embed.config.path;
  embed.address.value = embed.path;
  move(embed, "crash");
  show(embed, `The app's Python runtime crashed (${reason}). Restart it to go on; what you did in the app is lost.`, {
    kind: "error",
    action: "Restart the app",
    onAction: () => start(embed),
  });
}

/**
 * Start (or restart) the app of an embed: a new worker and a new instance.
 * @param {Embed} embed
 */
async function start(embed) {
  const { config, el } = embed;
  if (transition(stateOf(embed), "start") === null) return;
  stopInstance(embed);
  observer?.unobserve(el);
  const reason = failureText(window);
  if (reason) {
    fail(embed, reason, { retry: false });
    return;
  }
  move(embed, "start");
  embed.progress.removeAttribute("value");
  show(embed, "Preparing…");
  const root = new URL(config.root, document.baseURI);
  const assets = new URL(config.assets, document.baseURI);

  // The service worker first: when the browser refuses it, nothing is
  // downloaded. The app's worker loads its own code meanwhile (registering
  // takes 0.1 to 0.4 s) and boots once the browser accepted the registration;
  // the service worker's installation then runs while the runtime boots.
  const registration = registerServiceWorker(new URL(config.sw, root).href, embed.scope);
  registration.catch(() => {});
  /** @type {Promise<ServiceWorker>} */
  const swActivated = registration.then((r) => r.active);
  swActivated.catch(() => {});

  // The reader's edits (an earlier visit's, or made before the start) run from the first start.
  const editor = embed.editor ? await embed.editor : null;
  if (stateOf(embed) !== "starting") return;
  const edits = editor ? editor.edits() : [];
  editor?.setBusy(true);

  const id = instanceId();
  // A start that reports nothing for too long is stuck: say so instead of
  // spinning. How long is too long depends on what the worker last said it does.
  /** @type {import("./state.js").StartProgress} */
  let progress = { stage: "runtime", downloading: 0 };
  let booted = false;
  const poke = () => {
    clearTimeout(embed.watchdog);
    if (booted) return;
    const watch = stallWatch(progress);
    embed.watchdog = window.setTimeout(() => {
      if (embed.worker === worker) fail(embed, watch.text);
    }, watch.ms);
  };

  /** @type {(ok: boolean) => void} */
  let settle = () => {};
  const ready = new Promise((/** @type {(ok: boolean) => void} */ resolve) => (settle = resolve));
  // The instance's mount prefix, as the service worker gives it with every
  // request: the app knows it before it is imported (LIVE_ASGI_ROOT_PATH).
  const rootPath = parseAppUrl(appUrl(embed.scope, id, "/"), embed.scope)?.rootPath ?? "";
  const worker = bootWorker(config, assets, rootPath, {
    message(msg) {
      if (embed.worker !== worker) return;
      if (msg.type === MSG.progress) {
        progress = { stage: msg.stage, downloading: msg.downloading };
        // Where the start is, for the curious and the tests (the watchdog's reading).
        el.dataset.stage = msg.stage;
        el.dataset.downloading = String(msg.downloading);
        poke();
        // The worker counts decoded bytes: the bar's scale is what the browser decodes.
        const decoded = config.decoded || config.download;
        if (decoded > 0) {
          embed.progress.max = decoded;
          embed.progress.value = Math.min(msg.done || 0, decoded);
        }
        show(embed, progressText(msg.stage, msg.done || 0, config.download, decoded));
      } else if (msg.type === MSG.ready) {
        if (msg.memory) el.dataset.wasmMemory = String(msg.memory);
        if (msg.timings) el.dataset.timings = JSON.stringify(msg.timings);
        el.dataset.restored = String(Boolean(msg.restored));
        booted = true;
        clearTimeout(embed.watchdog);
        settle(true);
      } else if (msg.type === MSG.failed) {
        fail(embed, msg.message, { traceback: msg.traceback });
        if (msg.traceback) editor?.showError(exceptionText(msg.traceback), msg.traceback);
        settle(false);
      } else if (msg.type === MSG.snapshot) {
        // The background snapshot for the next visit is done (its downloads too).
        el.dataset.snapshot = msg.ok ? "saved" : "not made";
      } else if (msg.type === MSG.ran) {
        // The edited app runs: reopen the page the frame showed.
        el.dataset.runMs = String(msg.ms);
        reopen(embed);
      } else if (msg.type === MSG.runFailed) {
        editor?.setBusy(false);
        move(embed, "fail");
        embed.frame.hidden = true;
        show(embed, msg.message, { kind: "error", traceback: msg.traceback });
        editor?.showError(msg.traceback ? exceptionText(msg.traceback) : msg.message, msg.traceback || "");
      } else if (msg.type === MSG.crashed) {
        crash(embed, msg.message);
        settle(false);
      }
    },
    error(what) {
      if (embed.worker !== worker) return;
      if (transition(stateOf(embed), "workerError") === "failed") {
        fail(embed, `The app's runtime failed while starting: ${what}`);
        settle(false);
      } else {
        crash(embed, what);
      }
    },
  }, edits, registration);
  embed.worker = worker;
  embed.id = id;
  own(id, worker, embed.scope);
  poke();
  registration.catch((err) => {
    if (embed.worker === worker) fail(embed, noServiceWorker(err), { retry: false });
  });

  if (!(await ready) || embed.worker !== worker) return;
  /** @type {ServiceWorker} */
  let sw;
  try {
    sw = await swActivated;
  } catch (err) {
    fail(embed, noServiceWorker(err), { retry: false });
    return;
  }

  offerPort(worker, sw, id);
  show(embed, "Opening the app…");
  embed.frame.src = appUrl(embed.scope, id, embed.path);
  embed.frame.hidden = false;
}

/**
 * Load the editor (only pages with an `:editor:` embed download its code).
 * @param {Embed} embed
 * @param {HTMLElement} panel
 * @param {EditorConfig} editor
 * @returns {Promise<EditorHandle | null>}
 */
async function loadEditor(embed, panel, editor) {
  try {
    const { mountEditor } = await import("./editor.js");
    return mountEditor(panel, {
      name: embed.config.name,
      files: editor.files,
      readOnly: editor.readOnly,
      storageKey: storageKey(location.pathname, embed.config.name),
      onRun: () => runEdits(embed, false),
      onReset: () => runEdits(embed, true),
    });
  } catch (err) {
    const note = document.createElement("p");
    note.className = "live-asgi-editor-note";
    note.dataset.kind = "error";
    note.textContent = `The code editor could not be loaded (${err instanceof Error ? err.message : err}); the app runs as published.`;
    panel.append(note);
    return null;
  }
}

/**
 * Run the code in the editor: in the running instance when there is one
 * (the runtime and packages stay loaded), else by starting the app.
 * @param {Embed} embed
 * @param {boolean} reset Restore the published code first.
 */
async function runEdits(embed, reset) {
  const editor = await embed.editor;
  if (!editor) return;
  const state = stateOf(embed);
  if (state === "starting") return;
  if (reset) editor.reset();
  editor.clearError();
  embed.runStarted = performance.now();
  if (!embed.worker || (state !== "running" && state !== "failed")) {
    start(embed);
    return;
  }
  editor.setBusy(true);
  move(embed, "start");
  sendToWorker(embed.worker, { type: MSG.run, files: editor.files() });
}

/**
 * Show the current app path again in the frame (after a run of edited code).
 * @param {Embed} embed
 */
function reopen(embed) {
  embed.frame.hidden = false;
  const url = appUrl(embed.scope, embed.id, embed.path);
  const win = frameWindow(embed);
  if (win) win.location.replace(url);
  else embed.frame.src = url;
}

/**
 * Connect the toolbar and the frame's events.
 * @param {Embed} embed
 */
function wire(embed) {
  const { frame, buttons, address, el, config } = embed;
  frame.addEventListener("load", () => {
    if (!embed.id) return;
    const win = frameWindow(embed);
    const path = win ? appPath(win.location.href, embed.scope, embed.id) : null;
    if (stateOf(embed) === "starting") {
      // The about:blank of a stopped instance may load late: not the app.
      if (path === null) return;
      move(embed, "loaded");
      // The reader sees the app: its worker may store the snapshot for the next visit now.
      if (embed.worker) sendToWorker(embed.worker, { type: MSG.shown });
      embed.status.hidden = true;
      if (embed.editor) {
        // From Run (or the start) to the app's page on screen, for the curious and the tests.
        if (embed.runStarted) el.dataset.runToPageMs = String(Math.round(performance.now() - embed.runStarted));
        embed.runStarted = 0;
        embed.editor.then((editor) => editor?.setBusy(false));
      }
    }
    if (path !== null) {
      embed.path = path;
      if (document.activeElement !== address) address.value = path;
      if (config.full) history.replaceState(null, "", embed.scope + path.slice(1));
    }
    if (win) {
      /** @type {any} */ (win).navigation?.addEventListener("currententrychange", () => setControls(embed, true));
      if (config.height === "auto") {
        embed.resize?.disconnect();
        embed.resize = followHeight(embed.frame, win);
      }
    }
    setControls(embed, true);
  });
  buttons.back.addEventListener("click", () => /** @type {any} */ (frameWindow(embed))?.navigation?.back());
  buttons.forward.addEventListener("click", () => /** @type {any} */ (frameWindow(embed))?.navigation?.forward());
  buttons.reload.addEventListener("click", () => frameWindow(embed)?.location.reload());
  buttons.restart.addEventListener("click", () => start(embed));
  address.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !embed.id) return;
    event.preventDefault();
    const path = normalizePath(address.value);
    address.value = path;
    const url = appUrl(embed.scope, embed.id, path);
    const win = frameWindow(embed);
    if (win) win.location.assign(url);
    else frame.src = url;
  });
  address.addEventListener("keyup", (event) => {
    if (event.key === "Escape") address.value = embed.path;
  });
}

/**
 * Whether an element is shown within the observer's margin of the viewport now.
 * @param {HTMLElement} el
 */
function onScreen(el) {
  if (el.getClientRects().length === 0) return false; // not rendered (hidden, a closed <details>)
  const rect = el.getBoundingClientRect();
  return (
    rect.bottom >= -START_MARGIN &&
    rect.top <= innerHeight + START_MARGIN &&
    rect.right >= 0 &&
    rect.left <= innerWidth
  );
}

/**
 * Set up one embed: build its UI and start it when its `autostart` says.
 * @param {HTMLElement} el
 */
function setup(el) {
  const config = readEmbedConfig(el.dataset.liveAsgi || "{}");
  const root = new URL(config.root, document.baseURI);
  const initial = el.innerHTML;
  /** @type {Embed} */
  const embed = {
    ...buildView(el, config),
    config, initial, path: config.path, worker: null, id: "", watchdog: 0, resize: null,
    scope: new URL(config.scope, root).href, editor: null, runStarted: 0,
  };
  if (embed.panel && config.editor) embed.editor = loadEditor(embed, embed.panel, config.editor);
  wire(embed);
  // The page's light or dark, for the toolbar and the app's prefers-color-scheme.
  followScheme(el);
  embeds.set(el, embed);
  live.add(embed);
  el.dataset.state = "idle";
  if (config.full) {
    el.classList.add("live-asgi-full");
    embed.path = shellPath(location.href, embed.scope);
    embed.address.value = embed.path;
  }
  if (config.height === "auto") el.classList.add("live-asgi-auto");
  const size = downloadSize(config.download);
  if (config.autostart === "click") {
    show(embed, `${label(config)} runs Python in your browser.`, { action: `${config.prompt || "Run the app"}${size}`, onAction: () => start(embed) });
  } else if (config.autostart === "load" || !observer) {
    start(embed);
  } else if (onScreen(el)) {
    // Already in view: the observer would say so only after the first paint.
    start(embed);
  } else {
    show(embed, `${label(config)} starts when you scroll to it${size}.`);
    observer.observe(el);
  }
}

/**
 * Set up every live app in an element (the whole page by default); embeds
 * already set up are left alone.
 * @param {ParentNode} [root]
 */
export function startAll(root = document) {
  for (const el of root.querySelectorAll(".live-asgi[data-live-asgi]")) {
    if (!embeds.has(/** @type {HTMLElement} */ (el))) setup(/** @type {HTMLElement} */ (el));
  }
}

/**
 * Stop one embed: end its runtime and put back its original markup, so that
 * `startAll` can set it up again.
 * @param {Element} el
 */
export function teardown(el) {
  const embed = embeds.get(/** @type {HTMLElement} */ (el));
  if (!embed) return;
  observer?.unobserve(el);
  stopInstance(embed);
  unfollowScheme(embed.el);
  embeds.delete(embed.el);
  live.delete(embed);
  embed.el.innerHTML = embed.initial;
  delete embed.el.dataset.state;
}

/** Stop the apps of embeds that are no longer in the document. */
export function stopDetached() {
  for (const embed of [...live]) {
    if (!embed.el.isConnected) teardown(embed.el);
  }
}
