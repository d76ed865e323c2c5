// Unit tests of an embed's states: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { STALL_MS, controls, stallWatch, transition } from "../../live_asgi_docs/browser/state.js";

const STATES = ["idle", "starting", "running", "failed", "crashed"];

test("a start runs from every state but a start already under way", () => {
  for (const state of STATES) {
    assert.equal(transition(state, "start"), state === "starting" ? null : "starting", state);
  }
});

test("only a starting or running embed takes an app page as loaded", () => {
  assert.equal(transition("starting", "loaded"), "running");
  assert.equal(transition("running", "loaded"), "running");
  // The about:blank of a stopped instance may load late.
  for (const state of ["idle", "failed", "crashed"]) assert.equal(transition(state, "loaded"), null, state);
});

test("a failure is shown whatever came before", () => {
  for (const state of STATES) assert.equal(transition(state, "fail"), "failed", state);
});

test("a worker's error is a failed start while starting and a crash afterwards", () => {
  assert.equal(transition("starting", "workerError"), "failed");
  assert.equal(transition("running", "workerError"), "crashed");
  assert.equal(transition("starting", "crash"), "crashed");
  assert.equal(transition("running", "crash"), "crashed");
  assert.equal(transition("idle", "crash"), null);
});

test("a whole start and a restart after a crash", () => {
  let state = "idle";
  for (const [event, expected] of [
    ["start", "starting"],
    ["loaded", "running"],
    ["crash", "crashed"],
    ["start", "starting"],
    ["loaded", "running"],
  ]) {
    state = transition(state, event);
    assert.equal(state, expected, event);
  }
});

test("controls: navigation with a frame, restart also after a crash, progress while starting", () => {
  assert.deepEqual(controls("running", true), { navigate: true, restart: true, progress: false });
  assert.deepEqual(controls("crashed", false), { navigate: false, restart: true, progress: false });
  assert.deepEqual(controls("failed", false), { navigate: false, restart: false, progress: false });
  assert.deepEqual(controls("starting", false), { navigate: false, restart: false, progress: true });
});

test("the watchdog gives an open download a minute of silence, wherever the start is", () => {
  for (const stage of ["runtime", "compile", "app"]) {
    const { ms, text } = stallWatch({ stage, downloading: 2 });
    assert.equal(ms, 60_000, stage);
    assert.match(text, /^The app stopped starting: no data arrived for 60 s while downloading /, stage);
    assert.match(text, /Check your connection and try again/, stage);
  }
  assert.match(stallWatch({ stage: "runtime", downloading: 1 }).text, /downloading the Python runtime and the app's packages\./);
  assert.match(stallWatch({ stage: "compile", downloading: 1 }).text, /downloading the app's packages\./);
});

test("before the runtime is downloaded, a silence is the network's even with no download open", () => {
  // The worker's own scripts and the runtime's modules load outside its fetch.
  assert.equal(stallWatch({ stage: "runtime", downloading: 0 }).ms, STALL_MS.download);
  assert.equal(stallWatch({ stage: "something new", downloading: 0 }).ms, STALL_MS.download);
});

test("while the worker computes, the watchdog waits minutes and names the stage", () => {
  assert.ok(STALL_MS.busy >= 5 * STALL_MS.download);
  const compile = stallWatch({ stage: "compile", downloading: 0 });
  assert.equal(compile.ms, STALL_MS.busy);
  assert.equal(
    compile.text,
    "The app stopped starting: starting Python (compiling the runtime, installing or restoring the app's " +
      "packages) ran for 5 min without finishing. This device may be too busy or too slow: close other tabs " +
      "and apps, then try again.",
  );
  const app = stallWatch({ stage: "app", downloading: 0 });
  assert.equal(app.ms, STALL_MS.busy);
  assert.match(app.text, /^The app stopped starting: the app's start-up \(its import and lifespan startup\) ran for 5 min/);
  assert.match(app.text, /tell the site's authors\.$/);
});
