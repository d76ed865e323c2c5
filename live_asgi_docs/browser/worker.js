// @ts-check
/**
 * live-asgi-docs app worker: one Pyodide interpreter running one app instance.
 *
 * Owned by the docs page (a dedicated Web Worker), so the app and its state
 * live as long as the page, whatever the browser does to the service worker.
 * The page sends `boot` once (with the instance's mount prefix, the app's
 * `root_path`), then a MessagePort for every service worker that
 * needs to reach the app; requests come in on those ports.
 */

/**
 * @typedef {import("./protocol.js").BootMessage} BootMessage
 * @typedef {import("./protocol.js").PageToWorker} PageToWorker
 * @typedef {import("./protocol.js").ServiceWorkerToWorker} ServiceWorkerToWorker
 * @typedef {import("./protocol.js").RequestMessage} RequestMessage
 * @typedef {import("./protocol.js").WebSocketMessage} WebSocketMessage
 * @typedef {import("./protocol.js").SocketEvent} SocketEvent
 * @typedef {import("./protocol.js").SocketCommand} SocketCommand
 * @typedef {import("./protocol.js").EditedFile} EditedFile
 * @typedef {import("./protocol.js").Manifest} Manifest
 */

import { exceptionText } from "./embed.js";
import { MSG, SOCKET, readManifest, sendResponse, sendSocketEvent, sendToPage } from "./protocol.js";
import { lockContents, restoreFromSnapshot, saveUnfit, snapshotKey, snapshotable, startForSnapshot, takeSnapshot, watchFiles } from "./snapshot.js";

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** @type {any} */
let pyodide = null;
/** @type {any} */
let bridge = null;
/** @type {Promise<void> | null} */
let ready = null;
/** @type {Set<MessagePort>} */
const ports = new Set();
/** The first request key of the next port attached (see `attach`). */
let nextPortBase = 0;
/** Where the app's bundle is unpacked (on `sys.path`). */
let appDir = "";
/** @type {Manifest | null} */
let app = null;
/** The bridge's `load(target, root_path=, debug=)`, kept to start the app again from edited files. @type {any} */
let startApp = null;
/** The instance's mount prefix (every request's root_path). */
let rootPath = "";
/** The URL of the bridge (the other Python files lie next to it). */
let bridgeUrl = "";

/** How long after the app is ready the snapshot is stored at the latest when the page
 * does not say that the app's page is shown (a frame that never loads, the benchmark's
 * second worker): well before a reader who leaves 3 s after the start. */
const SNAPSHOT_LATEST_MS = 1000;
/** @type {() => void} */
let showApp = () => {};
/** Settles once the app's first page is loaded in its frame (or {@link SNAPSHOT_LATEST_MS}
 * after the app is ready): the snapshot's storing waits for it. */
const appShown = new Promise((/** @type {(value?: unknown) => void} */ resolve) => (showApp = resolve));

/** Bytes of every response read while booting (runtime, packages, app). */
let received = 0;
/** Downloads of the boot not finished yet: the page's watchdog reads a silence
 * while one is open as a stalled network, otherwise as the worker computing. */
let downloading = 0;
let stage = "runtime";
let booting = true;
let lastReport = 0;

/**
 * The app this worker runs, for a script that imports this one to measure it
 * (the benchmark's "Python alone" floor boots through this very file).
 * @returns {{pyodide: any, bridge: any, ready: Promise<void> | null}}
 */
export function running() {
  return { pyodide, bridge, ready };
}

/** @param {boolean} [force] */
function report(force = false) {
  // Once the app runs, progress would only wake the page's watchdog.
  if (!booting) return;
  const now = performance.now();
  // Progress is for eyes: a few updates a second are enough.
  if (!force && now - lastReport < 100) return;
  lastReport = now;
  sendToPage(scope, { type: MSG.progress, stage, done: received, downloading });
}

/** @param {string} next */
function enter(next) {
  stage = next;
  report(true);
}

/** @param {string} message @param {string} [traceback] */
function failed(message, traceback) {
  sendToPage(scope, { type: MSG.failed, message, traceback });
}

// Pyodide fetches the runtime and the wheels itself: a fetch that counts the
// bytes of what it reads gives the reader a real progress bar, and a file the
// server does not have fails the start at once, with its name.
const nativeFetch = scope.fetch.bind(scope);

