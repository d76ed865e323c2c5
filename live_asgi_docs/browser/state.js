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

/**
 * How long a start may report nothing before the reader is told it stopped.
 * While files download, every chunk that arrives is reported, so a silence
 * means the network stalled. While the worker computes (compiling the
 * runtime, installing the packages, restoring a snapshot, importing the app)
 * it cannot report anything at all, and on a busy machine or a slow phone
 * those steps take minutes, not seconds.
 */
export const STALL_MS = Object.freeze({ download: 60_000, busy: 300_000 });

/**
 * What the app worker last reported of a start: its stage (`runtime`,
 * `compile`, `app`) and how many of its downloads are still open.
 * @typedef {{stage: string, downloading: number}} StartProgress
 */

/**
 * How long a start may stay silent after a report, and what the reader is
 * told when it does: the stage it stopped in and what to do.
 * @param {StartProgress} progress
 * @returns {{ms: number, text: string}}
 */
export function stallWatch({ stage, downloading }) {
  // Before the compile stage, the worker waits for files (its own scripts,
  // the runtime's modules) even when none of its downloads is open.
  if (downloading > 0 || stage === "runtime" || !(stage in BUSY)) {
    const seconds = STALL_MS.download / 1000;
    return {
      ms: STALL_MS.download,
      text:
        `The app stopped starting: no data arrived for ${seconds} s while downloading ${DOWNLOADING[stage] ?? DOWNLOADING.runtime}. ` +
        "The connection may have dropped, or the site is missing a file. Check your connection and try again; " +
        "if this stays, tell the site's authors.",
    };
  }
  const minutes = STALL_MS.busy / 60_000;
  return { ms: STALL_MS.busy, text: `The app stopped starting: ${BUSY[stage]} ran for ${minutes} min without finishing. ${BUSY_ADVICE[stage]}` };
}

/** @type {Record<string, string>} */
const DOWNLOADING = {
  runtime: "the Python runtime and the app's packages",
  compile: "the app's packages",
  app: "the app's files",
};

/** The stages in which the worker computes, and what it does there. @type {Record<string, string>} */
const BUSY = {
  compile: "starting Python (compiling the runtime, installing or restoring the app's packages)",
  app: "the app's start-up (its import and lifespan startup)",
};

/** @type {Record<string, string>} */
const BUSY_ADVICE = {
  compile: "This device may be too busy or too slow: close other tabs and apps, then try again.",
  app:
    "The app may be waiting for something that never comes, or this device is too busy: close other tabs " +
    "and apps, then try again; if this stays, tell the site's authors.",
};
