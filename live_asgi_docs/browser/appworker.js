// @ts-check
/**
 * The page's side of an app worker (`worker.js`): start it, boot the app,
 * pass on what it reports, and end it the way a server stops.
 */

import { MSG, sendToWorker } from "./protocol.js";

/**
 * @typedef {import("./protocol.js").EmbedConfig} EmbedConfig
 * @typedef {import("./protocol.js").WorkerToPage} WorkerToPage
 * @typedef {{
 *   message: (msg: WorkerToPage) => void,
 *   error: (what: string) => void,
 * }} WorkerHandlers what the worker reports, and an uncaught error in it
 */

/** How long an app's lifespan shutdown may take before its worker is ended. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Start a worker for an app and boot it.
 * @param {EmbedConfig} config
 * @param {URL} assets the assets folder's URL
 * @param {string} rootPath the instance's mount prefix (every request's `root_path`)
 * @param {WorkerHandlers} handlers
 * @param {import("./protocol.js").EditedFile[]} [files] the reader's edits of the app's code
 * @param {Promise<unknown>} [after] what the boot waits for (the worker's own code loads meanwhile); none when it rejects
 * @returns {Worker}
 */
export function bootWorker(config, assets, rootPath, handlers, files = [], after = Promise.resolve()) {
  // The browser code lies next to this file, in a folder named by its content.
  const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module", name: `live-asgi ${config.name}` });
  worker.onmessage = (/** @type {MessageEvent<WorkerToPage>} */ event) => handlers.message(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    handlers.error(event.message || "the app's worker stopped");
  };
  after.then(
    () =>
      sendToWorker(worker, {
        type: MSG.boot,
        runtime: new URL(config.runtime, assets).href,
        manifest: new URL(config.manifest, assets).href,
        bridge: new URL("bridge.py", import.meta.url).href,
        rootPath,
        files,
      }),
    () => {},
  );
  return worker;
}

/**
 * End an app worker the way a server stops: its app's lifespan shutdown runs
 * (best effort), then the worker ends, at the latest after a grace period.
 * @param {Worker} worker
 */
export function retire(worker) {
  sendToWorker(worker, { type: MSG.shutdown });
  setTimeout(() => worker.terminate(), SHUTDOWN_GRACE_MS);
}

/**
 * Ask a worker for its app's lifespan shutdown, with no grace period (the page is going).
 * @param {Worker} worker
 */
export function shutdown(worker) {
  sendToWorker(worker, { type: MSG.shutdown });
}