/**
 * The runtime's files, asked for as soon as the worker knows their URLs (before
 * the manifest, the lock and the snapshot lookup say how to start Pyodide):
 * Pyodide's own request for one gets that response, as the network gave it
 * (`counted`: its download is counted already, see {@link compileEarly}).
 * @type {Map<string, {response: Promise<Response>, counted: boolean}>}
 */
const early = new Map();

/** @param {string} url */
function askEarly(url) {
  const response = nativeFetch(url);
  response.catch(() => {}); // whoever takes it sees the failure
  early.set(new URL(url).href, { response, counted: false });
}

/**
 * The runtime's wasm, compiled while it downloads from the worker's first
 * moment; Pyodide's instantiation of that response takes this module
 * instead of starting to compile only once its scripts are loaded.
 * @type {{response: Promise<Response>, module: Promise<WebAssembly.Module>} | null}
 */
let runtimeWasm = null;

/** @param {string} url */
function compileEarly(url) {
  // Through the counting fetch: the reader's progress bar, and a missing file named at once.
  const response = scope.fetch(url);
  // A response straight from the network: the browser keeps the compiled code for the next visit.
  const module = response.then((r) => WebAssembly.compileStreaming(r));
  response.catch(() => {});
  module.catch(() => {}); // the instantiation reports it
  runtimeWasm = { response, module };
  early.set(new URL(url).href, { response, counted: true });
}

scope.fetch = async (/** @type {RequestInfo | URL} */ input, /** @type {RequestInit | undefined} */ init) => {
  if (!booting) return nativeFetch(input, init);
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  // Only a plain GET (as Pyodide asks: a URL, no options) takes an early response.
  const key = new URL(url, location.href).href;
  const ahead = !(input instanceof Request) && !(init && Object.keys(init).length) ? early.get(key) : undefined;
  if (ahead) early.delete(key);
  if (ahead?.counted) return ahead.response;
  // Counted from the request to the body's last byte, and reported at both
  // ends: the page must know whether the boot waits for the network.
  let open = true;
  const finished = () => {
    if (!open) return;
    open = false;
    downloading--;
    // Compiling the runtime takes seconds after its last byte: say so.
    if (stage === "runtime" && url.endsWith("pyodide.asm.wasm")) enter("compile");
    else report(true);
  };
  downloading++;
  report(true);
  /** @type {Response} */
  let response;
  try {
    response = await (ahead?.response ?? nativeFetch(input, init));
  } catch (err) {
    finished();
    throw err;
  }
  if (!booting) {
    finished();
    return response;
  }
  if (!response.ok) {
    finished();
    const file = decodeURIComponent(new URL(url).pathname.split("/").pop() || url);
    failed(
      `A file the app needs could not be downloaded: ${file} (the server answered ` +
        `${response.status}${response.statusText ? ` ${response.statusText}` : ""}). ` +
        "The site may be incompletely published; reload the page later or tell its authors.",
    );
    return response;
  }
  if (!response.body) {
    finished();
    return response;
  }
  // Counted on a copy: Pyodide gets the very response the network gave, since
  // the browser keeps (and reuses) the compiled code of the runtime's wasm
  // only for a response from its HTTP cache, never for one made here.
  const reader = /** @type {ReadableStream<Uint8Array>} */ (response.clone().body).getReader();
  (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        received += chunk.value.byteLength;
        report();
      }
    } catch {
      // The failed download fails whoever reads the response, too.
    }
    finished();
  })();
  return response;
};

// Pyodide only logs a failed instantiation of its wasm file and then waits
// forever: turn the failure into a message (a corrupt file, a wrong type).
const instantiate = WebAssembly.instantiate.bind(WebAssembly);
for (const name of /** @type {const} */ (["instantiateStreaming", "instantiate"])) {
  const original = /** @type {any} */ (WebAssembly[name]).bind(WebAssembly);
  /** @type {any} */ (WebAssembly)[name] = async (/** @type {any[]} */ ...args) => {
    try {
      if (name === "instantiateStreaming" && runtimeWasm && (await args[0]) === (await runtimeWasm.response)) {
        const module = await runtimeWasm.module;
        return { module, instance: await instantiate(module, args[1]) };
      }
      return await original(...args);
    } catch (err) {
      if (booting) {
        failed(
          "The Python runtime could not be started: its file pyodide.asm.wasm is damaged or is not " +
            `served as WebAssembly (${err instanceof Error ? err.message : err}). Reload the page; if ` +
            "this stays, tell the site's authors.",
        );
      }
      throw err;
    }
  };
}

