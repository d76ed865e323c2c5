// @ts-check
/**
 * The contract between the docs page, the app worker and the service worker,
 * declared once and imported by all three (and by the tests).
 *
 * - Message types and their shapes, channel by channel: each `*Message`
 *   union below is everything one side may send on one channel, and the
 *   `send*` helpers only accept those, so TypeScript's checker (`npm run
 *   typecheck`) catches a message nobody reads or a field spelled twice.
 * - The URL layout of an app instance: `<scope>~<instance><app path>`.
 * - The keys of the embed config (`data-live-asgi`) and of an app's
 *   `manifest.json`, which Python writes (`live_asgi_docs/protocol.py`);
 *   `tests/contract/` checks that what a real build writes is what these
 *   readers accept.
 */

/** Every message type, by what it is for. */
export const MSG = Object.freeze({
  // page -> app worker
  boot: "boot",
  port: "port",
  shutdown: "shutdown",
  run: "run",
  shown: "shown",
  // app worker -> page
  progress: "progress",
  ready: "ready",
  failed: "failed",
  crashed: "crashed",
  snapshot: "snapshot",
  ran: "ran",
  runFailed: "run-failed",
  // service worker -> app worker, over a port the page handed over
  request: "request",
  cancel: "cancel",
  // app worker -> service worker, the answer to a request
  start: "start",
  full: "full",
  body: "body",
  end: "end",
  error: "error",
  // service worker -> pages: "who runs this instance?"
  connect: "live-asgi-connect",
  // page -> service worker: "this port reaches it" (also the owner's reply to `connect`)
  portOffer: "live-asgi-port",
  // page -> service worker, reply to `connect`: "not mine"
  unknown: "live-asgi-unknown",
  // an app page -> service worker: it opened a WebSocket (the socket's port attached)
  openSocket: "live-asgi-websocket",
  // service worker -> app worker: a socket's port, from a page of that instance
  websocket: "websocket",
});

/**
 * The messages on a WebSocket's own port, between the app's page and its
 * worker. The page's script cannot import this module (the service worker
 * inlines it into the page): it gets this table as an argument.
 */
export const SOCKET = Object.freeze({
  // app worker -> page
  accept: "accept",
  message: "message",
  close: "close",
  deny: "deny",
  // page -> app worker (`close` too)
  send: "send",
  gone: "gone",
});

