// Spike: make a snapshot in Node after importing the app, restore in a fresh process.
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
if (mode === "make") {
  const py = await loadPyodide({ _makeSnapshot: true });
  lap("loadPyodide");
  installWheels(py);
  lap("wheels");
  py.runPython("import fastapi, pydantic; from fastapi import FastAPI; app = FastAPI()\n@app.get('/x')\ndef x(): return {'a': 1}\n");
  lap("import");
  const snap = py.makeMemorySnapshot();
  lap("snapshot");
  fs.writeFileSync("/tmp/snap-node.bin", snap);
  console.log("size", snap.length);
} else {
  const snap = fs.readFileSync("/tmp/snap-node.bin");
  const { default: factory } = await import("/tmp/snap-npm/package/pyodide.asm.mjs");
  const need = new Uint32Array(snap.buffer, snap.byteOffset, 4)[1];
  const memBytes = snap.length - need;
  const py = await loadPyodide({ _loadSnapshot: new Uint8Array(snap), createPyodideModule: (settings) => {
    settings.preRun.push((Module) => { if (Module.HEAP8.length < memBytes) Module.growMemory(memBytes); });
    return factory(settings);
  } });
  lap("restore");
  if (process.env.REINSTALL) installWheels(py);
  console.log(py.runPython("import sys; str([m for m in sys.modules if 'pydantic_core' in m])"));
  try {
    console.log(py.runPython("import pydantic; str(pydantic.TypeAdapter(int).validate_python('5'))"));
  } catch (e) { console.log("validate failed", String(e).slice(-600)); }
  lap("done");
}