/**
 * Fetch a URL as bytes; reject on any HTTP error so a missing file says its
 * name instead of hanging.
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
  enter("runtime");
  // The manifest first (then the lock, then the wheels: the longest chain of
  // requests), and the runtime's own files at once, while that chain runs (it
  // decides only how Pyodide starts, not which runtime): its wasm, compiled as
  // it arrives, and its two scripts (Pyodide's import of pyodide.asm.mjs then
  // finds it loaded).
  const manifestRequest = fetch(msg.manifest, { cache: "no-cache" });
  const wasmURL = new URL("pyodide.asm.wasm", msg.runtime).href;
  if (typeof WebAssembly.compileStreaming === "function") compileEarly(wasmURL);
  else askEarly(wasmURL);
  const pyodideModule = import(new URL("pyodide.mjs", msg.runtime).href);
  const asmModule = import(new URL("pyodide.asm.mjs", msg.runtime).href);
  pyodideModule.catch(() => {});
  asmModule.catch(() => {});
  const manifestResponse = await manifestRequest;
  if (!manifestResponse.ok) throw new Error(`the app manifest ${msg.manifest} answered ${manifestResponse.status}`);
  const manifest = readManifest(await manifestResponse.json());
  const base = new URL(".", msg.manifest);
  const lock = fetch(new URL(manifest.lock, base)).then((r) => {
    if (!r.ok) throw new Error(`the app's lock file answered ${r.status}`);
    return r.json();
  });
  // The standard library with the build's bytecode, when it has some.
  const stdLibURL = manifest.stdlib ? new URL(manifest.stdlib, base).href : undefined;
  askEarly(stdLibURL ?? new URL("python_stdlib.zip", msg.runtime).href);
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
  compatSource.catch(() => {});
  // Nobody awaits these until the runtime is up: keep their failure for then.
  bundleBytes.catch(() => {});
  bridgeSource.catch(() => {});

  const wheelsBase = new URL(manifest.wheels, base).href;
  const lockFile = await lock;
  const { wheels, imports } = lockContents(lockFile, manifest.packages, wheelsBase);
  const viaSnapshot = typeof caches !== "undefined" && snapshotable(lockFile, manifest.packages);
  // The snapshot's paths fetch the wheels as plain files: ask for them now.
  if (viaSnapshot) for (const url of wheels) askEarly(url);
  const { loadPyodide } = await pyodideModule;
  const output = {
    stdout: (/** @type {string} */ line) => console.log(`[${manifest.name}] ${line}`),
    stderr: (/** @type {string} */ line) => console.warn(`[${manifest.name}] ${line}`),
  };
  // A snapshot of the interpreter with the app's packages (and, when it could
  // be kept, the app's module) imported, kept by this browser since an
  // earlier visit; none when absent or unusable.
  const code = [manifest.bundle, manifest.target, msg.bridge];
  const key = await snapshotKey({ app: msg.manifest, runtime: msg.runtime, stdlib: stdLibURL, lock: manifest.lock, userAgent: navigator.userAgent, code });
  const sitePackages = manifest.site_packages;
  /** @type {Record<string, number>} the worker's start, the manifest, the lock and Pyodide's loader, then each step */
  const steps = { "worker, manifest and lock": Math.round(performance.now()) };
  const restore = await restoreFromSnapshot({ key, indexURL: msg.runtime, stdLibURL, wheels, sitePackages, loadPyodide, config: output }, steps);
  pyodide = restore.pyodide;
  const restored = pyodide !== null;
  /** Whether the app's module is imported already (restored with it). */
  const appRestored = restored && restore.app === manifest.target;
  /** @type {Promise<import("./snapshot.js").SnapshotRecord> | null} */
  let saved = null;
  /** Set when the snapshot is to be taken after the app's import. @type {string[] | null} */
  let imported = null;
  if (restored) {
    console.info(`live-asgi: ${manifest.name} started from a snapshot${appRestored ? " with the app imported" : ""}`);
  } else if (viaSnapshot) {
    let started;
    ({ pyodide, ...started } = await startForSnapshot({
      indexURL: msg.runtime,
      stdLibURL,
      wheels,
      imports: [...imports, ...manifest.bridge_imports],
      sitePackages,
      loadPyodide,
      config: output,
    }, steps));
    if (restore.unfit.length || msg.files?.length) {
      // The app's import cannot be kept (an earlier visit found out), or the
      // reader's edits would be: the snapshot holds the packages only.
      const began = performance.now();
      try {
        saved = takeSnapshot(pyodide, key, { imported: started.imported, app: null, unfit: restore.unfit }, appShown);
      } catch (err) {
        saved = Promise.reject(err);
        saved.catch(() => {});
      }
      steps["snapshot taken"] = Math.round(performance.now() - began);
    } else {
      imported = started.imported;
    }
  } else {
    // The wheels download while the runtime boots (Pyodide's `packages`).
    /** @type {string[]} */
    const problems = [];
    pyodide = await loadPyodide({
      indexURL: msg.runtime,
      stdLibURL,
      lockFileContents: lockFile,
      packageBaseUrl: wheelsBase,
      packages: manifest.packages,
      ...output,
      stderr: (/** @type {string} */ line) => {
        if (/^(Failed|Error|Unable)/i.test(line)) problems.push(line);
        output.stderr(line);
      },
    });
    if (problems.length) throw new Error(`the app's packages could not be installed: ${problems.join("; ")}`);
  }
  const runtimeReady = performance.now();
  enter("app");
  app = manifest;
  bridgeUrl = msg.bridge;
  appDir = `/home/pyodide/live_asgi_apps/${manifest.name}`;
  pyodide.FS.mkdirTree(appDir);
  pyodide.unpackArchive(await bundleBytes, "zip", { extractDir: appDir });
  pyodide.FS.writeFile(`${appDir}/_live_asgi_bridge.py`, await bridgeSource);
  pyodide.FS.writeFile(`${appDir}/_live_asgi_compat.py`, await compatSource);
  if (!appRestored) {
    const sys = pyodide.pyimport("sys");
    sys.path.insert(0, appDir);
    sys.destroy();
    if (manifest.sources || manifest.late_stdlib) {
      const compat = pyodide.pyimport("_live_asgi_compat");
      // Modules shipped as bytecode only: a traceback fetches the source it shows.
      if (manifest.sources) compat.show_sources(new URL(manifest.sources, base).href, manifest.site_packages);
      // The standard library's modules no start imports: fetched at the first import of one.
      if (manifest.late_stdlib) {
        const modules = pyodide.toPy(manifest.late_modules ?? []);
        compat.late_stdlib(new URL(manifest.late_stdlib, base).href, modules).destroy();
        modules.destroy();
      }
      compat.destroy();
    }
  }
  startApp = pyodide.pyimport("_live_asgi_bridge").load;
  rootPath = msg.rootPath;
  // The reader's edits (kept by the page since an earlier visit) replace the published files.
  if (msg.files?.length) {
    const reload = await reloader();
    reload.write_files(appDir, pyodide.toPy(msg.files.map((f) => [f.path, f.text])));
    // Restored with the published app imported: its modules go, the edits are imported.
    if (appRestored) reload.forget_app(appDir).destroy();
  }
  if (imported) {
    /** @type {AppSnapshot} */
    const snapshot = { key, imported, steps };
    bridge = await launch(snapshot);
    saved = snapshot.saved ?? null;
  } else {
    bridge = await launch();
  }
  saved?.then(
    (record) => snapshotDone(manifest.name, true, `${record.size} bytes, ${record.imported.length} modules, ${record.app ? "with the app imported" : `without the app (${record.unfit.join("; ") || "the reader's edits"})`}`),
    (err) => snapshotDone(manifest.name, false, String(err && err.message ? err.message : err)),
  );
  booting = false;
  // Where the start went (ms since the worker began), for the benchmark and curious readers.
  const timings = { runtime: Math.round(runtimeReady), app: Math.round(performance.now() - runtimeReady), steps };
  const detail = Object.entries(steps).map(([name, ms]) => `${name} ${ms} ms`).join(", ");
  console.info(`live-asgi: ${manifest.name} ready: runtime and packages ${timings.runtime} ms (${detail}), app ${timings.app} ms${restored ? " (from a snapshot)" : ""}`);
  sendToPage(scope, { type: MSG.ready, memory: pyodide._module.HEAP8.buffer.byteLength, restored, timings });
  setTimeout(showApp, SNAPSHOT_LATEST_MS);
}

