// Unit tests of an embed's states: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { controls, transition } from "../../live_asgi_docs/browser/state.js";

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
