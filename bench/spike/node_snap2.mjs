// Spike 2: snapshot with dynamic libraries re-attached at their original bases.
import { loadPyodide } from "/tmp/snap-npm/package/pyodide.mjs";
import fs from "node:fs";
const WHEELS = process.env.WHEELS || "/root/.cache/live-asgi-docs/resolved/8c2e8eb805266b2e198f";
const mode = process.argv[2];
const t0 = performance.now();
const lap = (what) => console.log(`${what}: ${Math.round(performance.now() - t0)} ms`);
function installWheels(py) {
  for (const f of fs.readdirSync(WHEELS).filter((f) => f.endsWith(".whl"))) {
    py.unpackArchive(new Uint8Array(fs.readFileSync(`${WHEELS}/${f}`)), "wheel", { extractDir: "/lib/python3.14/site-packages" });
  }
}
function dynlibState(Module) {
  const libs = [];
  for (const [h, dso] of Object.entries(Module.LDSO.loadedLibsByHandle)) {
    const handle = Number(h);
    if (!handle) continue;
    libs.push({ name: dso.name, handle, global: dso.global,
      memoryBase: Module.HEAPU32[(handle + 12) >>> 2], memorySize: Module.HEAP32[(handle + 16) >>> 2],
      tableBase: Module.HEAPU32[(handle + 20) >>> 2], tableSize: Module.HEAP32[(handle + 24) >>> 2],
      chunkHead: Module.HEAPU32[(Module.HEAPU32[(handle + 12) >>> 2] - 4) >>> 2] });
  }
  libs.sort((a, b) => a.tableBase - b.tableBase);
  return { libs, tableLength: Module.wasmTable.length };
}
if (mode === "make") {
  const py = await loadPyodide({ _makeSnapshot: true });
  lap("loadPyodide");
  installWheels(py);
  py.runPython("import fastapi, pydantic; from fastapi import FastAPI; app = FastAPI()\n@app.get('/x')\ndef x(): return {'a': 1}\n");
  lap("import");
  const state = dynlibState(py._module);
  console.log(JSON.stringify(state));
  const snap = py.makeMemorySnapshot();
  fs.writeFileSync("/tmp/snap-node.bin", snap);
  fs.writeFileSync("/tmp/snap-node.json", JSON.stringify(state));
  console.log("size", snap.length);
} else {
  const snap = fs.readFileSync("/tmp/snap-node.bin");
  const state = JSON.parse(fs.readFileSync("/tmp/snap-node.json", "utf8"));
  const { default: factory } = await import("/tmp/snap-npm/package/pyodide.asm.mjs");
  const need = new Uint32Array(snap.buffer, snap.byteOffset, 4)[1];
  const memBytes = snap.length - need;
  const py = await loadPyodide({ _loadSnapshot: new Uint8Array(snap), createPyodideModule: (settings) => {
    settings.preRun.push((Module) => { if (Module.HEAP8.length < memBytes) Module.growMemory(memBytes); });
    return factory(settings);
  } });
  lap("restore");
  installWheels(py);
  lap("wheels");
  const M = py._module;
  console.log("table now", M.wasmTable.length, "recorded", state.tableLength);
  const saved = M.HEAPU8.slice();
  for (const lib of state.libs) {
    if (M.wasmTable.length > lib.tableBase) throw new Error(`table too long ${M.wasmTable.length} > ${lib.tableBase}`);
    M.wasmTable.grow(lib.tableBase - M.wasmTable.length);
    M._free(lib.memoryBase);
    M.loadDynamicLibrary(lib.name, { global: lib.global, nodelete: true, loadAsync: false }, lib.global ? undefined : {}, lib.handle);
    const mb = M.HEAPU32[(lib.handle + 12) >>> 2], tb = M.HEAPU32[(lib.handle + 20) >>> 2];
    console.log(lib.name, "memoryBase", mb, lib.memoryBase, "tableBase", tb, lib.tableBase);
    if (mb !== lib.memoryBase || tb !== lib.tableBase) throw new Error("dynlib landed elsewhere");
  }
  console.log("table after", M.wasmTable.length, "recorded", state.tableLength);
  M.HEAPU8.set(saved);
  lap("dynlibs");
  try {
    console.log(py.runPython("import pydantic; str(pydantic.TypeAdapter(int).validate_python('5'))"));
    console.log(py.runPython(`
import asyncio, json
from fastapi.testclient import TestClient
`) );
  } catch (e) { console.log("validate failed", String(e).slice(-600)); }
  lap("done");
}