/**
 * Tell the console and the page that the snapshot for the next visit is stored (or not).
 * @param {string} name the app's name
 * @param {boolean} ok
 * @param {string} detail
 */
function snapshotDone(name, ok, detail) {
  console.info(`live-asgi: ${name}: snapshot for the next visit ${ok ? "saved" : "not made"}: ${detail}`);
  sendToPage(scope, { type: MSG.snapshot, ok });
}

/**
 * @typedef {{key: string, imported: string[], steps: Record<string, number>, saved?: Promise<import("./snapshot.js").SnapshotRecord>}} AppSnapshot
 *   A snapshot to take right after the app's import (`saved`: set by {@link launch}).
 */

/**
 * Start the app from the files in `appDir`.
 * @param {AppSnapshot | null} [snapshot] take this snapshot between the app's
 *   import and its lifespan startup, if the import can be kept (else say why)
 * @returns {Promise<any>} the app's Bridge
 */
async function launch(snapshot = null) {
  const { target, debug } = /** @type {Manifest} */ (app);
  try {
    // As a server does: the app is imported before anything is served, outside
    // any coroutine (bridge.load), then its lifespan starts.
    const started = snapshot ? importForSnapshot(snapshot) : startApp.callKwargs(target, { root_path: rootPath, debug });
    await started.startup();
    return started;
  } catch (err) {
    // The app's own failure (import, lifespan): its traceback is what helps.
    if (err && /** @type {any} */ (err).type) {
      const tb = String(/** @type {any} */ (err).message);
      const why = /** @type {any} */ (err).type === "LifespanFailed" ? failureMessage(err) : exceptionText(tb);
      throw Object.assign(new Error(`The app could not start: ${why}`), { traceback: tb });
    }
    throw err;
  }
}

