// @ts-check
/**
 * Memory snapshots of an app worker's interpreter, kept in the reader's browser.
 *
 * First visit: the app worker loads its interpreter with `_makeSnapshot`,
 * unpacks the app's wheels, imports every package of the lock and the
 * bridge's standard-library modules (the slow part: FastAPI, pydantic, ...),
 * then imports the app's module while watching what the import does, and
 * copies the wasm memory before the app's lifespan startup and any request.
 * The copy is stored in Cache Storage in the background, so a snapshot exists
 * about as soon as the app is ready (a reader who leaves at once still gets
 * it), and no second interpreter competes with the app's first pages.
 *
 * An import that leaves something the memory does not hold (a file written,
 * a file left open, a JavaScript object Pyodide cannot keep) or that a
 * restored visit would see wrongly (random values, the instance's
 * `LIVE_ASGI_ROOT_PATH`) is not kept: a small record says why, and the next
 * first visit copies the memory before the app's import, which then runs on
 * every visit as usual. So do visits with the reader's edits.
 *
 * Later visits: the memory is restored (`_loadSnapshot`), the wheels' files
 * are unpacked again (the snapshot holds memory, not the virtual file system,
 * which lazy imports and tracebacks read), and compiled extensions
 * (pydantic_core's `.so`) are re-attached at the very memory and table
 * addresses they had, which Pyodide does not do by itself. `random` is
 * seeded anew. An app imported in the memory is not imported again, unless
 * the reader's edits replace its modules.
 *
 * A snapshot is only ever used when its key (runtime, lock, browser, app code)
 * matches, its digest checks out and every address lands where recorded;
 * anything else discards it and the caller takes the normal path.
 */

import { unzip } from "./unzip.js";

/** @typedef {import("./unzip.js").ZipFile} ZipFile */

/** Bumped whenever the record, its place or the restore procedure changes. */
export const SNAPSHOT_FORMAT = 5;
/** The Cache Storage cache that holds the snapshots. */
export const SNAPSHOT_CACHE = "live-asgi-snapshots";
/** Pyodide's snapshot header: magic number, then the offset of the memory image. */
const PYODIDE_SNAPSHOT_MAGIC = 1886286592;

/**
 * @typedef {{name: string, handle: number, global: boolean, memoryBase: number, ptr: number, tableBase: number}} Dynlib
 *   A compiled extension loaded in the interpreter: its dlopen handle, where its
 *   data lives (`memoryBase`, and `ptr`, the allocation holding it) and its first table slot.
 * @typedef {{format: number, key: string, digest: string, size: number, memoryOffset: number, memorySize: number,
 *   pages: number[], dynlibs: Dynlib[], tableLength: number, imported: string[], app: string | null, unfit: string[]}} SnapshotRecord
 *   `memoryOffset`: where the memory starts, after Pyodide's header; `memorySize`: the
 *   wasm memory's size; `pages`: where the stored parts of it go, as (start, length)
 *   pairs in order (the rest, about a quarter, is zeros and not stored); `size`: what
 *   is stored, the header and those parts.
 *   `app`: the app's target when its module is imported in the memory, null
 *   when the memory holds its packages only; `unfit`: why the app's import
 *   could not be kept (then `app` is null).
 * @typedef {{format: number, key: string, unfit: string[]}} UnfitRecord
 *   Stored without memory when the app's import could not be kept: the next
 *   first visit takes the snapshot before the import.
 * @typedef {{app: string, runtime: string, stdlib?: string, lock: string, userAgent: string, code?: string[]}} SnapshotIdentity
 *   Whose snapshot it is (`app`: the URL of the app's manifest) and what it
 *   depends on: the runtime's URL, the standard library's (the
 *   interpreter's memory holds offsets into its zip), the lock's file name
 *   (content hashed), the browser (its Pyodide bootstrap decides the
 *   function table's layout) and the app's own code, imported in the memory
 *   (`code`: the bundle's file name, content hashed, the target and the
 *   bridge's URL).
 * @typedef {{packages: Record<string, {file_name: string, imports?: string[]}>}} Lock
 */

/**
 * The cache key of a snapshot: the app's own prefix, then a hash of
 * everything its memory depends on.
 * @param {SnapshotIdentity} identity
 * @returns {Promise<string>}
 */
export async function snapshotKey(identity) {
  const app = (await sha256(new TextEncoder().encode(identity.app))).slice(0, 16);
  const canonical = JSON.stringify([SNAPSHOT_FORMAT, identity.runtime, identity.stdlib ?? null, identity.lock, identity.userAgent, identity.code ?? null]);
  return `${SNAPSHOT_FORMAT}-${app}-${await sha256(new TextEncoder().encode(canonical))}`;
}

