// Spike worker: start Pyodide + the sample FastAPI app in several ways and time each stage.
const q = new URL(self.location.href).searchParams;
const MODE = q.get("mode");
const T = {};
const t0 = performance.now();
const lap = (k) => (T[k] = Math.round(performance.now() - t0));
const BASE = new URL("./", self.location.href).href;
const PY = BASE + "pyodide/";
const SITE = "/lib/python3.14/site-packages";
const CACHE = "spike-snapshots";

async function bytes(url) { const r = await fetch(url); if (!r.ok) throw new Error(`${url} ${r.status}`); return new Uint8Array(await r.arrayBuffer()); }

async function wheelsList() { return (await (await fetch(BASE + "wheels/index.json")).json()); }

async function startApp(py) {
  const [main, bridge] = await Promise.all([fetch(BASE + "app/main.py").then((r) => r.text()), fetch(BASE + "app/bridge.py").then((r) => r.text())]);
  py.FS.mkdirTree("/home/pyodide/app");
  py.FS.writeFile("/home/pyodide/app/main.py", main);
  py.FS.writeFile("/home/pyodide/app/_live_asgi_bridge.py", bridge);
  const run = py.runPython(`
import sys
sys.path.insert(0, "/home/pyodide/app")
import _live_asgi_bridge
async def _start(target):
    b = _live_asgi_bridge.Bridge(_live_asgi_bridge.load_app(target))
    await b.startup()
    return b
_start`);
  const b = await run("main:app");
  lap("app");
  const chunks = [];
  let status = 0;
  await b.handle_js({ id: 1, method: "GET", url: "http://x/api/items", rootPath: "", headers: [["accept", "application/json"]], body: undefined, referrer: "", mode: "cors", destination: "" },
    { start(s) { status = s; }, body(c) { chunks.push(new TextDecoder().decode(c)); }, end() {}, error(m) { throw new Error(m); } });
  lap("request");
  return `${status} ${chunks.join("")}`;
}

// Imports every top-level module of the installed distributions (not the app).
const IMPORT_DEPS = `
import importlib, importlib.metadata as md
done = []
for dist in md.distributions():
    names = (dist.read_text("top_level.txt") or "").split()
    if not names:
        names = sorted({f.parts[0].removesuffix(".py") for f in (dist.files or []) if f.parts and not f.parts[0].endswith((".dist-info", ".data")) and (f.suffix == ".py" or len(f.parts) > 1)})
    for n in names:
        if n.startswith("_") and n != "_live_asgi_bridge": continue
        try:
            importlib.import_module(n); done.append(n)
        except Exception:
            pass
import _live_asgi_bridge
",".join(done)
`;

function dynlibState(M) {
  const libs = [];
  for (const [h, dso] of Object.entries(M.LDSO.loadedLibsByHandle)) {
    const handle = Number(h); if (!handle) continue;
    const memoryBase = M.HEAPU32[(handle + 12) >>> 2];
    // calloc's pointer: the zeroed alignment gap ends at memoryBase, the malloc header sits just before it.
    let ptr = memoryBase;
    while (M.HEAPU32[(ptr - 4) >>> 2] === 0 && memoryBase - ptr < 65536) ptr -= 4;
    libs.push({ name: dso.name, handle, global: dso.global, memoryBase, ptr, head: M.HEAPU32[(ptr - 4) >>> 2], tableBase: M.HEAPU32[(handle + 20) >>> 2] });
  }
  libs.sort((a, b) => a.tableBase - b.tableBase);
  return { libs, tableLength: M.wasmTable.length };
}

