// Build-time snapshot in Node: same steps as the browser's "make" mode; writes snap.bin + snap.json.
import { loadPyodide } from "/tmp/snap-npm/package/pyodide.mjs";
import fs from "node:fs";
const [ROOT, OUT] = [process.argv[2], process.argv[3]];
const py = await loadPyodide({ _makeSnapshot: true });
for (const f of JSON.parse(fs.readFileSync(`${ROOT}/wheels/index.json`, "utf8"))) {
  py.unpackArchive(new Uint8Array(fs.readFileSync(`${ROOT}/wheels/${f}`)), "zip", { extractDir: "/lib/python3.14/site-packages" });
}
py.FS.mkdirTree("/home/pyodide/app");
py.FS.writeFile("/home/pyodide/app/_live_asgi_bridge.py", fs.readFileSync(`${ROOT}/app/bridge.py`, "utf8"));
py.runPython("import sys; sys.path.insert(0, '/home/pyodide/app')");
const src = fs.readFileSync(new URL("./worker.js", import.meta.url), "utf8");
const IMPORT_DEPS = src.split("const IMPORT_DEPS = `")[1].split("`;")[0];
console.log(py.runPython(IMPORT_DEPS));
const M = py._module;
const libs = [];
for (const [h, dso] of Object.entries(M.LDSO.loadedLibsByHandle)) {
  const handle = Number(h); if (!handle) continue;
  const memoryBase = M.HEAPU32[(handle + 12) >>> 2];
  let ptr = memoryBase;
  while (M.HEAPU32[(ptr - 4) >>> 2] === 0 && memoryBase - ptr < 65536) ptr -= 4;
  libs.push({ name: dso.name, handle, global: dso.global, memoryBase, ptr, tableBase: M.HEAPU32[(handle + 20) >>> 2] });
}
const snap = py.makeMemorySnapshot();
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(`${OUT}/snap.bin`, snap);
fs.writeFileSync(`${OUT}/snap.json`, JSON.stringify({ libs, tableLength: M.wasmTable.length }));
console.log("size", snap.length);
