// Start a built site's app the way worker.js does (runtime, the manifest's
// standard library and wheels, the app's bundle) in Node, and report what
// probe.py finds: `node probe.mjs SITE_ASSETS APP`.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [assets, app] = process.argv.slice(2);
const appDir = path.join(assets, "apps", app);
const manifest = JSON.parse(fs.readFileSync(path.join(appDir, "manifest.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(appDir, manifest.lock), "utf8"));
const runtime = path.join(assets, "pyodide") + "/";
const { loadPyodide } = await import(pathToFileURL(path.join(runtime, "pyodide.mjs")).href);
const pyodide = await loadPyodide({
  indexURL: runtime,
  stdLibURL: manifest.stdlib ? path.join(appDir, manifest.stdlib) : undefined,
  stdout: () => {},
  stderr: () => {},
});
const bytes = (/** @type {string} */ file) => new Uint8Array(fs.readFileSync(file));
const code = fs.readdirSync(assets).find((name) => name.startsWith("code-"));
const home = `/home/pyodide/live_asgi_apps/${app}`;
pyodide.FS.mkdirTree(home);
pyodide.FS.writeFile(`${home}/_live_asgi_bridge.py`, bytes(path.join(assets, code, "bridge.py")));
pyodide.FS.writeFile(`${home}/_live_asgi_compat.py`, bytes(path.join(assets, code, "pyodide_compat.py")));
pyodide.FS.writeFile("/tmp/probe.py", bytes(new URL("probe.py", import.meta.url).pathname));
pyodide.pyimport("sys").path.append("/tmp");
const probe = pyodide.pyimport("probe");
const imports = [];
for (const name of manifest.packages) {
  const entry = lock.packages[name];
  pyodide.unpackArchive(bytes(path.join(appDir, manifest.wheels, entry.file_name)), "zip", { extractDir: pyodide._api.sitePackages });
  imports.push(...entry.imports);
}
pyodide.unpackArchive(bytes(path.join(appDir, manifest.bundle)), "zip", { extractDir: home });
const result = probe.probe(pyodide.toPy(imports), home, manifest.target.split(":")[0]);
process.stdout.write(JSON.stringify(result.toJs({ dict_converter: Object.fromEntries })));