/**
 * @typedef {[string, string][]} Headers
 *
 * Page -> app worker. `files` are the reader's edits of the app's code
 * (paths relative to the folder the bundle is unpacked in): written over it
 * before the app is imported (`boot`), or run again in place (`run`).
 * @typedef {{path: string, text: string}} EditedFile
 * @typedef {{type: typeof MSG.boot, runtime: string, manifest: string, bridge: string, rootPath: string,
 *   files?: EditedFile[]}} BootMessage
 *   `rootPath`: the instance's mount prefix, every request's root_path (LIVE_ASGI_ROOT_PATH)
 * @typedef {{type: typeof MSG.port}} PortMessage  carries the port in `event.ports[0]`
 * @typedef {{type: typeof MSG.shutdown}} ShutdownMessage
 * @typedef {{type: typeof MSG.run, files: EditedFile[]}} RunMessage
 * @typedef {{type: typeof MSG.shown}} ShownMessage  the app's page is loaded in its frame: the
 *   worker's background work (storing the snapshot for the next visit) no longer delays it
 * @typedef {BootMessage | PortMessage | ShutdownMessage | RunMessage | ShownMessage} PageToWorker
 *
 * App worker -> page.
 * @typedef {{type: typeof MSG.progress, stage: string, done: number, downloading: number}} ProgressMessage
 *   `done`: bytes downloaded so far; `downloading`: downloads still open (the page's
 *   watchdog tells a stalled network from a worker busy computing by it)
 * @typedef {{runtime: number, app: number, steps?: Record<string, number>}} Timings  ms since the worker
 *   began to runtime and packages ready, then the app's import and startup; `steps`: where the
 *   first part went, step by step (ms each)
 * @typedef {{type: typeof MSG.ready, memory: number, restored: boolean, timings: Timings}} ReadyMessage
 * @typedef {{type: typeof MSG.failed, message: string, traceback?: string}} FailedMessage
 * @typedef {{type: typeof MSG.crashed, message: string}} CrashedMessage
 * @typedef {{type: typeof MSG.snapshot, ok: boolean}} SnapshotMessage
 * @typedef {{type: typeof MSG.ran, ms: number}} RanMessage  the edited app runs (`ms`: the restart)
 * @typedef {{type: typeof MSG.runFailed, message: string, traceback?: string}} RunFailedMessage
 * @typedef {ProgressMessage | ReadyMessage | FailedMessage | CrashedMessage | SnapshotMessage | RanMessage
 *   | RunFailedMessage} WorkerToPage
 *
 * Service worker -> app worker (over a port).
 * @typedef {{type: typeof MSG.request, id: number, method: string, url: string, rootPath: string,
 *   headers: Headers, body: ArrayBuffer | undefined, referrer: string, mode: string, destination: string}} RequestMessage
 * @typedef {{type: typeof MSG.cancel, id: number}} CancelMessage
 * @typedef {{type: typeof MSG.websocket, url: string, rootPath: string, origin: string, protocols: string[],
 *   headers: Headers}} WebSocketMessage  carries the socket's port in `event.ports[0]`
 * @typedef {RequestMessage | CancelMessage | WebSocketMessage} ServiceWorkerToWorker
 *
 * App worker -> service worker (over a port): `start`, any `body`s and `end`,
 * or `full` alone, or `error` at any point.
 * @typedef {{type: typeof MSG.start, id: number, status: number, headers: Headers}} StartMessage
 * @typedef {{type: typeof MSG.full, id: number, status: number, headers: Headers, body: Uint8Array}} FullMessage
 * @typedef {{type: typeof MSG.body, id: number, chunk: Uint8Array}} BodyMessage
 * @typedef {{type: typeof MSG.end, id: number}} EndMessage
 * @typedef {{type: typeof MSG.error, id: number, message: string}} ErrorMessage
 * @typedef {StartMessage | FullMessage | BodyMessage | EndMessage | ErrorMessage} WorkerToServiceWorker
 *
 * Service worker -> page (with a port for the reply).
 * @typedef {{type: typeof MSG.connect, instance: string, scope: string}} ConnectMessage
 *
 * Page -> service worker: a port to an instance (with `instance`), or the
 * reply to `connect` on its port (the port, or `unknown`).
 * @typedef {{type: typeof MSG.portOffer, instance?: string}} PortOfferMessage
 * @typedef {{type: typeof MSG.unknown}} UnknownMessage
 * @typedef {PortOfferMessage | UnknownMessage} PageToServiceWorker
 *
 * An app page -> service worker: a new WebSocket (its port attached).
 * @typedef {{type: typeof MSG.openSocket, url: string, protocols: string[], headers: Headers}} OpenSocketMessage
 *
 * On a socket's port: app worker (or the service worker, when it cannot reach
 * the app) -> page, and page -> app worker. A `deny` with status 0 means the
 * app was not reached.
 * @typedef {{type: typeof SOCKET.accept, protocol: string, headers: Headers}} SocketAccept
 * @typedef {{type: typeof SOCKET.message, data: string | ArrayBuffer}} SocketData
 * @typedef {{type: typeof SOCKET.close, code: number, reason: string, detail?: string}} SocketClosed
 * @typedef {{type: typeof SOCKET.deny, status: number, detail?: string}} SocketDenied
 * @typedef {SocketAccept | SocketData | SocketClosed | SocketDenied} SocketEvent
 * @typedef {{type: typeof SOCKET.send, data: string | ArrayBuffer}} SocketSend
 * `close` from the page: `code` null when `close()` had none, 1006 when the
 * page failed the connection (closed it while connecting).
 * @typedef {{type: typeof SOCKET.close, code: number | null, reason: string}} SocketClose
 * @typedef {{type: typeof SOCKET.gone}} SocketGone
 * @typedef {SocketSend | SocketClose | SocketGone} SocketCommand
 */