const KEY_PATTERN = new RegExp(`^${SNAPSHOT_FORMAT}-[0-9a-f]{16}-[0-9a-f]{64}$`);

/**
 * The stored entries no start will use again: the app's snapshots for any
 * other key (an earlier deploy, browser or runtime), and anything in an
 * older format. Other apps' current snapshots stay.
 * @param {string[]} paths the URL paths of the entries in the snapshot cache
 * @param {string} key the app's current key
 * @returns {string[]}
 */
export function staleEntries(paths, key) {
  const app = key.slice(0, key.lastIndexOf("-") + 1);
  return paths.filter((path) => {
    const name = path.slice(path.lastIndexOf("/") + 1).replace(/\.(json|bin)$/, "");
    if (!path.startsWith(SNAPSHOT_PREFIX) || !KEY_PATTERN.test(name)) return true;
    return name !== key && name.startsWith(app);
  });
}

/**
 * Delete what {@link staleEntries} names: at most the current snapshot per
 * app and browser is kept (each is tens of MB).
 * @param {string} key
 */
export async function pruneSnapshots(key) {
  if (typeof caches === "undefined") return;
  const cache = await caches.open(SNAPSHOT_CACHE);
  const requests = await cache.keys();
  const stale = new Set(staleEntries(requests.map((r) => new URL(r.url).pathname), key));
  await Promise.all(requests.filter((r) => stale.has(new URL(r.url).pathname)).map((r) => cache.delete(r)));
}

/**
 * Hex SHA-256 of some bytes.
 * @param {Uint8Array} bytes
 * @returns {Promise<string>}
 */
