// @ts-check
/**
 * The files of a zip archive (a wheel), inflated by the browser's own
 * `DecompressionStream`. Unpacking wheels this way runs no Python: in an
 * interpreter just restored from a snapshot, Python's `zipfile` ran about
 * three times slower than in one that had been running for a while (its
 * compiled code not yet optimised), and the inflating can happen while the
 * runtime is still loading.
 */

const decoder = new TextDecoder();
const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/**
 * @typedef {{name: string, data: Uint8Array}} ZipFile  `name`: the path inside the archive
 */

/**
 * Read a zip archive's files (directories are implied by the files' paths).
 * @param {Uint8Array} zip
 * @returns {Promise<ZipFile[]>}
 */
export async function unzip(zip) {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end record is 22 bytes, followed by a comment of at most 65535.
  let end = zip.byteLength - 22;
  const first = Math.max(0, end - 65535);
  while (end >= first && view.getUint32(end, true) !== END_OF_DIRECTORY) end--;
  if (end < first) throw new Error("not a zip archive: no end of central directory");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw new Error("a zip64 archive: not supported");
  /** @type {Promise<ZipFile>[]} */
  const files = [];
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== DIRECTORY_ENTRY) throw new Error(`corrupt zip archive: entry ${i} of ${count}`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (name.endsWith("/")) continue;
    if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`${name}: a path outside the archive's folder`);
    if (flags & 1) throw new Error(`${name}: encrypted`);
    if (view.getUint32(local, true) !== LOCAL_HEADER) throw new Error(`${name}: corrupt zip archive`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = zip.subarray(start, start + compressed);
    if (method === 0) files.push(Promise.resolve({ name, data: raw }));
    else if (method === 8) files.push(inflate(raw, size).then((data) => ({ name, data })));
    else throw new Error(`${name}: compression method ${method} is not supported`);
  }
  return Promise.all(files);
}

/**
 * @param {Uint8Array} raw deflated bytes
 * @param {number} size the size they inflate to
 * @returns {Promise<Uint8Array>}
 */
async function inflate(raw, size) {
  const stream = new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (raw)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const data = new Uint8Array(await new Response(stream).arrayBuffer());
  if (data.byteLength !== size) throw new Error(`inflated to ${data.byteLength} bytes, expected ${size}`);
  return data;
}
