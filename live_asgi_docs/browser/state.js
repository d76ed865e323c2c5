// @ts-check
/**
 * The states of an embed and the events that move it: a pure function,
 * unit-tested with `node --test`. The loader keeps the state in the embed
 * element's `data-state` (the stylesheet and the tests read it there).
 *
 *   idle ─start→ starting ─loaded→ running ─crash→ crashed
 *                   │                 │               │
 *                   └─fail→ failed ←──┘     start (restart, try again) → starting
 */

/** @typedef {"idle" | "starting" | "running" | "failed" | "crashed"} State */
/**
 * @typedef {"start" | "loaded" | "fail" | "crash" | "workerError"} Event
 *   `start`: the reader (or the page) starts the app; `loaded`: the frame shows
 *   an app page; `fail`: the start went wrong; `crash`: the runtime died;
 *   `workerError`: the app's worker threw, which is a failed start while
 *   starting and a crash afterwards.
 */

/** @type {Record<State, Partial<Record<Event, State>>>} */
const TABLE = {
  idle: { start: "starting", fail: "failed" },
  starting: { loaded: "running", fail: "failed", crash: "crashed", workerError: "failed" },
  running: { start: "starting", loaded: "running", fail: "failed", crash: "crashed", workerError: "crashed" },
  failed: { start: "starting", fail: "failed" },
  crashed: { start: "starting", fail: "failed", crash: "crashed" },
};

/**
 * The state an event leads to, or null when the event means nothing in this
 * state (a second click on "Run" while starting, a late load of a stopped frame).
 * @param {State} state
 * @param {Event} event
 * @returns {State | null}
 */
export function transition(state, event) {
  return TABLE[state][event] ?? null;
}

/**
 * What the controls allow in a state: the toolbar of a running app, a
 * restart after a crash, a progress bar while starting.
 * @param {State} state
 * @param {boolean} hasFrame the frame shows the app instance
 * @returns {{navigate: boolean, restart: boolean, progress: boolean}}
 */
export function controls(state, hasFrame) {
  return {
    navigate: hasFrame,
    restart: hasFrame || state === "crashed",
    progress: state === "starting",
  };
}
