// Start a built site's app the way worker.js does (runtime, the manifest's
// standard library and wheels, the app's bundle) in Node, and report what
// probe.py finds: `node probe.mjs SITE_ASSETS APP`.
import fs from "node:fs";
import path from "node:path";
import { installApp, readBytes, startPyodide } from "../../live_asgi_docs/node/pyodide_node.mjs";

const [assets, app] = process.argv.slice(2);
const appDir = path.join(assets, "apps", app);
const manifest = JSON.parse(fs.readFileSync(path.join(appDir, "manifest.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(appDir, manifest.lock), "utf8"));
const pyodide = await startPyodide(path.join(assets, "pyodide"), {
  stdLibURL: manifest.stdlib ? path.join(appDir, manifest.stdlib) : undefined,
  stdout: () => {},
  stderr: () => {},
});
const code = fs.readdirSync(assets).find((name) => name.startsWith("code-"));
pyodide.FS.writeFile("/tmp/probe.py", readBytes(new URL("probe.py", import.meta.url).pathname));
pyodide.pyimport("sys").path.append("/tmp");
const probe = pyodide.pyimport("probe");
const imports = [];
for (const name of manifest.packages) {
  const entry = lock.packages[name];
  pyodide.unpackArchive(readBytes(path.join(appDir, manifest.wheels, entry.file_name)), "zip", { extractDir: pyodide._api.sitePackages });
  imports.push(...entry.imports);
}
const home = installApp(pyodide, app, {
  bundle: path.join(appDir, manifest.bundle),
  bridge: path.join(assets, code, "bridge.py"),
  compat: path.join(assets, code, "pyodide_compat.py"),
});
// The site's sources folder read from the disk, where the browser fetches it.
const sources = path.join(appDir, manifest.sources);
/** @type {string[]} */
const fetched = [];
const readSource = (/** @type {string} */ file) => {
  fetched.push(path.relative(sources, file));
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
};
const result = probe.probe(pyodide.toPy(imports), home, manifest.target.split(":")[0], `${sources}/`, manifest.site_packages, readSource);
process.stdout.write(JSON.stringify({ ...result.toJs({ dict_converter: Object.fromEntries }), fetched }));