/**
 * Import the app while watching what the import does, then snapshot the
 * interpreter if nothing the memory cannot hold came of it; else remember
 * why not, so that the next first visit snapshots before the import.
 * @param {AppSnapshot} snapshot
 * @returns {any} the app's Bridge
 */
function importForSnapshot(snapshot) {
  const { target, debug } = /** @type {Manifest} */ (app);
  const load = pyodide.pyimport("_live_asgi_bridge").load_for_snapshot;
  const importBegan = performance.now();
  const stop = watchFiles(pyodide.FS);
  /** @type {any} */
  let result;
  /** @type {string[]} */
  let unfit;
  try {
    result = load.callKwargs(target, { root_path: rootPath, debug });
  } catch (err) {
    // The app fails to import: the next visit snapshots the packages without it.
    snapshot.saved = notKept(snapshot.key, ["the app's import failed"], "");
    throw err;
  } finally {
    unfit = stop();
    load.destroy();
  }
  const started = result.get(0);
  const reasons = result.get(1);
  unfit.push(...reasons.toJs());
  reasons.destroy();
  result.destroy();
  const began = performance.now();
  if (!unfit.length) {
    try {
      snapshot.saved = takeSnapshot(pyodide, snapshot.key, { imported: snapshot.imported, app: target }, appShown);
    } catch (err) {
      unfit.push(`the app's import made what Pyodide cannot copy (${err instanceof Error ? err.message : err})`);
    }
  }
  if (unfit.length) {
    snapshot.saved = notKept(snapshot.key, unfit, "; the next visit starts anew and keeps a snapshot without the app");
  }
  snapshot.steps["app imported"] = Math.round(began - importBegan);
  snapshot.steps["snapshot taken"] = Math.round(performance.now() - began);
  return started;
}

/**
 * Record why the app's import is not kept in a snapshot; the promise fails
 * with that reason (what the console and the page are told), once recorded.
 * @param {string} key
 * @param {string[]} unfit
 * @param {string} then what follows the reasons in the message
 * @returns {Promise<never>}
 */
function notKept(key, unfit, then) {
  const saved = saveUnfit(key, unfit).then(() => {
    throw new Error(`${unfit.join("; ")}${then}`);
  });
  saved.catch(() => {}); // the caller reports it
  return saved;
}

/** @type {Promise<any> | null} */
let reloadModule = null;

/**
 * The module that writes edited files and forgets the app's modules
 * (`reload.py`), fetched the first time the reader's edits are used.
 * @returns {Promise<any>}
 */
function reloader() {
  reloadModule ??= (async () => {
    const url = new URL("reload.py", bridgeUrl);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the editor's reload.py answered ${response.status}`);
    pyodide.FS.writeFile(`${appDir}/_live_asgi_reload.py`, await response.text());
    return pyodide.pyimport("_live_asgi_reload");
  })();
  return reloadModule;
}

