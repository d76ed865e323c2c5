// @ts-check
/**
 * live-asgi-docs page loader: starts the live apps embedded in a docs page.
 *
 * Each `.live-asgi` element carries its settings as JSON in
 * `data-live-asgi`. For each one the page registers the app's service worker
 * (scope `app/<name>/`), starts a Web Worker that runs the app, and shows the
 * app in an iframe at `app/<name>/~<instance>/<path>`: the instance segment
 * tells the service worker which page's worker answers, so two tabs never mix.
 */

import { instanceId, appUrl, failureText } from "./embed.js";

/**
 * @typedef {{name: string, path: string, height: string, root: string, assets: string, runtime: string}} EmbedConfig
 */

/** Every app instance of this page, by instance id. */
/** @type {Map<string, {worker: Worker, scope: string, el: HTMLElement}>} */
const instances = new Map();

// A service worker that lost its ports (the browser stopped it) asks the open
// pages which one runs an instance; the owner answers with a fresh port.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    const msg = event.data;
    if (!msg || msg.type !== "live-asgi-connect") return;
    const instance = instances.get(msg.instance);
    if (!instance || instance.scope !== msg.scope || !event.ports[0]) return;
    const channel = new MessageChannel();
    instance.worker.postMessage({ type: "port" }, [channel.port1]);
    event.ports[0].postMessage({ type: "live-asgi-port" }, [channel.port2]);
  });
}

/**
 * @param {HTMLElement} el
 * @param {string} text
 * @param {"info" | "error"} kind
 */
function setStatus(el, text, kind = "info") {
  const status = /** @type {HTMLElement} */ (el.querySelector(".live-asgi-status"));
  const message = /** @type {HTMLElement} */ (el.querySelector(".live-asgi-message"));
  status.hidden = false;
  status.dataset.kind = kind;
  message.textContent = text;
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
  return /** @type {ServiceWorker} */ (reg.active);
}

/** @param {HTMLElement} el */
async function start(el) {
  /** @type {EmbedConfig} */
  const config = JSON.parse(el.dataset.liveAsgi || "{}");
  const root = new URL(config.root, document.baseURI);
  const assets = new URL(config.assets, document.baseURI);
  const scope = new URL(`app/${config.name}/`, root).href;
  const reason = failureText(window);
  if (reason) {
    setStatus(el, reason, "error");
    return;
  }
  setStatus(el, "Starting the Python runtime…");
  const progress = /** @type {HTMLProgressElement} */ (el.querySelector("progress"));
  const id = instanceId();
  const worker = new Worker(new URL("worker.js", assets), { type: "module", name: `live-asgi ${config.name}` });
  instances.set(id, { worker, scope, el });

  const booted = new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      const msg = event.data;
      if (msg.type === "progress") {
        if (msg.stage === "ready") resolve(undefined);
        else setStatus(el, `${msg.detail}…`);
        if (progress && msg.total) {
          progress.max = msg.total;
          progress.value = msg.done || 0;
        }
      } else if (msg.type === "failed") {
        reject(new Error(msg.message));
      }
    };
    worker.onerror = (event) => reject(new Error(event.message || "the app worker crashed"));
  });
  worker.postMessage({
    type: "boot",
    runtime: new URL(config.runtime, assets).href,
    manifest: new URL(`apps/${config.name}/manifest.json`, assets).href,
    bridge: new URL("bridge.py", assets).href,
  });

  const registered = navigator.serviceWorker
    .register(new URL("app/live-asgi-sw.js", root).href, { scope, updateViaCache: "none" })
    .then(activated);

  try {
    const [sw] = await Promise.all([registered, booted]);
    const channel = new MessageChannel();
    worker.postMessage({ type: "port" }, [channel.port1]);
    sw.postMessage({ type: "live-asgi-port", instance: id }, [channel.port2]);
  } catch (err) {
    setStatus(el, `The live app could not start: ${err instanceof Error ? err.message : err}`, "error");
    return;
  }
  const frame = /** @type {HTMLIFrameElement} */ (el.querySelector("iframe"));
  frame.src = appUrl(scope, id, config.path);
  frame.hidden = false;
  frame.addEventListener(
    "load",
    () => {
      const status = /** @type {HTMLElement} */ (el.querySelector(".live-asgi-status"));
      status.hidden = true;
      el.dataset.state = "running";
    },
    { once: true },
  );
}

// Pages that swap their content without a reload (Material for MkDocs'
// instant navigation) show new embeds and drop old ones in the same document:
// start the new ones, and stop the app of every embed that left the page.

/** The embeds started so far (a re-scan must not start one twice). */
const started = new WeakSet();

/** Terminate the app workers of embeds that are no longer in the document. */
export function stopDetached() {
  for (const [id, instance] of instances) {
    if (instance.el.isConnected) continue;
    instance.worker.terminate();
    instances.delete(id);
  }
}

/** Stop the apps of embeds that left the document, start those not started yet. */
export function startAll() {
  stopDetached();
  for (const el of document.querySelectorAll(".live-asgi[data-live-asgi]")) {
    if (started.has(el)) continue;
    started.add(el);
    start(/** @type {HTMLElement} */ (el));
  }
}

// Material exposes `document$`, which emits after every instant navigation
// (and replays the current page to a new subscriber).
const document$ = /** @type {{document$?: {subscribe: (f: () => void) => unknown}}} */ (
  /** @type {unknown} */ (window)
).document$;
if (document$ && typeof document$.subscribe === "function") document$.subscribe(() => startAll());
else startAll();