export async function sha256(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", /** @type {Uint8Array<ArrayBuffer>} */ (bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The block size of {@link BlockDigest}: 4 MiB. */
const DIGEST_BLOCK = 1 << 22;

/**
 * A snapshot's digest: the SHA-256 of the SHA-256 of each 4 MiB block, in
 * order. Blocks are hashed as they arrive, by the browser's own threads, so
 * checking tens of MB costs about one block after the last byte is read.
 */
export class BlockDigest {
  /** @param {Uint8Array} bytes the buffer being filled */
  constructor(bytes) {
    this.bytes = bytes;
    /** @type {Promise<ArrayBuffer>[]} */
    this.blocks = [];
  }

  /**
   * Hash the blocks that are whole now.
   * @param {number} filled how many bytes of the buffer are written
   */
  update(filled) {
    while ((this.blocks.length + 1) * DIGEST_BLOCK <= filled) this.hashBlock(this.blocks.length * DIGEST_BLOCK, DIGEST_BLOCK);
  }

  /**
   * @param {number} filled the length of the whole
   * @returns {Promise<string>} hex
   */
  async finish(filled) {
    this.update(filled);
    const start = this.blocks.length * DIGEST_BLOCK;
    if (start < filled || filled === 0) this.hashBlock(start, filled - start);
    const parts = await Promise.all(this.blocks);
    const joined = new Uint8Array(parts.length * 32);
    parts.forEach((part, i) => joined.set(new Uint8Array(part), i * 32));
    return sha256(joined);
  }

  /** @param {number} start @param {number} length */
  hashBlock(start, length) {
    // The browser copies the block when called: later writes do not change it.
    this.blocks.push(crypto.subtle.digest("SHA-256", /** @type {Uint8Array<ArrayBuffer>} */ (this.bytes.subarray(start, start + length))));
  }
}

/**
 * The {@link BlockDigest} of some bytes.
 * @param {Uint8Array} bytes
 * @returns {Promise<string>}
 */
export function blockDigest(bytes) {
  return new BlockDigest(bytes).finish(bytes.byteLength);
}

/**
 * The wheels to unpack and the modules to import, from the app's lock.
 * @param {Lock} lock
 * @param {string[]} packages names of the lock's packages the app installs
 * @param {string} wheelsBase URL of the folder the lock's file names are relative to
 * @returns {{wheels: string[], imports: string[]}}
 */
export function lockContents(lock, packages, wheelsBase) {
  const wheels = [];
  const imports = [];
  for (const name of packages) {
    const entry = lock.packages[name];
    if (!entry) throw new Error(`the lock has no package ${name}`);
    wheels.push(new URL(entry.file_name, wheelsBase).href);
    imports.push(...(entry.imports ?? []));
  }
  return { wheels, imports };
}

/**
 * Check a stored record against the expected key, before its memory is read;
 * returns the reason it must not be used, or `null` when it may be.
 * @param {unknown} record
 * @param {string} key
 * @returns {string | null}
 */
export function recordReason(record, key) {
  const r = /** @type {Partial<SnapshotRecord> | null} */ (record);
  if (!r || typeof r !== "object") return "no record";
  if (r.format !== SNAPSHOT_FORMAT) return `format ${r.format}, expected ${SNAPSHOT_FORMAT}`;
  if (r.key !== key) return "made for another runtime, lock or browser";
  if (!Array.isArray(r.dynlibs) || typeof r.tableLength !== "number") return "incomplete record";
  if (typeof r.size !== "number" || r.size < 64 || typeof r.digest !== "string") return "incomplete record";
  if (typeof r.memoryOffset !== "number" || r.memoryOffset < 64 || r.memoryOffset >= r.size) return "incomplete record";
  if (typeof r.memorySize !== "number" || !Array.isArray(r.pages) || r.pages.length % 2) return "incomplete record";
  let stored = r.memoryOffset;
  let end = 0;
  for (let i = 0; i < r.pages.length; i += 2) {
    const [start, length] = [r.pages[i], r.pages[i + 1]];
    if (!(start >= end && length > 0 && start + length <= r.memorySize)) return "incomplete record";
    end = start + length;
    stored += length;
  }
  if (stored !== r.size) return "incomplete record";
  return null;
}

/**
 * Check a stored record against the expected key and the bytes it describes;
 * returns the reason it must not be used, or `null` when it may be.
 * @param {unknown} record
 * @param {string} key
 * @param {Uint8Array} bytes
 * @param {Promise<string>} [digest] the bytes' {@link blockDigest}, when computed already
 * @returns {Promise<string | null>}
 */
export async function rejectReason(record, key, bytes, digest) {
  const early = recordReason(record, key);
  if (early) return early;
  const r = /** @type {SnapshotRecord} */ (record);
  if (bytes.byteLength !== r.size) return `truncated: ${bytes.byteLength} bytes, expected ${r.size}`;
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
  if (header[0] !== PYODIDE_SNAPSHOT_MAGIC) return "not a Pyodide memory snapshot";
  if (header[1] !== r.memoryOffset) return `its memory starts at ${header[1]}, the record says ${r.memoryOffset}`;
  if ((await (digest ?? blockDigest(bytes))) !== r.digest) return "corrupt: digest differs";
  return null;
}

/**
 * The compiled extensions loaded in an interpreter, in load order.
 * @param {any} Module the Emscripten module (`pyodide._module`)
 * @returns {{dynlibs: Dynlib[], tableLength: number}}
 */
export function dynlibState(Module) {
  /** @type {Dynlib[]} */
  const dynlibs = [];
  for (const [h, dso] of Object.entries(Module.LDSO.loadedLibsByHandle)) {
    const handle = Number(h);
    if (!handle) continue; // the main module
    // Emscripten's dlopen handle: memoryBase at +12, tableBase at +20.
    const memoryBase = Module.HEAPU32[(handle + 12) >>> 2];
    // The data was calloc'ed then aligned up: the zeroed gap ends at
    // memoryBase, and the allocation starts right after malloc's header word.
    let ptr = memoryBase;
    while (ptr > 0 && Module.HEAPU32[(ptr - 4) >>> 2] === 0 && memoryBase - ptr < 65536) ptr -= 4;
    dynlibs.push({ name: dso.name, handle, global: !!dso.global, memoryBase, ptr, tableBase: Module.HEAPU32[(handle + 20) >>> 2] });
  }
  dynlibs.sort((a, b) => a.tableBase - b.tableBase);
  return { dynlibs, tableLength: Module.wasmTable.length };
}

/**
 * Load the compiled extensions again at the addresses the snapshot's memory
 * expects, then put back the memory exactly as it was (loading writes the
 * libraries' initial data over their live state).
 * @param {any} Module
 * @param {{dynlibs: Dynlib[], tableLength: number}} state
 */
export function reattachDynlibs(Module, state) {
  const saved = Module.HEAPU8.slice();
  for (const lib of state.dynlibs) {
    if (Module.wasmTable.length > lib.tableBase) {
      throw new Error(`${lib.name}: the function table already has ${Module.wasmTable.length} entries, the library needs slot ${lib.tableBase}`);
    }
    Module.wasmTable.grow(lib.tableBase - Module.wasmTable.length);
    // Hand the library's block back to malloc so that the loader's calloc
    // gets the same block; checked below, never assumed.
    Module._free(lib.ptr);
    Module.loadDynamicLibrary(lib.name, { global: lib.global, nodelete: true, loadAsync: false }, lib.global ? undefined : {}, lib.handle);
    const memoryBase = Module.HEAPU32[(lib.handle + 12) >>> 2];
    const tableBase = Module.HEAPU32[(lib.handle + 20) >>> 2];
    if (memoryBase !== lib.memoryBase || tableBase !== lib.tableBase) {
      throw new Error(`${lib.name} landed at memory ${memoryBase}/table ${tableBase}, expected ${lib.memoryBase}/${lib.tableBase}`);
    }
  }
  if (Module.wasmTable.length !== state.tableLength) {
    throw new Error(`the function table has ${Module.wasmTable.length} entries, the snapshot ${state.tableLength}`);
  }
  Module.HEAPU8.set(saved);
}

/**
 * Unpack wheels as plain archives: their files only, without Pyodide's
 * package loading (which would load compiled extensions at new addresses
 * and leave JavaScript references a snapshot cannot hold). The files come
 * inflated already ({@link fetchWheels}): only writing them is left.
 * @param {any} pyodide
 * @param {Promise<ZipFile[]>[]} wheels
 * @param {string} sitePackages where they go (the manifest's `site_packages`)
 */
export async function unpackWheels(pyodide, wheels, sitePackages) {
  const { FS } = pyodide;
  const made = new Set();
  for (const files of await Promise.all(wheels)) {
    for (const { name, data } of files) {
      const path = `${sitePackages}/${name}`;
      const dir = path.slice(0, path.lastIndexOf("/"));
      if (!made.has(dir)) {
        FS.mkdirTree(dir);
        made.add(dir);
      }
      FS.writeFile(path, data, { canOwn: true });
    }
  }
}

/**
 * Download wheels and inflate their files, all at once and in the
 * background (while the runtime loads); failures wait for whoever awaits them.
 * @param {string[]} urls
 * @returns {Promise<ZipFile[]>[]}
 */
export function fetchWheels(urls) {
  const wheels = urls.map((url) => fetchBytes(url).then(unzip));
  wheels.forEach((p) => p.catch(() => {}));
  return wheels;
}

/** The first bytes of a WebAssembly module: `\0asm`. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * @typedef {{path: string, size: number, module: WebAssembly.Module | null}} CompiledExtension
 *   A wheel's compiled extension (a `.so` file): where it is unpacked, its size and, once
 *   compiled, the module compiled from its bytes.
 */

/**
 * Compile the wheels' compiled extensions (their `.so` files, WebAssembly) in
 * the background as soon as their bytes are inflated, while the runtime
 * loads: the dynamic loader would compile each one synchronously on the
 * worker's thread when Python first imports it (pydantic_core's 4.7 MB: 20 to
 * 60 ms in Chromium), in the middle of the app's start. {@link offerCompiled}
 * hands them to the loader. A wheel read only once the runtime is up (this
 * thread was busy starting it) is not compiled ahead: its compile would not
 * be done in time, and would take the processor from the start for nothing.
 * @param {Promise<ZipFile[]>[]} wheels from {@link fetchWheels}
 * @param {string} sitePackages where they are unpacked
 * @param {Promise<unknown>} runtime settles when the runtime is up
 * @returns {Promise<CompiledExtension[]>} once the wheels are read; each `module` is set
 *   when its compile is done (never when the file does not compile: the loader then
 *   compiles it itself and says what is wrong)
 */
export async function compileExtensions(wheels, sitePackages, runtime) {
  let late = false;
  runtime.then(
    () => (late = true),
    () => (late = true),
  );
  // Each wheel's as soon as it is read.
  const compiles = wheels.map(async (wheel) => {
    /** @type {CompiledExtension[]} */
    const extensions = [];
    const files = await wheel.catch(() => []);
    if (late) return extensions;
    for (const { name, data } of files) {
      if (!name.endsWith(".so") || !WASM_MAGIC.every((b, i) => data[i] === b)) continue;
      /** @type {CompiledExtension} */
      const extension = { path: `${sitePackages}/${name}`, size: data.byteLength, module: null };
      WebAssembly.compile(/** @type {Uint8Array<ArrayBuffer>} */ (data)).then((module) => (extension.module = module), () => {});
      extensions.push(extension);
    }
    return extensions;
  });
  return (await Promise.all(compiles)).flat();
}

/**
 * Make the dynamic loader take the modules {@link compileExtensions} compiled
 * instead of compiling their files again. Emscripten's loader registers a
 * library by its path (`LDSO.loadedLibsByName`), then reads its bytes (a copy
 * of the file `dlopen` read into the wasm memory; a restore re-attaches from
 * that copy, kept in the memory) and compiles them with `new
 * WebAssembly.Module(bytes)`: while an offered extension is being loaded, its
 * compile is done and its file is the one unpacked (same node, not written
 * since), that construction is its compiled module (modules are immutable:
 * the same thing, sooner). Each is taken once. A compile not done by then (on
 * a busy machine) is not waited for: the loader compiles that file, as before.
 * @param {any} Module the Emscripten module (`pyodide._module`), its wheels unpacked
 * @param {CompiledExtension[]} extensions
 */
export async function offerCompiled(Module, extensions) {
  // A compile done in the background is delivered by a task, which the
  // start's long synchronous stretches hold back: one turn takes those done.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const { FS, LDSO, PATH } = Module;
  /** The offered extensions being loaded, innermost last (a library loads those it needs first). @type {CompiledExtension[]} */
  const loading = [];
  const Original = WebAssembly.Module;
  let left = 0;
  for (const extension of extensions) {
    const name = PATH.normalize(extension.path);
    const node = FS.analyzePath(name).object;
    if (!node || name in LDSO.loadedLibsByName) continue;
    const written = node.mtime;
    left++;
    Object.defineProperty(LDSO.loadedLibsByName, name, {
      configurable: true,
      enumerable: false,
      get: () => undefined,
      set(dso) {
        Object.defineProperty(LDSO.loadedLibsByName, name, { value: dso, writable: true, enumerable: true, configurable: true });
        const now = FS.analyzePath(name).object;
        if (extension.module && now === node && now.mtime === written && now.usedBytes === extension.size) loading.push(extension);
        else if (--left === 0) WebAssembly.Module = Original;
      },
    });
  }
  if (!left) return;
  WebAssembly.Module = new Proxy(Original, {
    construct(target, args, newTarget) {
      const extension = loading.at(-1);
      const bytes = args[0];
      if (!extension?.module || !ArrayBuffer.isView(bytes) || bytes.byteLength !== extension.size) return Reflect.construct(target, args, newTarget);
      loading.pop();
      if (--left === 0) WebAssembly.Module = Original;
      return extension.module;
    },
  });
}

/**
 * Import the given modules (failures are skipped: a package may hold a module
 * that needs something absent, which the app then never imports either).
 * @param {any} pyodide
 * @param {string[]} modules
 * @returns {string[]} the modules imported
 */
export function importModules(pyodide, modules) {
  const done = [];
  for (const name of modules) {
    try {
      pyodide.pyimport(name).destroy();
      done.push(name);
    } catch {
      // not importable here: leave it to the app
    }
  }
  return done;
}

/**
 * Whether the lock's packages can be set up the way a snapshot needs (their
 * wheels unpacked as plain archives into site-packages): not when one is a
 * shared library or installs elsewhere, which only Pyodide's package loading
 * knows how to place.
 * @param {Lock} lock
 * @param {string[]} packages
 */
export function snapshotable(lock, packages) {
  return packages.every((name) => {
    const entry = /** @type {{shared_library?: boolean, install_dir?: string} | undefined} */ (lock.packages[name]);
    return !!entry && !entry.shared_library && (entry.install_dir ?? "site") === "site";
  });
}

/**
 * Start an interpreter for a first visit, ready to be snapshotted: load it
 * with `_makeSnapshot`, unpack the wheels, import the dependencies. The
 * caller takes the snapshot ({@link takeSnapshot}) before or after importing
 * the app.
 * @param {{indexURL: string, stdLibURL?: string, wheels: string[], imports: string[],
 *   sitePackages: string, loadPyodide: Function, config?: object}} options `imports`: what to
 *   import, the packages' modules and the bridge's (the manifest's `bridge_imports`);
 *   `config`: more options for `loadPyodide` (stdout, stderr)
 * @param {Record<string, number>} [steps] filled with how long each step took (ms)
 * @returns {Promise<{pyodide: any, imported: string[]}>}
 */
export async function startForSnapshot({ indexURL, stdLibURL, wheels, imports, sitePackages, loadPyodide, config = {} }, steps = {}) {
  const step = stepper(steps);
  const wheelFiles = fetchWheels(wheels);
  const loading = loadPyodide({ ...config, indexURL, stdLibURL, _makeSnapshot: true });
  const extensions = compileExtensions(wheelFiles, sitePackages, loading);
  const pyodide = await loading;
  step("runtime loaded");
  await unpackWheels(pyodide, wheelFiles, sitePackages);
  await offerCompiled(pyodide._module, await extensions);
  step("wheels unpacked");
  const imported = importModules(pyodide, imports);
  step("packages imported");
  return { pyodide, imported };
}

/**
 * Copy the interpreter's memory now; it is stored in the background, once
 * `after` settles.
 * @param {any} pyodide started by {@link startForSnapshot}
 * @param {string} key
 * @param {{imported: string[], app: string | null, unfit?: string[]}} about what the memory holds
 * @param {Promise<unknown>} [after] when to store it: packing, hashing and handing tens of MB
 *   to Cache Storage take 0.1 to 0.4 s of this thread, which the app's startup and first
 *   page should not wait for
 * @returns {Promise<SnapshotRecord>} rejects when it cannot be stored
 * @throws when Pyodide refuses to copy it (a JavaScript object held by Python)
 */
export function takeSnapshot(pyodide, key, about, after = Promise.resolve()) {
  const state = dynlibState(pyodide._module);
  const bytes = pyodide.makeMemorySnapshot();
  const saved = after.catch(() => {}).then(() => saveSnapshot(bytes, key, { unfit: [], ...about }, state));
  saved.catch(() => {}); // the caller reports it when it wants to
  return saved;
}

/**
 * Store a snapshot's memory (from `makeMemorySnapshot()`) with its record.
 * @param {Uint8Array} bytes
 * @param {string} key
 * @param {{imported: string[], app: string | null, unfit: string[]}} about
 * @param {{dynlibs: Dynlib[], tableLength: number}} state the interpreter's {@link dynlibState} when the memory was copied
 * @returns {Promise<SnapshotRecord>}
 */
export async function saveSnapshot(bytes, key, about, state) {
  const memoryOffset = new Uint32Array(bytes.buffer, bytes.byteOffset, 2)[1];
  const memorySize = bytes.byteLength - memoryOffset;
  const pages = packPages(bytes, memoryOffset);
  const packed = bytes.subarray(0, memoryOffset + pages.reduce((sum, n, i) => (i % 2 ? sum + n : sum), 0));
  /** @type {SnapshotRecord} */
  const record = {
    format: SNAPSHOT_FORMAT,
    key,
    digest: await blockDigest(packed),
    size: packed.byteLength,
    memoryOffset,
    memorySize,
    pages,
    ...about,
    ...state,
  };
  const cache = await caches.open(SNAPSHOT_CACHE);
  await cache.put(recordUrl(key), new Response(JSON.stringify(record), { headers: { "content-type": "application/json" } }));
  await cache.put(memoryUrl(key), new Response(/** @type {Uint8Array<ArrayBuffer>} */ (packed)));
  await pruneSnapshots(key);
  return record;
}

/** The unit of {@link packPages}: 64 KiB, a wasm page. */
const PAGE = 1 << 16;

/**
 * Drop the memory's all-zero pages, in place: the pages that are not zero
 * move down to follow the header (`offset` bytes) and each other.
 * @param {Uint8Array} bytes a snapshot: header, then the memory
 * @param {number} offset where the memory starts
 * @returns {number[]} where the kept parts belong in the memory, as (start, length) pairs
 */
export function packPages(bytes, offset) {
  const memory = bytes.subarray(offset);
  const words = new Uint32Array(memory.buffer, memory.byteOffset, memory.byteLength >>> 2);
  /** @type {number[]} */
  const pages = [];
  let to = offset;
  for (let start = 0; start < memory.byteLength; start += PAGE) {
    const end = Math.min(start + PAGE, memory.byteLength);
    let zero = true;
    for (let w = start >>> 2; w < end >>> 2; w++) {
      if (words[w]) {
        zero = false;
        break;
      }
    }
    // (A tail shorter than a word is kept whatever it holds.)
    if (zero && (end & 3) === 0) continue;
    const last = pages.length - 2;
    if (last >= 0 && pages[last] + pages[last + 1] === start) pages[last + 1] += end - start;
    else pages.push(start, end - start);
    if (to !== offset + start) bytes.copyWithin(to, offset + start, offset + end);
    to += end - start;
  }
  return pages;
}

/**
 * Write a packed snapshot's memory into the wasm memory: its parts where
 * they belong, zeros between them.
 * @param {Uint8Array} heap the wasm memory (`HEAPU8`)
 * @param {Uint8Array} bytes the stored snapshot
 * @param {SnapshotRecord} record
 */
export function unpackPages(heap, bytes, record) {
  let from = record.memoryOffset;
  let at = 0;
  for (let i = 0; i < record.pages.length; i += 2) {
    const [start, length] = [record.pages[i], record.pages[i + 1]];
    heap.fill(0, at, start);
    heap.set(bytes.subarray(from, from + length), start);
    from += length;
    at = start + length;
  }
  heap.fill(0, at, record.memorySize);
}

/**
 * Remember that the app's import cannot be kept in a snapshot, so that the
 * next first visit takes one before it.
 * @param {string} key
 * @param {string[]} unfit why
 */
export async function saveUnfit(key, unfit) {
  if (typeof caches === "undefined") return;
  /** @type {UnfitRecord} */
  const record = { format: SNAPSHOT_FORMAT, key, unfit };
  const cache = await caches.open(SNAPSHOT_CACHE);
  await cache.delete(memoryUrl(key));
  await cache.put(recordUrl(key), new Response(JSON.stringify(record), { headers: { "content-type": "application/json" } }));
  await pruneSnapshots(key);
}

/** Emscripten's open flags that write: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND. */
const WRITING = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000;

/**
 * Watch the virtual file system while the app is imported: the snapshot
 * holds memory only, so a file the import writes (a database, a folder)
 * would be missing on a restored visit, and a file it leaves open would
 * point nowhere. Bytecode caches (`__pycache__`) do not count.
 * @param {any} FS Pyodide's `FS`
 * @returns {() => string[]} stops watching and says what was seen
 */
export function watchFiles(FS) {
  /** @type {string[]} */
  const seen = [];
  /** @param {string} what @param {unknown} path */
  const note = (what, path) => {
    const text = String(path);
    if (/(^|\/)__pycache__(\/|$)/.test(text)) return;
    if (seen.length < 5) seen.push(`${what} ${text}`);
  };
  const open = new Set(openStreams(FS));
  /** @type {[string, Function][]} */
  const originals = [];
  /** @param {string} name @param {(args: any[]) => string | null} check */
  const wrap = (name, check) => {
    const original = FS[name];
    originals.push([name, original]);
    FS[name] = function (/** @type {any[]} */ ...args) {
      const what = check(args);
      if (what) note(what, args[0]);
      return original.apply(this, args);
    };
  };
  wrap("open", ([, flags]) => {
    const writes = typeof flags === "number" ? flags & WRITING : /[wa+]/.test(String(flags ?? "r"));
    return writes ? "wrote" : null;
  });
  for (const name of ["mkdir", "rmdir", "unlink", "rename", "symlink", "truncate", "chmod", "utime"]) {
    wrap(name, () => name);
  }
  return () => {
    for (const [name, original] of originals) FS[name] = original;
    for (const fd of openStreams(FS)) {
      if (!open.has(fd) && seen.length < 5) seen.push(`left open ${FS.streams[fd].path}`);
    }
    return seen.map((what) => `the app's import ${what} (files are not kept)`);
  };
}

/** @param {any} FS @returns {number[]} the open file descriptors */
function openStreams(FS) {
  const fds = [];
  for (let fd = 0; fd < FS.streams.length; fd++) if (FS.streams[fd]) fds.push(fd);
  return fds;
}

/**
 * Look up the stored snapshot for this key: its record and its memory's
 * response (unread), or `null`, after pruning what earlier deploys left.
 * @param {string} key
 * @returns {Promise<{record: unknown, memory: Response | null} | null>} `memory`
 *   is null for an {@link UnfitRecord}
 */
export async function findSnapshot(key) {
  if (typeof caches === "undefined") return null;
  const cache = await caches.open(SNAPSHOT_CACHE);
  const [recordResponse, memory] = await Promise.all([cache.match(recordUrl(key)), cache.match(memoryUrl(key))]);
  if (recordResponse && !memory) {
    /** @type {any} */
    const record = await recordResponse.json().catch(() => null);
    if (record?.format === SNAPSHOT_FORMAT && record.key === key && Array.isArray(record.unfit)) {
      return { record, memory: null };
    }
  }
  if (!recordResponse || !memory) {
    // A new deploy (or browser): what an earlier one left is never used again.
    // Deleted in the background: a first visit's start does not wait for it.
    pruneSnapshots(key).catch(() => {});
    return null;
  }
  try {
    return { record: await recordResponse.json(), memory };
  } catch {
    return { record: null, memory };
  }
}

/**
 * Read a found snapshot's memory and check it against its record; rejects
 * with the reason it must not be used. (Read whole: Cache Storage gives a
 * body at once several times faster than chunk by chunk.)
 * @param {{record: unknown, memory: Response}} found
 * @param {string} key
 * @returns {Promise<Uint8Array>}
 */
export async function readMemory({ record, memory }, key) {
  const bytes = new Uint8Array(await memory.arrayBuffer());
  const reason = await rejectReason(record, key, bytes);
  if (reason) throw new UnusableSnapshot(reason);
  return bytes;
}

/** A stored snapshot that is not this app's, or damaged. */
class UnusableSnapshot extends Error {}

/** @param {string} key */
export async function discardSnapshot(key) {
  if (typeof caches === "undefined") return;
  const cache = await caches.open(SNAPSHOT_CACHE);
  await Promise.all([cache.delete(recordUrl(key)), cache.delete(memoryUrl(key))]);
}

/**
 * Start Pyodide from a stored snapshot: restore the memory, unpack the
 * wheels, re-attach compiled extensions, seed `random` anew. `pyodide` is
 * `null` (after discarding the snapshot) when there is none or it cannot be
 * used; the caller then starts the normal way with a new interpreter.
 * @param {{key: string, indexURL: string, stdLibURL?: string, wheels: string[], sitePackages: string,
 *   loadPyodide: Function, config?: object}} options
 *   `wheels`: the wheels' URLs; `config`: more options for `loadPyodide` (stdout, stderr).
 * @param {Record<string, number>} [steps] filled with how long each step took (ms)
 * @returns {Promise<{pyodide: any, app: string | null, unfit: string[]}>} `app`: the app's
 *   target when its module is imported already; `unfit`: why the app's import cannot be
 *   kept in a snapshot, when an earlier visit found out
 */
export async function restoreFromSnapshot({ key, indexURL, stdLibURL, wheels, sitePackages, loadPyodide, config = {} }, steps = {}) {
  const step = stepper(steps);
  const found = await findSnapshot(key);
  step("snapshot found");
  const none = { pyodide: null, app: null, unfit: [] };
  if (!found) return none;
  if (!found.memory) return { ...none, unfit: /** @type {UnfitRecord} */ (found.record).unfit };
  const early = recordReason(found.record, key);
  if (early) {
    console.warn(`live-asgi: discarding the stored snapshot: ${early}`);
    await discardSnapshot(key);
    return none;
  }
  const record = /** @type {SnapshotRecord} */ (found.record);
  const memory = found.memory;
  // The memory is read and checked (tens of MB, then their digest) while the
  // runtime's script loads and its wasm compiles and instantiates; the
  // interpreter's bootstrap, the first code to run on that memory, waits for
  // the check (an Emscripten run dependency), so a damaged image never runs.
  const began = performance.now();
  const image = readMemory({ record, memory }, key);
  image.then(
    () => (steps["snapshot read and checked (alongside)"] = Math.round(performance.now() - began)),
    () => {},
  );
  // Pyodide awaits its snapshot before it even instantiates the runtime, but
  // reads it only in its bootstrap: it gets the header (an empty buffer now,
  // filled once the image is checked), and the memory is copied where Pyodide
  // would copy it, from the checked image.
  const head = new Uint8Array(record.memoryOffset);
  /** @type {Uint8Array | null} */
  let checked = null;
  const wheelFiles = fetchWheels(wheels);
  /** @type {(value?: unknown) => void} */
  let restored = () => {};
  const extensions = compileExtensions(wheelFiles, sitePackages, new Promise((resolve) => (restored = resolve)));
  try {
    const { default: createModule } = await import(new URL("pyodide.asm.mjs", indexURL).href);
    const loading = loadPyodide({
      ...config,
      indexURL,
      stdLibURL,
      _loadSnapshot: head,
      createPyodideModule: (/** @type {any} */ settings) => {
        settings.preRun.push((/** @type {any} */ Module) => {
          // The runtime is compiled and instantiated (while the image was read).
          // The wasm declares its own initial size: grow it to the image's.
          if (Module.HEAP8.length < record.memorySize) Module.growMemory(record.memorySize);
          const restore = Module.API.restoreSnapshot;
          Module.API.restoreSnapshot = (/** @type {Uint8Array} */ header) => {
            const state = restore(header);
            unpackPages(Module.HEAPU8, /** @type {Uint8Array} */ (checked), record);
            return state;
          };
          // The bootstrap, the first code to run on the memory, waits for the check.
          Module.addRunDependency("live-asgi-snapshot");
          image.then(
            (bytes) => {
              checked = bytes;
              head.set(bytes.subarray(0, head.byteLength));
              Module.removeRunDependency("live-asgi-snapshot");
            },
            // A damaged image: the bootstrap never runs, the caller starts anew.
            () => {},
          );
        });
        return createModule(settings);
      },
    });
    loading.catch(() => {});
    const pyodide = await Promise.race([loading, image.then(() => loading)]);
    restored();
    step("runtime restored");
    await unpackWheels(pyodide, wheelFiles, sitePackages);
    await offerCompiled(pyodide._module, await extensions);
    step("wheels unpacked");
    reattachDynlibs(pyodide._module, record);
    step("extensions attached");
    // A fresh start seeds `random` from the system's entropy; the restored
    // memory holds the first visit's generator, which every visit would repeat.
    pyodide.runPython("import random; random.seed()");
    return { pyodide, app: record.app ?? null, unfit: record.unfit ?? [] };
  } catch (err) {
    if (err instanceof UnusableSnapshot) console.warn(`live-asgi: discarding the stored snapshot: ${err}`);
    else console.warn(`live-asgi: the stored snapshot could not be restored, starting normally: ${err}`);
    await discardSnapshot(key);
    return none;
  }
}

/**
 * A function that records, under a name, the ms since its previous call.
 * @param {Record<string, number>} steps
 * @returns {(name: string) => void}
 */
function stepper(steps) {
  let last = performance.now();
  return (name) => {
    const now = performance.now();
    steps[name] = Math.round(now - last);
    last = now;
  };
}

/**
 * @param {string} url
 * @returns {Promise<Uint8Array>}
 */
async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Where the cache entries live (a made-up path: the cache is keyed by URL). */
const SNAPSHOT_PREFIX = "/live-asgi-snapshot/";

/** @param {string} key */
function recordUrl(key) {
  return `${SNAPSHOT_PREFIX}${key}.json`;
}

/** @param {string} key */
function memoryUrl(key) {
  return `${SNAPSHOT_PREFIX}${key}.bin`;
}
