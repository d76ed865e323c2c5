// @ts-check
/**
 * Background worker that makes an app's memory snapshot (see snapshot.js).
 * Started by the app worker once its app is ready, on a visit that had no
 * usable snapshot; it answers `{type: "snapshot", ok, detail}` and is done.
 */
import { MSG, sendSnapshotResult } from "./protocol.js";
import { makeSnapshot } from "./snapshot.js";

const scope = /** @type {DedicatedWorkerGlobalScope} */ (/** @type {unknown} */ (self));

scope.onmessage = async (/** @type {MessageEvent<import("./protocol.js").SnapshotJob>} */ event) => {
  const job = event.data;
  try {
    const { loadPyodide } = await import(new URL("pyodide.mjs", job.indexURL).href);
    const record = await makeSnapshot({ ...job, loadPyodide });
    sendSnapshotResult(scope, {
      type: MSG.snapshot,
      ok: true,
      detail: `${record.size} bytes, ${record.imported.length} modules`,
    });
  } catch (err) {
    sendSnapshotResult(scope, { type: MSG.snapshot, ok: false, detail: String(err) });
  }
  scope.close();
};