function reattach(M, state) {
  const saved = M.HEAPU8.slice();
  for (const lib of state.libs) {
    if (M.wasmTable.length > lib.tableBase) throw new Error(`table too long: ${M.wasmTable.length} > ${lib.tableBase}`);
    M.wasmTable.grow(lib.tableBase - M.wasmTable.length);
    M._free(lib.ptr);
    M.loadDynamicLibrary(lib.name, { global: lib.global, nodelete: true, loadAsync: false }, lib.global ? undefined : {}, lib.handle);
    if (M.HEAPU32[(lib.handle + 12) >>> 2] !== lib.memoryBase || M.HEAPU32[(lib.handle + 20) >>> 2] !== lib.tableBase) throw new Error(`dynlib moved: ${JSON.stringify(lib)} now mb=${M.HEAPU32[(lib.handle + 12) >>> 2]} tb=${M.HEAPU32[(lib.handle + 20) >>> 2]} len=${M.wasmTable.length}`);
  }
  if (M.wasmTable.length !== state.tableLength) throw new Error("table length differs");
  M.HEAPU8.set(saved);
}

async function installWheelFiles(py, names) {
  const all = await Promise.all(names.map((n) => bytes(BASE + "wheels/" + n)));
  for (const b of all) py.unpackArchive(b, "zip", { extractDir: SITE });
}

async function restore(snap, state) {
  const { loadPyodide } = await import(PY + "pyodide.mjs");
  const { default: factory } = await import(PY + "pyodide.asm.mjs");
  const wheels = wheelsList();
  const need = new Uint32Array(snap.buffer, snap.byteOffset, 4)[1];
  const memBytes = snap.length - need;
  const py = await loadPyodide({ indexURL: PY, _loadSnapshot: snap, createPyodideModule: (s) => {
    s.preRun.push((M) => { if (M.HEAP8.length < memBytes) M.growMemory(memBytes); });
    return factory(s);
  } });
  lap("loadPyodide");
  await installWheelFiles(py, await wheels);
  lap("wheels");
  reattach(py._module, state);
  lap("dynlibs");
  return py;
}

async function main() {
  const { loadPyodide } = await import(PY + "pyodide.mjs");
  let result = "";
  if (MODE === "bare") {
    const py = await loadPyodide({ indexURL: PY });
    lap("loadPyodide");
    result = py.runPython("1+1");
  } else if (MODE === "current" || MODE === "make") {
    const wheels = wheelsList();
    const py = await loadPyodide({ indexURL: PY, _makeSnapshot: MODE === "make" });
    lap("loadPyodide");
    if (MODE === "make" || q.get("unpack")) await installWheelFiles(py, await wheels);
    else await py.loadPackage((await wheels).map((n) => BASE + "wheels/" + n));
    lap("wheels");
    if (MODE === "make") {
      const bridge = await fetch(BASE + "app/bridge.py").then((r) => r.text());
      py.FS.mkdirTree("/home/pyodide/app");
      py.FS.writeFile("/home/pyodide/app/_live_asgi_bridge.py", bridge);
      py.runPython("import sys; sys.path.insert(0, '/home/pyodide/app')");
      T.imported = py.runPython(IMPORT_DEPS);
      lap("deps");
      const state = dynlibState(py._module);
      const snap = py.makeMemorySnapshot();
      lap("snapshot");
      T.size = snap.length;
      const cache = await caches.open(CACHE);
      await cache.put("/snap.bin", new Response(snap));
      await cache.put("/snap.json", new Response(JSON.stringify(state)));
      lap("stored");
    }
    result = await startApp(py);
  } else if (MODE === "restore" || MODE === "nodesnap") {
    let snap, state;
    if (MODE === "restore") {
      const cache = await caches.open(CACHE);
      const [a, b] = await Promise.all([cache.match("/snap.bin"), cache.match("/snap.json")]);
      snap = new Uint8Array(await a.arrayBuffer()); state = await b.json();
    } else {
      const [a, b] = await Promise.all([bytes(BASE + "nodesnap/snap.bin"), fetch(BASE + "nodesnap/snap.json").then((r) => r.json())]);
      snap = a; state = b;
    }
    lap("snapshotRead");
    const py = await restore(snap, state);
    result = await startApp(py);
  }
  lap("total");
  postMessage({ ok: true, T, result });
}
main().catch((e) => postMessage({ ok: false, error: String(e && e.stack || e), T }));
