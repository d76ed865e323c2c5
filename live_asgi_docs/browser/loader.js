// @ts-check
/**
 * live-asgi-docs page loader: starts the live apps embedded in a docs page.
 *
 * Each `.live-asgi` element carries its settings as JSON in
 * `data-live-asgi`. For each one the page registers the app's service worker
 * (scope `app/<name>/`), starts a Web Worker that runs the app, and shows the
 * app in an iframe at `app/<name>/~<instance>/<path>`: the instance segment
 * tells the service worker which page's worker answers, so two tabs never mix.
 *
 * Nothing is downloaded for an embed before it starts: when it scrolls into
 * view (`autostart: visible`), when the reader clicks "Run the app"
 * (`click`) or with the page (`load`).
 *
 * Exports `startAll(root)` (set up every embed in an element) and
 * `teardown(el)` (stop one embed and free its runtime), for themes that swap
 * page content without a reload.
 */

import {
  appPath,
  appUrl,
  failureText,
  formatBytes,
  instanceId,
  lastLine,
  normalizePath,
  progressText,
  shellPath,
} from "./embed.js";
import { MSG, readEmbedConfig, sendToServiceWorker, sendToWorker } from "./protocol.js";

/**
 * @typedef {import("./protocol.js").EmbedConfig} EmbedConfig
 * @typedef {{
 *   el: HTMLElement, config: EmbedConfig, initial: string, scope: string, path: string,
 *   worker: Worker | null, id: string, watchdog: number, resize: ResizeObserver | null,
 *   frame: HTMLIFrameElement, status: HTMLElement, message: HTMLElement, progress: HTMLProgressElement,
 *   details: HTMLDetailsElement, action: HTMLButtonElement, address: HTMLInputElement,
 *   open: HTMLAnchorElement, buttons: Record<string, HTMLButtonElement>,
 * }} Embed
 */

/** A start that reports nothing for this long is stuck: say so instead of spinning. */
const STALL_MS = 60_000;

/** Every app instance of this page, by instance id. */
/** @type {Map<string, {worker: Worker, scope: string}>} */
const instances = new Map();
/** @type {WeakMap<HTMLElement, Embed>} */
const embeds = new WeakMap();
/** The embeds set up and not torn down, to find those a theme removed. */
/** @type {Set<Embed>} */
const live = new Set();

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
        { rootMargin: "200px 0px" },
      )
    : null;

// A service worker that lost its ports (the browser stopped it) asks the open
// pages which one runs an instance; the owner answers with a fresh port, the
// others say no, so that an unowned instance is known at once.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    /** @type {import("./protocol.js").ConnectMessage} */
    const msg = event.data;
    if (!msg || msg.type !== MSG.connect || !event.ports[0]) return;
    const instance = instances.get(msg.instance);
    if (!instance || instance.scope !== msg.scope) {
      sendToServiceWorker(event.ports[0], { type: MSG.unknown });
      return;
    }
    const channel = new MessageChannel();
    sendToWorker(instance.worker, { type: MSG.port }, [channel.port1]);
    sendToServiceWorker(event.ports[0], { type: MSG.portOffer }, [channel.port2]);
  });
}

const ICONS = {
  back: '<path d="M19 12H5M12 19l-7-7 7-7"/>',
  forward: '<path d="M5 12h14M12 5l7 7-7 7"/>',
  reload: '<path d="M20.5 12a8.5 8.5 0 1 1-2.6-6.1L20.5 8.5"/><path d="M20.5 3v5.5H15"/>',
  restart: '<path d="M12 2.5v9"/><path d="M18.4 6.6a9 9 0 1 1-12.8 0"/>',
  open: '<path d="M14 3h7v7M10 14 21 3"/><path d="M20 14v5a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h5"/>',
};

/** @param {keyof typeof ICONS} name */
function icon(name) {
  return (
    '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" ' +
    `stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${ICONS[name]}</svg>`
  );
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} attrs
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, attrs = {}) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

/**
 * Build the toolbar, frame and status of an embed.
 * @param {HTMLElement} el
 * @returns {Embed}
 */
