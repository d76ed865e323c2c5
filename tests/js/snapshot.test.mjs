// Unit tests of the snapshot module's pure parts: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { BlockDigest, blockDigest, compileExtensions, offerCompiled, packPages, unpackPages, lockContents, rejectReason, sha256, snapshotable, snapshotKey, staleEntries, SNAPSHOT_FORMAT } from "../../live_asgi_docs/browser/snapshot.js";

const identity = {
  app: "https://h/_static/_live_asgi/apps/todo/manifest.json",
  runtime: "https://h/_static/_live_asgi/pyodide/",
  stdlib: "https://h/_static/_live_asgi/bytecode-1/python_stdlib.zip",
  lock: "lock-abc.json",
  userAgent: "Chromium/140",
};

test("the key is stable and changes with the runtime, the standard library, the lock and the browser", async () => {
  const key = await snapshotKey(identity);
  assert.equal(key, await snapshotKey({ ...identity }));
  assert.match(key, new RegExp(`^${SNAPSHOT_FORMAT}-[0-9a-f]{16}-[0-9a-f]{64}$`));
  for (const field of ["runtime", "stdlib", "lock", "userAgent"]) {
    assert.notEqual(await snapshotKey({ ...identity, [field]: identity[field] + "x" }), key, field);
  }
});

test("only the app's current snapshot is kept: earlier deploys and old formats go, other apps stay", async () => {
  const key = await snapshotKey(identity);
  const redeployed = await snapshotKey({ ...identity, lock: "lock-old.json" });
  const other = await snapshotKey({ ...identity, app: "https://h/_static/_live_asgi/apps/counter/manifest.json" });
  const paths = (k) => [`/live-asgi-snapshot/${k}.json`, `/live-asgi-snapshot/${k}.bin`];
  const legacy = `/live-asgi-snapshot/1-${"a".repeat(64)}.bin`;
  assert.deepEqual(staleEntries([...paths(key), ...paths(redeployed), ...paths(other), legacy], key), [...paths(redeployed), legacy]);
  assert.deepEqual(staleEntries(paths(key), key), []);
});

test("lockContents gives the wheels' URLs and the import names, and names a missing package", () => {
  const lock = { packages: { fastapi: { file_name: "fastapi-1.whl", imports: ["fastapi"] }, "python-multipart": { file_name: "pm.whl", imports: ["multipart", "python_multipart"] }, bare: { file_name: "b.whl" } } };
  assert.deepEqual(lockContents(lock, ["fastapi", "python-multipart", "bare"], "https://h/w/"), {
    wheels: ["https://h/w/fastapi-1.whl", "https://h/w/pm.whl", "https://h/w/b.whl"],
    imports: ["fastapi", "multipart", "python_multipart"],
  });
  assert.throws(() => lockContents(lock, ["nope"], "https://h/w/"), /no package nope/);
});

test("snapshotable: plain site-packages wheels only; a shared library or another install place needs Pyodide's loader", () => {
  const lock = {
    packages: {
      fastapi: { file_name: "f.whl", install_dir: "site", shared_library: false },
      old: { file_name: "o.whl" },
      libfoo: { file_name: "l.zip", install_dir: "dynlib", shared_library: true },
      odd: { file_name: "x.whl", install_dir: "stdlib" },
    },
  };
  assert.equal(snapshotable(lock, ["fastapi", "old"]), true);
  assert.equal(snapshotable(lock, ["fastapi", "libfoo"]), false);
  assert.equal(snapshotable(lock, ["odd"]), false);
  assert.equal(snapshotable(lock, ["missing"]), false);
});

/** A fake memory image with Pyodide's snapshot magic number. */
function image(size = 4096) {
  const bytes = new Uint8Array(size);
  new Uint32Array(bytes.buffer)[0] = 1886286592;
  new Uint32Array(bytes.buffer)[1] = 64; // the memory starts after the header
  for (let i = 64; i < size; i++) bytes[i] = i % 251;
  return bytes;
}