/** How long the previous run's lifespan shutdown may take before the new run goes on. */
const RERUN_SHUTDOWN_MS = 2000;

/**
 * Run the app again in this interpreter from the reader's files: the runtime
 * and packages stay loaded, only the app's modules are imported again.
 * @param {EditedFile[]} files
 * @returns {Promise<number>} milliseconds the restart took
 */
async function rerun(files) {
  if (!startApp) throw new Error("the app's runtime did not start");
  const began = performance.now();
  const old = bridge;
  bridge = null;
  if (old) {
    /** @type {number | undefined} */
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(resolve, RERUN_SHUTDOWN_MS);
    });
    try {
      await Promise.race([old.shutdown(), late]);
    } catch (err) {
      console.warn(`live-asgi: the app's shutdown failed: ${err}`);
    } finally {
      clearTimeout(timer);
      old.destroy();
    }
  }
  const reload = await reloader();
  reload.write_files(appDir, pyodide.toPy(files.map((f) => [f.path, f.text])));
  reload.forget_app(appDir).destroy();
  bridge = await launch();
  return Math.round(performance.now() - began);
}

/**
 * Tell the page when Pyodide itself died: no request can be served any more.
 * @param {unknown} err
 */
function checkFatal(err) {
  if (err && /** @type {any} */ (err).pyodide_fatal_error) {
    sendToPage(scope, { type: MSG.crashed, message: String(/** @type {any} */ (err).message || err) });
  }
}

/** Whether this browser can suspend WebAssembly while JavaScript waits (JSPI). */
const SUSPENDABLE = typeof WebAssembly === "object" && "Suspending" in WebAssembly;

/**
 * What the bridge calls with the parts of each response, for the service
 * worker behind `port`: made once per port, the request's key comes first
 * (see `attach`: the service worker's id plus the port's base).
 * @param {MessagePort} port
 * @param {number} base
 */
function responder(port, base) {
  return {
    /** @param {number} key @param {number} status @param {[string, string][]} headers */
    start(key, status, headers) {
      sendResponse(port, { type: MSG.start, id: key - base, status, headers });
    },
    /** A response complete at once: one message. @param {number} key @param {number} status @param {[string, string][]} headers @param {Uint8Array} body */
    full(key, status, headers, body) {
      sendResponse(port, { type: MSG.full, id: key - base, status, headers, body }, [body.buffer]);
    },
    /** @param {number} key @param {Uint8Array} chunk */
    body(key, chunk) {
      sendResponse(port, { type: MSG.body, id: key - base, chunk }, [chunk.buffer]);
    },
    /** @param {number} key */
    end(key) {
      sendResponse(port, { type: MSG.end, id: key - base });
    },
    /** @param {number} key @param {string} message */
    error(key, message) {
      sendResponse(port, { type: MSG.error, id: key - base, message });
    },
  };
}

/**
 * Serve one request from a service worker port.
 * @param {MessagePort} port
 * @param {ReturnType<typeof responder>} emit
 * @param {RequestMessage} msg
 * @param {number} base added to the request's id for the bridge (see `attach`)
 */
async function serve(port, emit, msg, base) {
  const id = msg.id;
  try {
    await ready;
  } catch (err) {
    sendResponse(port, { type: MSG.error, id, message: `The app could not start: ${err}` });
    return;
  }
  /** @param {unknown} err */
  const failed = (err) => {
    sendResponse(port, { type: MSG.error, id, message: String(err) });
    checkFatal(err);
  };
  // Plain values, not the message: each object handed to Python is a proxy.
  const args = [base + id, msg.method, msg.url, msg.rootPath, msg.headers, msg.body, msg.referrer, msg.mode, msg.destination, emit];
  try {
    if (SUSPENDABLE) {
      // The app runs at once on a stack that can be suspended: inline code
      // that waits for the event loop (Pyodide's run_sync) works from its
      // first step on, as in the steps the event loop runs later.
      bridge.handle_js.callPromising(...args).catch(failed);
    } else {
      bridge.handle_js(...args);
    }
  } catch (err) {
    failed(err);
  }
}