function build(el) {
  const config = readEmbedConfig(el.dataset.liveAsgi || "{}");
  const root = new URL(config.root, document.baseURI);
  const label = `Live app “${config.name}”`;
  const initial = el.innerHTML;
  el.textContent = "";

  const toolbar = make("div", { class: "live-asgi-toolbar", role: "toolbar", "aria-label": `${label}: controls` });
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {};
  /** @param {keyof typeof ICONS} name @param {string} text */
  const button = (name, text) => {
    const b = make("button", { type: "button", class: `live-asgi-${name}`, "aria-label": text, title: text });
    b.innerHTML = icon(name);
    b.disabled = true;
    buttons[name] = b;
    return b;
  };
  const address = make("input", {
    class: "live-asgi-address",
    type: "text",
    "aria-label": `${label}: address (press Enter to go)`,
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    enterkeyhint: "go",
  });
  address.value = config.path;
  address.disabled = true;
  const open = make("a", {
    class: "live-asgi-open",
    target: "_blank",
    rel: "noopener",
    "aria-label": "Open the app in a new tab",
    title: "Open the app in a new tab",
    "aria-disabled": "true",
  });
  open.innerHTML = icon("open");
  toolbar.append(
    button("back", "Back"),
    button("forward", "Forward"),
    button("reload", "Reload the app page"),
    address,
    button("restart", "Restart the app (a fresh instance)"),
    open,
  );

  const body = make("div", { class: "live-asgi-body" });
  const frame = make("iframe", { class: "live-asgi-frame", title: label });
  frame.hidden = true;
  const status = make("div", { class: "live-asgi-status", role: "status", "aria-live": "polite" });
  const message = make("p", { class: "live-asgi-message" });
  const progress = make("progress", { "aria-label": `${label}: starting` });
  progress.hidden = true;
  const details = make("details", { class: "live-asgi-details" });
  details.hidden = true;
  const action = make("button", { type: "button", class: "live-asgi-action" });
  action.hidden = true;
  status.append(message, progress, details, action);
  body.append(frame, status);
  el.append(toolbar, body);

  /** @type {Embed} */
  const embed = {
    el, config, initial, path: config.path, worker: null, id: "", watchdog: 0, resize: null,
    scope: new URL(config.scope, root).href,
    frame, status, message, progress, details, action, address, open, buttons,
  };
  wire(embed);
  return embed;
}

/**
 * Show a message in the frame's place.
 * @param {Embed} embed
 * @param {string} text
 * @param {{kind?: "info" | "error", traceback?: string, action?: string, onAction?: () => void}} [more]
 */
function show(embed, text, more = {}) {
  const { status, message, details, action, progress } = embed;
  status.hidden = false;
  status.dataset.kind = more.kind || "info";
  message.textContent = text;
  progress.hidden = more.kind === "error" || embed.el.dataset.state !== "starting";
  details.hidden = !more.traceback;
  if (more.traceback) {
    details.textContent = "";
    const summary = make("summary");
    summary.textContent = "Python traceback";
    const pre = make("pre");
    pre.textContent = more.traceback;
    details.append(summary, pre);
  }
  action.hidden = !more.action;
  action.textContent = more.action || "";
  action.onclick = more.onAction || null;
}

/** How long an app's lifespan shutdown may take before its worker is ended. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * End an app worker the way a server stops: its app's lifespan shutdown runs
 * (best effort), then the worker ends, at the latest after a grace period.
 * @param {Worker} worker
 */
function retire(worker) {
  sendToWorker(worker, { type: MSG.shutdown });
  setTimeout(() => worker.terminate(), SHUTDOWN_GRACE_MS);
}

// A page that goes away gives its apps the same chance, as far as the
// browser lets the workers run.
addEventListener("pagehide", (event) => {
  if (event.persisted) return; // kept in the back/forward cache: the app lives on
  for (const embed of live) if (embed.worker) sendToWorker(embed.worker, { type: MSG.shutdown });
});

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
  instances.delete(embed.id);
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
  embed.el.dataset.state = "failed";
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
  // The page that crashed it may do so again: restart at the first page.
  embed.path = embed.config.full ? "/" : embed.config.path;
  embed.address.value = embed.path;
  embed.el.dataset.state = "crashed";
  show(embed, `The app's Python runtime crashed (${reason}). Restart it to go on; what you did in the app is lost.`, {
    kind: "error",
    action: "Restart the app",
    onAction: () => start(embed),
  });
}

/**
 * Wait until a registration has an active worker.
 * @param {ServiceWorkerRegistration} reg
 */
async function activated(reg) {
  if (reg.active) return reg.active;
  const sw = reg.installing || reg.waiting;
  if (!sw) throw new Error("the service worker registration has no worker");
  await new Promise((resolve, reject) => {
    sw.addEventListener("statechange", () => {
      if (sw.state === "activated") resolve(undefined);
      if (sw.state === "redundant") reject(new Error("the service worker failed to install"));
    });
  });
  return /** @type {ServiceWorker} */ (/** @type {unknown} */ (reg.active));
}

