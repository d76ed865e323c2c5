// @ts-check
/**
 * Brotli for precompress.py: `node brotli.mjs job.json`, the job a list of
 * [input, output] file pairs. Quality 11 (the best: every reader downloads
 * these, they are compressed once and cached).
 */
import fs from "node:fs";
import zlib from "node:zlib";

/** @type {[string, string][]} */
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
for (const [input, output] of job) {
  const data = fs.readFileSync(input);
  const params = {
    [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
  };
  fs.writeFileSync(output, zlib.brotliCompressSync(data, { params }));
}