/** @param {MessagePort} port */
function attach(port) {
  ports.add(port);
  // Each service worker numbers its requests from 1, and a restarted one
  // starts again while the old one's responses may still stream: the bridge
  // keys a request by its id plus its port's base, so a cancel reaches only
  // the request it names.
  const base = nextPortBase;
  nextPortBase += 2 ** 32;
  const emit = responder(port, base);
  port.onmessage = (/** @type {MessageEvent<ServiceWorkerToWorker>} */ event) => {
    const msg = event.data;
    if (msg.type === MSG.request) {
      serve(port, emit, msg, base);
    } else if (msg.type === MSG.cancel && bridge) {
      bridge.cancel(base + msg.id);
    } else if (msg.type === MSG.websocket && event.ports[0]) {
      openSocket(event.ports[0], msg);
    }
  };
}

/**
 * Open a socket of the app's page: its port comes straight from the page, so
 * the socket lives on whatever the browser does to the service worker.
 * @param {MessagePort} socket
 * @param {WebSocketMessage} msg
 */
async function openSocket(socket, msg) {
  /** @param {SocketEvent} event @param {Transferable[]} [transfer] */
  const post = (event, transfer = []) => sendSocketEvent(socket, event, transfer);
  try {
    await ready;
  } catch (err) {
    post({ type: SOCKET.deny, status: 0, detail: `the app could not start: ${err}` });
    return;
  }
  /** @type {any} */
  let page = null;
  let ended = false;
  // The bridge's end of the socket is freed once both sides are done with it.
  const end = () => {
    ended = true;
    queueMicrotask(() => page?.destroy());
  };
  const emit = {
    /** @param {string} protocol @param {[string, string][]} headers */
    accept(protocol, headers) {
      post({ type: SOCKET.accept, protocol, headers });
    },
    /** @param {string | Uint8Array} data */
    message(data) {
      if (typeof data === "string") {
        post({ type: SOCKET.message, data });
        return;
      }
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const buffer = /** @type {ArrayBuffer} */ (whole ? data.buffer : data.slice().buffer);
      post({ type: SOCKET.message, data: buffer }, [buffer]);
    },
    /** @param {number} code @param {string} reason @param {string} detail */
    close(code, reason, detail) {
      post({ type: SOCKET.close, code, reason, detail });
      end();
    },
    /** @param {number} status @param {string} detail */
    deny(status, detail) {
      post({ type: SOCKET.deny, status, detail });
      end();
    },
  };
  try {
    page = bridge.websocket_js(msg, emit);
  } catch (err) {
    post({ type: SOCKET.deny, status: 500, detail: String(err) });
    checkFatal(err);
    return;
  }
  socket.onmessage = (/** @type {MessageEvent<SocketCommand>} */ event) => {
    const command = event.data;
    if (ended) return;
    try {
      if (command.type === SOCKET.send) {
        page.message(typeof command.data === "string" ? command.data : new Uint8Array(command.data));
      } else if (command.type === SOCKET.close) {
        // No code: undefined, which Python gets as None (null would be Pyodide's JsNull).
        page.close(command.code ?? undefined, command.reason);
      } else if (command.type === SOCKET.gone) {
        page.gone();
        end();
      }
    } catch (err) {
      checkFatal(err);
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

scope.onmessage = (/** @type {MessageEvent<PageToWorker>} */ event) => {
  const msg = event.data;
  if (msg.type === MSG.boot && !ready) {
    ready = boot(msg);
    ready.catch((err) => {
      booting = false;
      checkFatal(err);
      failed(String(err && err.message ? err.message : err), err && err.traceback);
    });
  } else if (msg.type === MSG.run && ready) {
    // Requests that arrive meanwhile wait for the new run.
    // A run after a failed one starts from the files again.
    const again = () => rerun(msg.files);
    ready = ready.then(again, again).then((ms) => {
      sendToPage(scope, { type: MSG.ran, ms });
    });
    ready.catch((err) => {
      checkFatal(err);
      sendToPage(scope, {
        type: MSG.runFailed,
        message: String(err && err.message ? err.message : err),
        traceback: err && err.traceback,
      });
    });
  } else if (msg.type === MSG.shown) {
    showApp();
  } else if (msg.type === MSG.port && event.ports[0]) {
    attach(event.ports[0]);
  } else if (msg.type === MSG.shutdown) {
    // Best effort, as a server stopping: the app's lifespan shutdown, then the end.
    (async () => {
      try {
        if (bridge) await bridge.shutdown();
      } catch (err) {
        console.warn(`live-asgi: the app's shutdown failed: ${err}`);
      } finally {
        scope.close();
      }
    })();
  }
};
