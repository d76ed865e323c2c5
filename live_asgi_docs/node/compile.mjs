// @ts-check
/**
 * Build-time bytecode for Pyodide: `node compile.mjs job.json` (see bytecode.py).
 *
 * Starts the site's own Pyodide runtime in Node, unpacks the app's wheels,
 * imports what the app's start imports, and has `pycompile.py` (beside this
 * file) write `.pyc` files for every module that was loaded, so their magic
 * number is the runtime's own. Prints a JSON report on stdout.
 *
 * job.json: {runtime, out, wheels: [path], bundles: [{path, out, prefix, target}],
 *            imports: [module], app_imports: [module],
 *            bridge: [path of bridge.py, path of pyodide_compat.py]}
 * out gets python_stdlib.zip (what a start imports), python_stdlib_late.zip (the
 * rest of the standard library), wheels/, sources.zip (the sources replaced by bytecode).
 */
import fs from "node:fs";
import path from "node:path";
import { readBytes, startPyodide, writeBridge } from "./pyodide_node.mjs";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// The interpreter's own output would mix with the report.
const quiet = () => {};
const pyodide = await startPyodide(job.runtime, { stdout: quiet, stderr: quiet });

/** @type {string} */
const sitePackages = pyodide._api.sitePackages;
for (const wheel of job.wheels) pyodide.unpackArchive(readBytes(wheel), "zip", { extractDir: sitePackages });

const work = "/tmp/live-asgi-compile";
const [bridge, compat] = job.bridge;
writeBridge(pyodide, `${work}/bridge`, { bridge, compat });
pyodide.FS.writeFile(`${work}/pycompile.py`, readBytes(new URL("pycompile.py", import.meta.url).pathname));
pyodide.FS.writeFile(`${work}/stdlib.zip`, readBytes(path.join(job.runtime, "python_stdlib.zip")));
const inputs = job.wheels.map((/** @type {string} */ wheel, /** @type {number} */ i) => {
  pyodide.FS.writeFile(`${work}/in-${i}.whl`, readBytes(wheel));
  return `${work}/in-${i}.whl`;
});
job.bundles.forEach((/** @type {{path: string, prefix: string}} */ bundle, /** @type {number} */ i) => {
  pyodide.FS.writeFile(`${work}/bundle-${i}.zip`, readBytes(bundle.path));
  // Unpacked as the worker unpacks it: what that imports (a zip's name codec) is the start's too.
  pyodide.unpackArchive(readBytes(bundle.path), "zip", { extractDir: bundle.prefix });
});

const sysPath = pyodide.pyimport("sys").path;
sysPath.insert(0, `${work}/bridge`);
sysPath.insert(0, work);
const report = pyodide
  .pyimport("pycompile")
  .compile_all(
    work,
    pyodide.toPy(job.imports),
    pyodide.toPy(inputs),
    sitePackages,
    pyodide.toPy(job.bundles.map((/** @type {{prefix: string}} */ b) => b.prefix)),
    pyodide.toPy(job.app_imports ?? []),
    pyodide.toPy(job.bundles.map((/** @type {{target?: string}} */ b) => b.target ?? "")),
  )
  .toJs({ dict_converter: Object.fromEntries });

fs.mkdirSync(path.join(job.out, "wheels"), { recursive: true });
fs.writeFileSync(path.join(job.out, "python_stdlib.zip"), pyodide.FS.readFile(`${work}/out-stdlib.zip`));
fs.writeFileSync(path.join(job.out, "python_stdlib_late.zip"), pyodide.FS.readFile(`${work}/out-late.zip`));
fs.writeFileSync(path.join(job.out, "sources.zip"), pyodide.FS.readFile(`${work}/out-sources.zip`));
job.wheels.forEach((/** @type {string} */ wheel, /** @type {number} */ i) => {
  fs.writeFileSync(path.join(job.out, "wheels", path.basename(wheel)), pyodide.FS.readFile(`${inputs[i]}.out`));
});
job.bundles.forEach((/** @type {{out: string}} */ bundle, /** @type {number} */ i) => {
  fs.writeFileSync(bundle.out, pyodide.FS.readFile(`${work}/bundle-${i}.zip.out`));
});
process.stdout.write(JSON.stringify(report));
