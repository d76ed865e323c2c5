// @ts-check
/**
 * live-asgi-docs app worker: one Pyodide interpreter running one app instance.
 *
 * Owned by the docs page (a dedicated Web Worker), so the app and its state
 * live as long as the page, whatever the browser does to the service worker.
 * The page sends `boot` once, then a MessagePort for every service worker that
 * needs to reach the app; requests come in on those ports.
 */

/**
 * @typedef {{type: "boot", runtime: string, manifest: string, bridge: string}} BootMessage
 * @typedef {{target: string, name: string, bundle: string, lock: string, packages: string[], wheels: string, debug: boolean}} Manifest
 */

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** @type {any} */
let pyodide = null;
/** @type {any} */
let bridge = null;
/** @type {Promise<void> | null} */
let ready = null;
/** @type {Set<MessagePort>} */
const ports = new Set();

/** @param {{stage: string, detail?: string, done?: number, total?: number}} progress */
function report(progress) {
  scope.postMessage({ type: "progress", ...progress });
}

/**
 * Fetch a URL as bytes, reporting progress; reject on any HTTP error so a
 * missing file says its name instead of hanging.
 * @param {string} url
 * @param {string} what
 */
async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what}: ${url} answered ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** @param {BootMessage} msg */
async function boot(msg) {
  const started = performance.now();
  report({ stage: "runtime", detail: "Downloading the Python runtime" });
  const manifestResponse = await fetch(msg.manifest, { cache: "no-cache" });
  if (!manifestResponse.ok) throw new Error(`the app manifest ${msg.manifest} answered ${manifestResponse.status}`);
  /** @type {Manifest} */
  const manifest = await manifestResponse.json();
  const base = new URL(".", msg.manifest);
  const bundleBytes = fetchBytes(new URL(manifest.bundle, base).href, "the app's code");
  const bridgeSource = fetch(msg.bridge).then((r) => {
    if (!r.ok) throw new Error(`the bridge ${msg.bridge} answered ${r.status}`);
    return r.text();
  });
  // The bridge imports it as _live_asgi_compat (see pyodide_compat.py).
  const compatSource = fetch(new URL("pyodide_compat.py", msg.bridge)).then((r) => {
    if (!r.ok) throw new Error(`the bridge's pyodide_compat.py answered ${r.status}`);
    return r.text();
  });
  const lock = fetch(new URL(manifest.lock, base)).then((r) => {
    if (!r.ok) throw new Error(`the app's lock file answered ${r.status}`);
    return r.json();
  });

  const { loadPyodide } = await import(new URL("pyodide.mjs", msg.runtime).href);
  pyodide = await loadPyodide({
    indexURL: msg.runtime,
    lockFileContents: lock,
    packageBaseUrl: new URL(manifest.wheels, base).href,
    packages: manifest.packages,
    stdout: (/** @type {string} */ line) => console.log(`[${manifest.name}] ${line}`),
    stderr: (/** @type {string} */ line) => console.warn(`[${manifest.name}] ${line}`),
  });
  report({ stage: "app", detail: "Starting the app" });
  const appDir = `/home/pyodide/live_asgi_apps/${manifest.name}`;
  pyodide.FS.mkdirTree(appDir);
  pyodide.unpackArchive(await bundleBytes, "zip", { extractDir: appDir });
  pyodide.FS.writeFile(`${appDir}/_live_asgi_bridge.py`, await bridgeSource);
  pyodide.FS.writeFile(`${appDir}/_live_asgi_compat.py`, await compatSource);
  const run = pyodide.runPython(`
import sys
sys.path.insert(0, ${JSON.stringify(appDir)})
import _live_asgi_bridge

async def _live_asgi_start(target, debug):
    app = _live_asgi_bridge.load_app(target)
    bridge = _live_asgi_bridge.Bridge(app, debug=debug)
    await bridge.startup()
    return bridge

_live_asgi_start
`);
  bridge = await run(manifest.target, manifest.debug);
  run.destroy();
  report({ stage: "ready", detail: `Ready in ${Math.round(performance.now() - started)} ms` });
}

/**
 * Serve one request from a service worker port.
 * @param {MessagePort} port
 * @param {any} msg
 */
async function serve(port, msg) {
  try {
    await ready;
  } catch (err) {
    port.postMessage({ type: "error", id: msg.id, message: `The app could not start: ${err}` });
    return;
  }
  const emit = {
    /** @param {number} status @param {any} headers */
    start(status, headers) {
      port.postMessage({ type: "start", id: msg.id, status, headers });
    },
    /** @param {Uint8Array} chunk */
    body(chunk) {
      port.postMessage({ type: "body", id: msg.id, chunk }, [chunk.buffer]);
    },
    end() {
      port.postMessage({ type: "end", id: msg.id });
    },
    /** @param {string} message */
    error(message) {
      port.postMessage({ type: "error", id: msg.id, message });
    },
  };
  try {
    await bridge.handle_js(msg, emit);
  } catch (err) {
    port.postMessage({ type: "error", id: msg.id, message: String(err) });
  }
}

/** @param {MessagePort} port */
function attach(port) {
  ports.add(port);
  port.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === "request") {
      serve(port, msg);
    } else if (msg.type === "cancel" && bridge) {
      bridge.cancel(msg.id);
    }
  };
}

/**
 * What the reader is told when the app could not start: for a failed lifespan
 * startup, the app's own message rather than the bridge's traceback.
 * @param {any} err
 */
function failureMessage(err) {
  const text = String(err && err.message ? err.message : err);
  const marker = "LifespanFailed: ";
  if (err && err.type === "LifespanFailed" && text.includes(marker)) {
    return `its startup failed: ${text.slice(text.lastIndexOf(marker) + marker.length).trim()}`;
  }
  return text;
}

scope.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "boot" && !ready) {
    ready = boot(msg);
    ready.catch((err) => {
      scope.postMessage({ type: "failed", message: failureMessage(err) });
    });
  } else if (msg.type === "port" && event.ports[0]) {
    attach(event.ports[0]);
  }
};