async function goodRecord(key, bytes) {
  return {
    format: SNAPSHOT_FORMAT,
    key,
    digest: await blockDigest(bytes),
    size: bytes.byteLength,
    memoryOffset: 64,
    memorySize: bytes.byteLength - 64,
    pages: [0, bytes.byteLength - 64],
    dynlibs: [],
    tableLength: 10,
    imported: [],
  };
}

test("a matching, intact snapshot is accepted", async () => {
  const key = await snapshotKey(identity);
  const bytes = image();
  assert.equal(await rejectReason(await goodRecord(key, bytes), key, bytes), null);
});

test("a snapshot for another key, format or size, or with flipped bytes, is rejected", async () => {
  const key = await snapshotKey(identity);
  const bytes = image();
  const record = await goodRecord(key, bytes);
  assert.match(await rejectReason(record, await snapshotKey({ ...identity, lock: "lock-new.json" }), bytes), /another runtime, lock or browser/);
  assert.match(await rejectReason({ ...record, format: SNAPSHOT_FORMAT + 1 }, key, bytes), /format/);
  assert.match(await rejectReason(record, key, bytes.subarray(0, 2048)), /truncated/);
  const flipped = bytes.slice();
  flipped[3000] ^= 1;
  assert.match(await rejectReason(record, key, flipped), /corrupt/);
  const notPyodide = bytes.slice();
  notPyodide[1] ^= 0xff;
  assert.match(await rejectReason({ ...record, digest: await blockDigest(notPyodide) }, key, notPyodide), /not a Pyodide memory snapshot/);
  assert.match(await rejectReason(null, key, bytes), /no record/);
  assert.match(await rejectReason({ ...record, dynlibs: undefined }, key, bytes), /incomplete/);
});

test("the block digest is the SHA-256 of each 4 MiB block's, the same whether hashed as it streams or at once", async () => {
  const bytes = new Uint8Array((1 << 22) * 2 + 1000);
  for (let i = 0; i < bytes.length; i += 997) bytes[i] = i % 256;
  const blocks = [bytes.subarray(0, 1 << 22), bytes.subarray(1 << 22, 2 << 22), bytes.subarray(2 << 22)];
  const parts = await Promise.all(blocks.map(async (b) => Buffer.from(await crypto.subtle.digest("SHA-256", b))));
  assert.equal(await blockDigest(bytes), await sha256(Buffer.concat(parts)));
  // Streamed in odd chunks, with the buffer written after each block is taken.
  const target = new Uint8Array(bytes.length);
  const digest = new BlockDigest(target);
  for (let at = 0; at < bytes.length; at += 300_001) {
    const end = Math.min(at + 300_001, bytes.length);
    target.set(bytes.subarray(at, end), at);
    digest.update(end);
  }
  assert.equal(await digest.finish(bytes.length), await blockDigest(bytes));
  const flipped = bytes.slice();
  flipped[(1 << 22) + 5] ^= 1;
  assert.notEqual(await blockDigest(flipped), await blockDigest(bytes));
});

test("zero pages are not stored, and come back as zeros where the memory had them", () => {
  const page = 1 << 16;
  const offset = 64;
  const memory = new Uint8Array(page * 6 + 8);
  memory[5] = 1; // page 0
  memory[page * 2 + 100] = 2; // page 2
  memory[page * 3 + page - 1] = 3; // page 3, its last byte
  // pages 1, 4 and 5 are zero, and the 8-byte tail
  const bytes = new Uint8Array(offset + memory.length);
  bytes.fill(7, 0, offset);
  bytes.set(memory, offset);
  const pages = packPages(bytes, offset);
  assert.deepEqual(pages, [0, page, page * 2, page * 2]);
  const size = offset + page * 3;
  const heap = new Uint8Array(memory.length).fill(9); // what the runtime wrote before
  unpackPages(heap, bytes.subarray(0, size), { memoryOffset: offset, memorySize: memory.length, pages });
  assert.deepEqual(heap, memory);
  assert.deepEqual(bytes.subarray(0, offset), new Uint8Array(offset).fill(7));
});

