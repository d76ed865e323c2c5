import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { unzip } from "../../live_asgi_docs/browser/unzip.js";

/**
 * A zip archive as zipfile writes one: local headers, then the central directory and its end.
 * @param {{name: string, text?: string, deflate?: boolean}[]} entries
 */
function zip(entries) {
  const parts = [];
  const directory = [];
  let offset = 0;
  for (const { name, text = "", deflate = false } of entries) {
    const data = Buffer.from(text);
    const stored = deflate ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, stored);
    directory.push(central, nameBytes);
    offset += 30 + nameBytes.length + stored.length;
  }
  const size = directory.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, ...directory, end]));
}

const text = (/** @type {Uint8Array} */ data) => Buffer.from(data).toString();

test("unzip gives stored and deflated files by their paths, directories implied", async () => {
  const files = await unzip(
    zip([
      { name: "pkg/" },
      { name: "pkg/__init__.py", text: "x = 1\n" },
      { name: "pkg/big.py", text: "print('hello')\n".repeat(1000), deflate: true },
      { name: "pkg-1.0.dist-info/RECORD", text: "", deflate: true },
    ]),
  );
  assert.deepEqual(
    files.map((f) => [f.name, f.data.byteLength]),
    [
      ["pkg/__init__.py", 6],
      ["pkg/big.py", 15000],
      ["pkg-1.0.dist-info/RECORD", 0],
    ],
  );
  assert.equal(text(files[0].data), "x = 1\n");
  assert.equal(text(files[1].data), "print('hello')\n".repeat(1000));
});

test("unzip refuses what is not a zip archive, and paths outside its folder", async () => {
  await assert.rejects(unzip(new TextEncoder().encode("<html>not found</html>".repeat(3))), /not a zip archive/);
  await assert.rejects(unzip(zip([{ name: "../evil.py", text: "x" }])), /outside the archive's folder/);
  await assert.rejects(unzip(zip([{ name: "/etc/passwd", text: "x" }])), /outside the archive's folder/);
});
