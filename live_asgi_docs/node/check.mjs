// @ts-check
/**
 * The build-time check of one app: Pyodide under Node, with exactly what the
 * built site gives a reader (runtime, lock, wheels, app bundle, bridge).
 *
 * Usage: node check.mjs JOB.json. The job names the files (see check.py); the
 * report of check_probe.py is the last line of stdout, after REPORT_MARK.
 * Everything else the app prints goes to stderr.
 */

import { readFile } from "node:fs/promises";
import { installApp, startPyodide } from "./pyodide_node.mjs";

const REPORT_MARK = "live-asgi-check-report:";

/**
 * @typedef {{runtime: string, lock: string, wheels: string, packages: string[], bundle: string,
 *   bridge: string, compat: string, probe: string, target: string, name: string, path: string}} Job
 */

/**
 * Print the report and end: an app may leave tasks or timers behind.
 * @param {object} report
 * @returns {never}
 */
function finish(report) {
  process.stdout.write(`${REPORT_MARK}${JSON.stringify(report)}\n`);
  process.exit(0);
}

// Pyodide failing (a runtime file missing or damaged, a wheel it cannot
// install) is reported like the app's failures, in one line.
process.on("uncaughtException", (err) => finish({ ok: false, stage: "runtime", error: String(err) }));
process.on("unhandledRejection", (err) => finish({ ok: false, stage: "runtime", error: String(err) }));

/** @type {Job} */
const job = JSON.parse(await readFile(process.argv[2], "utf8"));
const log = (/** @type {string} */ line) => process.stderr.write(`[${job.name}] ${line}\n`);

/** @type {string[]} */
const problems = [];
const pyodide = await startPyodide(job.runtime, {
  lockFileContents: JSON.parse(await readFile(job.lock, "utf8")),
  packageBaseUrl: `${job.wheels}/`,
  packages: job.packages,
  stdout: log,
  stderr: (/** @type {string} */ line) => {
    if (/^(Failed|Error|Unable)/i.test(line)) problems.push(line);
    log(line);
  },
});
if (problems.length) {
  finish({ ok: false, stage: "install", error: `the app's packages could not be installed: ${problems.join("; ")}` });
}

// The same layout as the browser's worker: the app's code and the bridge's
// files side by side in one folder on sys.path.
const appDir = installApp(pyodide, job.name, job);
pyodide.FS.writeFile(`${appDir}/_live_asgi_probe.py`, await readFile(job.probe, "utf8"));
pyodide.pyimport("sys").path.insert(0, appDir);
const probe = pyodide.pyimport("_live_asgi_probe");
finish(JSON.parse(await probe.run(job.target, job.name, job.path, appDir)));