/**
 * @typedef {{postMessage(message: any, transfer: Transferable[]): void}} Target
 */

/**
 * Post on a channel; the message type is checked against the channel's table.
 * @template M
 * @param {Target} target
 * @param {M} message
 * @param {Transferable[]} [transfer]
 */
function post(target, message, transfer = []) {
  target.postMessage(message, transfer);
}

/** @type {(target: Target, message: PageToWorker, transfer?: Transferable[]) => void} */
export const sendToWorker = post;
/** @type {(target: Target, message: WorkerToPage, transfer?: Transferable[]) => void} */
export const sendToPage = post;
/** @type {(target: Target, message: ServiceWorkerToWorker, transfer?: Transferable[]) => void} */
export const sendRequest = post;
/** @type {(target: Target, message: WorkerToServiceWorker, transfer?: Transferable[]) => void} */
export const sendResponse = post;
/** @type {(target: Target, message: ConnectMessage, transfer?: Transferable[]) => void} */
export const sendConnect = post;
/** @type {(target: Target, message: PageToServiceWorker, transfer?: Transferable[]) => void} */
export const sendToServiceWorker = post;
/** @type {(target: Target, message: OpenSocketMessage, transfer?: Transferable[]) => void} */
export const sendOpenSocket = post;
/** @type {(target: Target, message: SocketEvent, transfer?: Transferable[]) => void} */
export const sendSocketEvent = post;
/** @type {(target: Target, message: SocketCommand, transfer?: Transferable[]) => void} */
export const sendSocketCommand = post;