/** A small real module (one exported function). */
const WASM = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]);
const EXTENSION = "/site/pkg/_ext.cpython-314-wasm32-emscripten.so";

/** What offerCompiled reads of Emscripten's runtime: a file's node, the loader's registry. */
function emscripten(node) {
  return { FS: { analyzePath: (p) => ({ object: p === EXTENSION ? node : null }) }, LDSO: { loadedLibsByName: {} }, PATH: { normalize: (p) => p } };
}

/** The wheels' extensions, once their compiles are done. */
async function compiled(files) {
  const extensions = await compileExtensions([Promise.resolve(files), Promise.reject(new Error("a failed download"))], "/site", new Promise(() => {}));
  while (extensions.some((e) => !e.module)) await new Promise((resolve) => setTimeout(resolve, 1));
  return extensions;
}

test("a wheel's compiled extension is compiled ahead and the loader takes it, once, when it loads that file", async () => {
  const files = [
    { name: "pkg/_ext.cpython-314-wasm32-emscripten.so", data: WASM },
    { name: "pkg/not_wasm.so", data: new Uint8Array([1, 2, 3, 4]) },
    { name: "pkg/__init__.py", data: new Uint8Array([0, 97, 115, 109]) },
  ];
  const Module = emscripten({ mtime: 1, usedBytes: WASM.byteLength });
  const Original = WebAssembly.Module;
  const extensions = await compiled(files);
  assert.deepEqual(extensions.map((e) => [e.path, e.size]), [[EXTENSION, WASM.byteLength]]);
  await offerCompiled(Module, extensions);
  assert.equal(Module.LDSO.loadedLibsByName[EXTENSION], undefined);
  // Other modules are compiled as before.
  assert.ok(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) instanceof Original);
  // The loader registers the library, then compiles a copy of its bytes (an Int8Array).
  const dso = { name: EXTENSION };
  Module.LDSO.loadedLibsByName[EXTENSION] = dso;
  assert.equal(Module.LDSO.loadedLibsByName[EXTENSION], dso);
  assert.deepEqual(Object.keys(Module.LDSO.loadedLibsByName), [EXTENSION]);
  assert.equal(new WebAssembly.Module(new Int8Array(WASM)), extensions[0].module);
  // Taken once: the constructor is the browser's own again.
  assert.equal(WebAssembly.Module, Original);
});

test("an extension whose file was written again, or whose compile is not done, is compiled by the loader", async () => {
  const Original = WebAssembly.Module;
  const node = { mtime: 1, usedBytes: WASM.byteLength };
  const Module = emscripten(node);
  const extensions = await compiled([{ name: "pkg/_ext.cpython-314-wasm32-emscripten.so", data: WASM }]);
  await offerCompiled(Module, extensions);
  node.mtime = 2;
  Module.LDSO.loadedLibsByName[EXTENSION] = { name: EXTENSION };
  assert.equal(WebAssembly.Module, Original);
  assert.notEqual(new WebAssembly.Module(new Int8Array(WASM)), extensions[0].module);

  // A wheel read once the runtime is up is not compiled ahead.
  assert.deepEqual(await compileExtensions([new Promise((resolve) => setTimeout(() => resolve([{ name: "x.so", data: WASM }]), 5))], "/site", Promise.resolve()), []);

  // Offered before its compile is done: nothing waits for it.
  const busy = emscripten({ mtime: 1, usedBytes: WASM.byteLength });
  await offerCompiled(busy, [{ path: EXTENSION, size: WASM.byteLength, module: null }]);
  busy.LDSO.loadedLibsByName[EXTENSION] = { name: EXTENSION };
  assert.equal(WebAssembly.Module, Original);
});
