// @ts-check
/**
 * The site's Pyodide runtime in Node, laid out as the browser's worker lays it
 * out: what the build-time check (`check.mjs`) and the bytecode compiler
 * (`compile.mjs`) share.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** Where the browser unpacks an app's bundle (worker.js), followed by its name. */
export const APPS_HOME = "/home/pyodide/live_asgi_apps/";

/** The bridge's modules under the names the browser gives them (worker.js). */
export const BRIDGE_MODULES = /** @type {const} */ ({ bridge: "_live_asgi_bridge.py", compat: "_live_asgi_compat.py" });

/** @param {string} file */
export const readBytes = (file) => new Uint8Array(fs.readFileSync(file));

/**
 * Start the runtime of a local folder (`pyodide.mjs`, its wasm, the standard library).
 * @param {string} runtime the folder
 * @param {Record<string, unknown>} [options] more options of `loadPyodide`
 * @returns {Promise<any>} the Pyodide API
 */
export async function startPyodide(runtime, options = {}) {
  const indexURL = runtime.endsWith("/") ? runtime : `${runtime}/`;
  const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, "pyodide.mjs")).href);
  return loadPyodide({ indexURL, ...options });
}

/**
 * Write the bridge's two modules into a folder of the runtime's file system.
 * @param {any} pyodide
 * @param {string} folder
 * @param {{bridge: string, compat: string}} files local paths of bridge.py and pyodide_compat.py
 */
export function writeBridge(pyodide, folder, files) {
  pyodide.FS.mkdirTree(folder);
  pyodide.FS.writeFile(`${folder}/${BRIDGE_MODULES.bridge}`, readBytes(files.bridge));
  pyodide.FS.writeFile(`${folder}/${BRIDGE_MODULES.compat}`, readBytes(files.compat));
}

/**
 * An app's folder as the worker makes it: the bundle unpacked, the bridge beside it.
 * @param {any} pyodide
 * @param {string} name the app's name
 * @param {{bundle: string, bridge: string, compat: string}} files local paths
 * @returns {string} the folder (put it on `sys.path`)
 */
export function installApp(pyodide, name, files) {
  const appDir = `${APPS_HOME}${name}`;
  pyodide.FS.mkdirTree(appDir);
  pyodide.unpackArchive(readBytes(files.bundle), "zip", { extractDir: appDir });
  writeBridge(pyodide, appDir, files);
  return appDir;
}