/** Statuses whose Response must have a null body (the bridge's `NULL_BODY_STATUSES`). */
export const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** The instance segment that starts an app URL under its scope: `~<id>`. */
export const INSTANCE_PATTERN = /^~([a-z0-9]+)(?=[/?#]|$)/;

/**
 * The URL of an app page: `<scope>~<instance><path>`.
 * @param {string} scope The app's service worker scope, ending in `/`.
 * @param {string} instance
 * @param {string} path The app path, starting with `/`.
 * @returns {string}
 */
export function appUrl(scope, instance, path) {
  const rest = path.startsWith("/") ? path : `/${path}`;
  return `${scope}~${instance}${rest}`;
}

/**
 * Split a URL under an app's scope into its instance and its app path.
 * @param {string} url
 * @param {string} scope The app's service worker scope, ending in `/`.
 * @returns {{instance: string, rootPath: string, path: string} | null} The
 *   instance id, the ASGI `root_path` (the scope's path and the instance
 *   segment) and the app path (`/items?x=1`); null when the URL has no
 *   instance segment under the scope.
 */
export function parseAppUrl(url, scope) {
  if (!url.startsWith(scope)) return null;
  const rest = url.slice(scope.length);
  const match = INSTANCE_PATTERN.exec(rest);
  if (!match) return null;
  const after = rest.slice(match[0].length);
  return {
    instance: match[1],
    rootPath: new URL(scope).pathname + match[0],
    path: after.startsWith("/") ? after : `/${after}`,
  };
}

/**
 * A key table: each key with its JSON type (`string`, `number`, `boolean`,
 * `string[]`, `object`) and whether it may be missing.
 * @typedef {Record<string, {type: "string" | "number" | "boolean" | "string[]" | "object", optional?: boolean}>} KeyTable
 */

/**
 * The embed's settings, JSON in the `data-live-asgi` attribute. `root` is the
 * site root relative to the page; `scope` (the app's folder) and `sw` (the
 * service worker script) are relative to `root`; `assets` is relative to the
 * page, and `runtime` and `manifest` to `assets`. `download` is what a cold
 * start downloads, in bytes as they travel (compressed on a precompressed site);
 * `decoded`, what the browser decodes of them (what the worker counts).
 * `editor`, for an embed with a code editor: the files it shows (`name` on
 * the tab, `path` under the unpacked bundle, the published `text`).
 * @typedef {{name: string, path: string, text: string}} EditorFile
 * @typedef {{files: EditorFile[], readOnly: boolean}} EditorConfig
 * @typedef {{name: string, path: string, height: string, autostart: string, download: number,
 *   root: string, scope: string, sw: string, assets: string, runtime: string, manifest: string,
 *   full?: boolean, editor?: EditorConfig, prompt?: string, decoded?: number}} EmbedConfig
 */
/** @type {KeyTable} */
export const EMBED_CONFIG_KEYS = {
  name: { type: "string" },
  path: { type: "string" },
  height: { type: "string" },
  autostart: { type: "string" },
  download: { type: "number" },
  root: { type: "string" },
  scope: { type: "string" },
  sw: { type: "string" },
  assets: { type: "string" },
  runtime: { type: "string" },
  manifest: { type: "string" },
  full: { type: "boolean", optional: true },
  editor: { type: "object", optional: true },
  prompt: { type: "string", optional: true },
  decoded: { type: "number", optional: true },
};

/**
 * An app's `manifest.json`.
 * @typedef {{name: string, target: string, bundle: string, lock: string, packages: string[],
 *   wheels: string, stdlib?: string, sources?: string, late_stdlib?: string, late_modules?: string[],
 *   debug: boolean, site_packages: string, bridge_imports: string[]}} Manifest
 */
/** @type {KeyTable} */
export const MANIFEST_KEYS = {
  name: { type: "string" },
  target: { type: "string" },
  bundle: { type: "string" },
  lock: { type: "string" },
  packages: { type: "string[]" },
  wheels: { type: "string" },
  stdlib: { type: "string", optional: true },
  sources: { type: "string", optional: true },
  late_stdlib: { type: "string", optional: true },
  late_modules: { type: "string[]", optional: true },
  debug: { type: "boolean" },
  site_packages: { type: "string" },
  bridge_imports: { type: "string[]" },
};

/**
 * Check a parsed JSON object against a key table.
 * @param {unknown} value
 * @param {KeyTable} keys
 * @param {string} what for the error message
 * @returns {Record<string, unknown>}
 */
function checked(value, keys, what) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not a JSON object`);
  }
  const record = /** @type {Record<string, unknown>} */ (value);
  for (const [key, spec] of Object.entries(keys)) {
    const item = record[key];
    if (item === undefined) {
      if (spec.optional) continue;
      throw new Error(`${what} has no "${key}"`);
    }
    const ok =
      spec.type === "string[]"
        ? Array.isArray(item) && item.every((x) => typeof x === "string")
        : spec.type === "object"
          ? typeof item === "object" && item !== null && !Array.isArray(item)
          : typeof item === spec.type;
    if (!ok) throw new Error(`${what}: "${key}" is not a ${spec.type}`);
  }
  return record;
}

/**
 * Read an embed's `data-live-asgi` settings.
 * @param {string} json
 * @returns {EmbedConfig}
 */
export function readEmbedConfig(json) {
  return /** @type {EmbedConfig} */ (checked(JSON.parse(json), EMBED_CONFIG_KEYS, "the embed's settings"));
}

/**
 * Read an app's manifest (already parsed from JSON).
 * @param {unknown} value
 * @returns {Manifest}
 */
export function readManifest(value) {
  return /** @type {Manifest} */ (checked(value, MANIFEST_KEYS, "the app's manifest"));
}