/**
 * What the reader is told when the browser did not start the service worker.
 * @param {unknown} err
 */
function noServiceWorker(err) {
  return (
    "Live apps need a service worker, and this browser did not start one " +
    `(${err instanceof Error ? err.message : err}). Service workers are off in some private ` +
    "windows and by some browser settings; open the page in a normal window."
  );
}

/**
 * Start (or restart) the app of an embed: a new worker and a new instance.
 * @param {Embed} embed
 */
async function start(embed) {
  const { config, el } = embed;
  if (el.dataset.state === "starting") return;
  stopInstance(embed);
  observer?.unobserve(el);
  const reason = failureText(window);
  if (reason) {
    fail(embed, reason, { retry: false });
    return;
  }
  el.dataset.state = "starting";
  embed.progress.removeAttribute("value");
  show(embed, "Preparing…");
  const root = new URL(config.root, document.baseURI);
  const assets = new URL(config.assets, document.baseURI);

  // The service worker first: when the browser refuses it, nothing is
  // downloaded. Its installation then runs while the runtime boots.
  /** @type {Promise<ServiceWorker>} */
  let swActivated;
  try {
    // A module: it imports protocol.js from the code folder.
    const reg = await navigator.serviceWorker.register(new URL(config.sw, root).href, {
      scope: embed.scope,
      updateViaCache: "none",
      type: "module",
    });
    // A browser that blocks service workers may resolve with no registration.
    if (!reg) throw new Error("the browser gave no registration");
    swActivated = activated(reg);
    swActivated.catch(() => {});
  } catch (err) {
    fail(embed, noServiceWorker(err), { retry: false });
    return;
  }
  if (el.dataset.state !== "starting") return;

  const id = instanceId();
  // The browser code lies next to this file, in a folder named by its content.
  const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module", name: `live-asgi ${config.name}` });
  embed.worker = worker;
  embed.id = id;
  instances.set(id, { worker, scope: embed.scope });
  let stage = "runtime";
  const stalled = () => {
    if (embed.worker !== worker) return;
    fail(
      embed,
      `The app stopped starting: nothing happened for ${STALL_MS / 1000} s while ` +
        `${stage === "app" ? "starting the app" : "downloading the runtime and packages"}. ` +
        "A file of the site may be missing or corrupt, or the connection dropped.",
    );
  };
  const poke = () => {
    clearTimeout(embed.watchdog);
    embed.watchdog = window.setTimeout(stalled, STALL_MS);
  };
  poke();

  const ready = await new Promise((resolve) => {
    worker.onmessage = (/** @type {MessageEvent<import("./protocol.js").WorkerToPage>} */ event) => {
      if (embed.worker !== worker) return;
      const msg = event.data;
      if (msg.type === MSG.progress) {
        poke();
        stage = msg.stage;
        if (config.download > 0) {
          embed.progress.max = config.download;
          embed.progress.value = Math.min(msg.done || 0, config.download);
        }
        show(embed, progressText(msg.stage, msg.done || 0, config.download));
      } else if (msg.type === MSG.ready) {
        if (msg.memory) embed.el.dataset.wasmMemory = String(msg.memory);
        if (msg.timings) embed.el.dataset.timings = JSON.stringify(msg.timings);
        embed.el.dataset.restored = String(Boolean(msg.restored));
        clearTimeout(embed.watchdog);
        resolve(true);
      } else if (msg.type === MSG.failed) {
        fail(embed, msg.message, { traceback: msg.traceback });
        resolve(false);
      } else if (msg.type === MSG.crashed) {
        crash(embed, msg.message);
        resolve(false);
      }
    };
    worker.onerror = (event) => {
      if (embed.worker !== worker) return;
      event.preventDefault();
      const what = event.message || "the app's worker stopped";
      if (el.dataset.state === "starting") {
        fail(embed, `The app's runtime failed while starting: ${what}`);
        resolve(false);
      } else {
        crash(embed, what);
      }
    };
    sendToWorker(worker, {
      type: MSG.boot,
      runtime: new URL(config.runtime, assets).href,
      manifest: new URL(config.manifest, assets).href,
      bridge: new URL("bridge.py", import.meta.url).href,
    });
  });
  if (!ready || embed.worker !== worker) return;
  /** @type {ServiceWorker} */
  let sw;
  try {
    sw = await swActivated;
  } catch (err) {
    fail(embed, noServiceWorker(err), { retry: false });
    return;
  }

  const channel = new MessageChannel();
  sendToWorker(worker, { type: MSG.port }, [channel.port1]);
  sendToServiceWorker(sw, { type: MSG.portOffer, instance: id }, [channel.port2]);
  show(embed, "Opening the app…");
  embed.frame.src = appUrl(embed.scope, id, embed.path);
  embed.frame.hidden = false;
}

/**
 * The frame's window, or null when it shows another origin.
 * @param {Embed} embed
 * @returns {Window | null}
 */
function frameWindow(embed) {
  try {
    const win = embed.frame.contentWindow;
    return win && win.location.href ? win : null;
  } catch {
    return null;
  }
}

/**
 * Enable or disable the controls, and reflect the frame's history.
 * @param {Embed} embed
 * @param {boolean} running
 */
function setControls(embed, running) {
  const { buttons, address, open } = embed;
  buttons.reload.disabled = !running;
  buttons.restart.disabled = !running && embed.el.dataset.state !== "crashed";
  address.disabled = !running;
  const nav = running ? /** @type {any} */ (frameWindow(embed))?.navigation : null;
  buttons.back.disabled = !(nav && nav.canGoBack);
  buttons.forward.disabled = !(nav && nav.canGoForward);
  if (running) {
    open.href = embed.frame.src && frameWindow(embed) ? /** @type {Window} */ (frameWindow(embed)).location.href : embed.frame.src;
    open.removeAttribute("aria-disabled");
  } else {
    open.removeAttribute("href");
    open.setAttribute("aria-disabled", "true");
  }
}

/**
 * Make `:height: auto` follow the app page's content.
 * @param {Embed} embed
 * @param {Window} win
 */
function followHeight(embed, win) {
  embed.resize?.disconnect();
  const doc = win.document;
  if (!doc.body) return;
  const fit = () => {
    const body = doc.body;
    const style = win.getComputedStyle(body);
    // The body's own height, not the viewport's: the frame can shrink again.
    const height =
      Math.max(body.scrollHeight, body.getBoundingClientRect().height) +
      parseFloat(style.marginTop) +
      parseFloat(style.marginBottom);
    embed.frame.style.height = `${Math.max(120, Math.ceil(height))}px`;
  };
  // The frame's own ResizeObserver sees its layout.
  const Observer = /** @type {typeof ResizeObserver} */ (/** @type {any} */ (win).ResizeObserver);
  embed.resize = new Observer(fit);
  embed.resize.observe(doc.body);
  fit();
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
    if (el.dataset.state === "starting") {
      // The about:blank of a stopped instance may load late: not the app.
      if (path === null) return;
      el.dataset.state = "running";
      embed.status.hidden = true;
    }
    if (path !== null) {
      embed.path = path;
      if (document.activeElement !== address) address.value = path;
      if (config.full) history.replaceState(null, "", embed.scope + path.slice(1));
    }
    if (win) {
      /** @type {any} */ (win).navigation?.addEventListener("currententrychange", () => setControls(embed, true));
      if (config.height === "auto") followHeight(embed, win);
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
 * Set up one embed: build its UI and start it when its `autostart` says.
 * @param {HTMLElement} el
 */
function setup(el) {
  const embed = build(el);
  embeds.set(el, embed);
  live.add(embed);
  const { config } = embed;
  const label = `Live app “${config.name}”`;
  el.dataset.state = "idle";
  if (config.full) {
    el.classList.add("live-asgi-full");
    embed.path = shellPath(location.href, embed.scope);
    embed.address.value = embed.path;
  }
  if (config.height === "auto") el.classList.add("live-asgi-auto");
  const size = config.download > 0 ? ` (downloads ${formatBytes(config.download)})` : "";
  if (config.autostart === "click") {
    show(embed, `${label} runs Python in your browser.`, { action: `Run the app${size}`, onAction: () => start(embed) });
  } else if (config.autostart === "load" || !observer) {
    start(embed);
  } else {
    show(embed, `${label} starts when you scroll to it${size}.`);
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

// Pages that swap their content without a reload (Material for MkDocs'
// instant navigation) show new embeds and drop old ones in the same
// document: `document$` emits after every swap (and replays the current page
// to a new subscriber), so stop the apps that left and start the new ones.
const document$ = /** @type {{document$?: {subscribe: (f: () => void) => unknown}}} */ (
  /** @type {unknown} */ (window)
).document$;
if (document$ && typeof document$.subscribe === "function") {
  document$.subscribe(() => {
    stopDetached();
    startAll();
  });
} else {
  startAll();
}
