"""The benchmark of issue 7: the sample FastAPI app in its docs embed, in headless Chromium.

Run ``python -m bench`` (``--quick`` for one short run, as CI does). It builds the
sample Sphinx docs with the runtime vendored, serves them like a static host
(gzip, ETag, max-age), and measures, with fresh browser profiles:

- cold start: navigation start to the app's first page loaded in the iframe;
- revisit: the same in the same profile (HTTP cache primed);
- a small JSON request from inside the iframe (median, p95);
- a 1 MB response (median); 50 concurrent small requests and the same 50
  one after another (20 batches of each per run);
- time to the first and last chunk of a streamed response;
- bytes sent by the server for a cold start; the worker's wasm memory.

In the same run and browser it measures the floors (a bare ``loadPyodide()`` in
a Web Worker from the same files, cold and warm; a plain ``fetch()`` of a small
and a 1 MiB static file; a service worker answering a constant, one request and
50 at once; the app's requests made from Python in a worker of its own) and
prints every figure also as a ratio to its floor. The per-request figures are
paired: each request of the app is measured in the same loop as its floors,
in alternating order, and the ratio is the median of the per-pair ratios.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
#: Headless Chromium on a closed network: without the background-networking
#: flags it floods the network with requests that are refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

FLOOR_HTML = """<!doctype html><meta charset="utf-8"><title>floor</title>
<script type="module">
const worker = new Worker("floor-worker.js", {type: "module"});
window.floorDone = new Promise((resolve) => { worker.onmessage = () => resolve(performance.now()); });
</script>"""
FLOOR_WORKER = """import { loadPyodide } from "../_static/_live_asgi/pyodide/pyodide.mjs";
await loadPyodide({ indexURL: new URL("../_static/_live_asgi/pyodide/", import.meta.url).href });
postMessage("ready");
"""

# The same app and bridge, booted by the product's own worker.js (imported,
# so its boot is the one measured everywhere else), requests made from Python
# itself (python_alone.py): what a request costs with no browser plumbing at
# all (the bound for the per-request figures). Started from the docs page
# next to the app's own worker, so batches of both can alternate.
PYTHON_ALONE_WORKER = """import { running } from "../_static/_live_asgi/__CODE__/worker.js";
self.addEventListener("message", async (event) => {
  if (event.data.type !== "bench") return;
  const { pyodide, bridge } = running();
  if (!self.pythonAlone) {
    pyodide.FS.writeFile("/tmp/python_alone.py", await (await fetch("python_alone.py")).text());
    const sys = pyodide.pyimport("sys");
    if (!sys.path.includes("/tmp")) sys.path.append("/tmp");
    self.pythonAlone = pyodide.pyimport("python_alone");
  }
  const base = new URL("../app/todo/~bench/", location.href).href;
  const { what, n } = event.data;
  const result = what === "websocket"
    ? await self.pythonAlone.websocket(bridge, base.replace(/^http/, "ws") + "api/echo", new URL(base).pathname, n)
    : await self.pythonAlone[what](bridge, base + "api/items", new URL(base).pathname, n);
  postMessage({ type: "bench", result: typeof result === "number" ? result : result.toJs() });
});
"""
#: Boots that worker from the docs page (with the message loader.js sends)
#: and gives the page `pythonAlone(what, n)`.
PYTHON_ALONE_SETUP = """async ([workerUrl, code]) => {
  const assets = new URL("_static/_live_asgi/", location.href);
  const worker = new Worker(workerUrl, {type: "module"});
  let answer = null;
  const booted = new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data.type === "ready") resolve();
      else if (e.data.type === "failed") reject(new Error(e.data.message));
      else if (e.data.type === "bench") answer(e.data.result);
    };
    worker.onerror = (e) => reject(new Error(e.message));
  });
  worker.postMessage({
    type: "boot",
    runtime: new URL("pyodide/", assets).href,
    manifest: new URL("apps/todo/manifest.json", assets).href,
    bridge: new URL(`${code}/bridge.py`, assets).href,
    rootPath: new URL("app/todo/~bench", location.href).pathname,
  });
  await booted;
  window.pythonAlone = (what, n) => new Promise((resolve) => {
    answer = resolve;
    worker.postMessage({type: "bench", what, n});
  });
}"""

# A service worker that answers every request in its scope at once with a
# constant: the cost of the interception itself, with no app behind it.
SW_FLOOR = """self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  if (e.request.mode === "navigate") {
    e.respondWith(new Response("<!doctype html><title>sw floor</title>", {headers: {"content-type": "text/html"}}));
  } else {
    e.respondWith(new Response('{"items": ["Read the docs", "Try the live app"]}', {headers: {"content-type": "application/json"}}));
  }
});
"""
#: Registers it and opens a page of its scope in a frame of the docs page.
SW_FLOOR_SETUP = """async () => {
  const reg = await navigator.serviceWorker.register("bench/sw-floor.js", {scope: "bench/sw-floor/"});
  const sw = reg.installing || reg.waiting || reg.active;
  if (sw.state !== "activated") await new Promise((r) => sw.addEventListener("statechange", () => sw.state === "activated" && r()));
  const frame = document.createElement("iframe");
  frame.id = "bench-sw-floor";
  frame.src = "bench/sw-floor/page.html";
  await new Promise((r) => { frame.onload = r; document.body.append(frame); });
  if (!frame.contentWindow.navigator.serviceWorker.controller) throw new Error("the floor's frame is not controlled");
}"""

# Paired measurements, run in the docs page: each request of the app (made
# from its frame, as the app's own pages make them) is measured next to its
# floors, in the same loop, in alternating order (A B C, then C B A), so both
# see the same moment of a busy machine; summarize() takes the median of the
# per-pair ratios. The first rounds (``warmup``) are not counted: right after
# the app's start the page is still settling.
PAIRED_HELPERS = """
const app = document.querySelector('.live-asgi iframe').contentWindow;
const constant = document.getElementById('bench-sw-floor').contentWindow;
const timed = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };
const paired = async (n, kinds, warmup = 2) => {
  const times = kinds.map(() => []);
  for (let i = -warmup; i < n; i++) {
    const order = kinds.map((_, k) => k);
    if (i % 2) order.reverse();
    for (const k of order) {
      const ms = await kinds[k]();
      if (i >= 0) times[k].push(ms);
    }
  }
  return times;
};
"""
#: A small JSON request: static file, the app, a service worker answering a constant.
PAIRED_SMALL = (
    """async ([n, staticUrl]) => {"""
    + PAIRED_HELPERS
    + """
  return await paired(n, [
    () => timed(() => fetch(staticUrl, {cache: "no-store"}).then((r) => r.json())),
    () => timed(() => app.fetch("api/items").then((r) => r.json())),
    () => timed(() => constant.fetch("api/items").then((r) => r.json())),
  ], 30);
}"""
)
#: 1 MB: the static 1 MiB file and the app's 1 MB response.
PAIRED_LARGE = (
    """async ([n, staticUrl]) => {"""
    + PAIRED_HELPERS
    + """
  const read = (r) => r.arrayBuffer().then((b) => {
    if (b.byteLength < 1000000) throw new Error("short body " + b.byteLength);
  });
  return await paired(n, [
    () => timed(() => fetch(staticUrl, {cache: "no-store"}).then(read)),
    () => timed(() => app.fetch("api/bytes/1048576", {cache: "no-store"}).then(read)),
  ]);
}"""
)
#: Batches of 50: the app's at once, the app's one after another, a service
#: worker answering a constant at once, the app's from Python alone at once
#: (timed in Python).
PAIRED_CONCURRENT = (
    """async ([batches, n]) => {"""
    + PAIRED_HELPERS
    + """
  const json = (r) => r.json();
  return await paired(batches, [
    () => timed(() => Promise.all(Array.from({length: n}, () => app.fetch("api/items").then(json)))),
    () => timed(async () => { for (let i = 0; i < n; i++) await app.fetch("api/items").then(json); }),
    () => timed(() => Promise.all(Array.from({length: n}, () => constant.fetch("api/items").then(json)))),
    () => window.pythonAlone("concurrent", n),
  ]);
}"""
)
#: Batches of 50 of each per run (``--quick``: 5).
BATCHES = 20
IN_FRAME_WEBSOCKET = """async (n) => {
  const ws = new WebSocket("api/echo");
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onclose = () => reject(new Error("closed")); });
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const reply = new Promise((resolve) => (ws.onmessage = resolve));
    ws.send("ping");
    await reply;
    times.push(performance.now() - t);
  }
  ws.close();
  return times;
}"""
IN_FRAME_STREAM = """async () => {
  const t = performance.now();
  const r = await fetch("api/countdown?start=5&delay=0.2");
  const reader = r.body.getReader();
  let first = null, last = null;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    if (first === null) first = performance.now() - t;
    last = performance.now() - t;
  }
  return [first, last];
}"""
#: The reader of "revisit, reader left after 3 s": the app was ready, then the page closed.
LEFT_AFTER_MS = 3000
FIRST_PAGE = """() => {
  const frame = document.querySelector('.live-asgi iframe');
  const nav = frame.contentWindow.performance.getEntriesByType('navigation')[0];
  return frame.contentWindow.performance.timeOrigin + nav.loadEventEnd - performance.timeOrigin;
}"""


@dataclass
class Figures:
    """Every sample of every figure, by name."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, *values: float) -> None:
        self.samples.setdefault(name, []).extend(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build_site(out: Path, requests: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(REPO / "sample-docs" / "sphinx"), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"building the sample docs failed:\n{proc.stderr}")
    bench_dir = out / "bench"
    bench_dir.mkdir(exist_ok=True)
    (bench_dir / "floor.html").write_text(FLOOR_HTML)
    (bench_dir / "floor-worker.js").write_text(FLOOR_WORKER)
    code = next((out / "_static" / "_live_asgi").glob("code-*")).name
    (bench_dir / "python-alone-worker.js").write_text(PYTHON_ALONE_WORKER.replace("__CODE__", code))
    shutil.copy(Path(__file__).with_name("python_alone.py"), bench_dir / "python_alone.py")
    (bench_dir / "sw-floor.js").write_text(SW_FLOOR)
    (bench_dir / "small.json").write_text(json.dumps({"items": ["Read the docs", "Try the live app"]}))
    (bench_dir / "1mib.bin").write_bytes(
        bytes(i % 251 for i in range(251)) * (1024 * 1024 // 251) + bytes(1024 * 1024 % 251)
    )


def measure_requests(
    page: Any, code: str, figures: Figures, requests: int, large: int, batches: int = BATCHES
) -> None:
    """The per-request figures, each paired with its floors (see ``PAIRED_HELPERS``),
    in the docs ``page`` whose app is running."""
    page.evaluate(SW_FLOOR_SETUP)
    page.evaluate(PYTHON_ALONE_SETUP, ["bench/python-alone-worker.js", code])
    # Python alone first: its worker has then served as many small requests as the
    # app's has when their batches alternate (WebAssembly gets faster as it runs).
    figures.add(
        "small request, Python alone", *page.evaluate("(n) => pythonAlone('sequential', n)", requests)
    )
    static, app, constant = page.evaluate(PAIRED_SMALL, [requests, "bench/small.json"])
    figures.add("static small fetch", *static)
    figures.add("small request", *app)
    figures.add("service worker answering a constant", *constant)
    static, app = page.evaluate(PAIRED_LARGE, [large, "bench/1mib.bin"])
    figures.add("static 1 MiB fetch", *static)
    figures.add("1 MB response", *app)
    concurrent, sequential, constant, alone = page.evaluate(PAIRED_CONCURRENT, [batches, 50])
    figures.add("50 concurrent", *concurrent)
    figures.add("50 sequential", *sequential)
    figures.add("50 concurrent, service worker answering a constant", *constant)
    figures.add("50 concurrent, Python alone", *alone)
    figures.add(
        "websocket round trip, Python alone", *page.evaluate("(n) => pythonAlone('websocket', n)", requests)
    )


def run(
    runs: int = 5,
    requests: int = 200,
    large: int = 40,
    out_json: Path | None = None,
    batches: int = BATCHES,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the benchmark; return the summary (also printed as a table)."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO))
    from live_asgi_docs.serve import make_server

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="live-asgi-bench-") as tmp:
        site = Path(tmp) / "site"
        log("building the sample docs…")
        build_site(site, requests)
        code = next((site / "_static" / "_live_asgi").glob("code-*")).name
        server = make_server(site, port=0, quiet=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                for i in range(runs):
                    log(f"run {i + 1}/{runs}…")
                    # Floors: bare loadPyodide cold, then warm, in a fresh profile.
                    ctx = browser.new_context()
                    page = ctx.new_page()
                    for name in ("floor cold", "floor warm"):
                        server.bytes_sent = 0
                        page.goto(base + "bench/floor.html")
                        figures.add(name, page.evaluate("window.floorDone"))
                        if name == "floor cold":
                            figures.add("floor cold bytes transferred", server.bytes_sent)
                    ctx.close()

                    # The app: cold start in a fresh profile, then a revisit.
                    ctx = browser.new_context()
                    page = ctx.new_page()
                    console: list[str] = []

                    def keep(message: Any, into: list[str] = console) -> None:
                        into.append(message.text)

                    page.on("console", keep)
                    server.bytes_sent = 0
                    for name in ("cold start", "revisit"):
                        page.goto(base + "index.html")
                        page.wait_for_selector(".live-asgi[data-state=running]", timeout=120_000)
                        page.wait_for_function(
                            "document.querySelector('.live-asgi iframe').contentWindow.performance"
                            ".getEntriesByType('navigation')[0]?.loadEventEnd > 0"
                        )
                        figures.add(name, page.evaluate(FIRST_PAGE))
                        timings = json.loads(page.get_attribute(".live-asgi", "data-timings") or "{}")
                        if timings:
                            figures.add(f"{name}: worker boot to runtime+packages ready", timings["runtime"])
                            figures.add(f"{name}: app import and startup", timings["app"])
                            for step, ms in timings.get("steps", {}).items():
                                figures.add(f"{name}: step: {step}", ms)
                        if name == "revisit":
                            restored = page.get_attribute(".live-asgi", "data-restored") == "true"
                            figures.add("revisit from snapshot (1 = yes)", 1.0 if restored else 0.0)
                        if name == "cold start":
                            ready = time.monotonic()
                            page.wait_for_timeout(200)
                            figures.add("cold bytes transferred", server.bytes_sent)
                            # Let the snapshot for the next visit be made, as a reader who
                            # stays on the page a little would.
                            # (It may be stored before the app is ready: then this is about 0.)
                            page.wait_for_function(
                                "document.querySelector('.live-asgi').dataset.snapshot", timeout=120_000
                            )
                            figures.add(
                                "snapshot stored, after the app was ready", (time.monotonic() - ready) * 1000
                            )
                            saved = next((m for m in console if "snapshot for the next visit" in m), "")
                            size = re.search(r"(\d+) bytes", saved)
                            if size:
                                figures.add("snapshot size", float(size.group(1)))
                    memory = page.get_attribute(".live-asgi", "data-wasm-memory")
                    if memory:
                        figures.add("worker wasm memory", float(memory))
                    frame = page.locator(".live-asgi iframe").element_handle().content_frame()
                    assert frame is not None, "the app's frame is gone"
                    measure_requests(page, code, figures, requests, large, batches)
                    figures.add("websocket round trip", *frame.evaluate(IN_FRAME_WEBSOCKET, requests))
                    first, last = frame.evaluate(IN_FRAME_STREAM)
                    figures.add("stream first chunk", first)
                    figures.add("stream last chunk", last)
                    ctx.close()

                    # A reader who leaves 3 s after the app is ready, and comes back.
                    ctx = browser.new_context()
                    page = ctx.new_page()
                    page.goto(base + "index.html")
                    page.wait_for_selector(".live-asgi[data-state=running]", timeout=120_000)
                    page.wait_for_timeout(LEFT_AFTER_MS)
                    page.goto("about:blank")
                    page.goto(base + "index.html")
                    page.wait_for_selector(".live-asgi[data-state=running]", timeout=120_000)
                    page.wait_for_function(
                        "document.querySelector('.live-asgi iframe').contentWindow.performance"
                        ".getEntriesByType('navigation')[0]?.loadEventEnd > 0"
                    )
                    figures.add("revisit, reader left after 3 s", page.evaluate(FIRST_PAGE))
                    restored = page.get_attribute(".live-asgi", "data-restored") == "true"
                    figures.add("revisit after 3 s from snapshot (1 = yes)", 1.0 if restored else 0.0)
                    ctx.close()
            finally:
                browser.close()
        server.shutdown()
    summary = summarize(figures)
    print_table(summary, log)
    if out_json:
        out_json.write_text(json.dumps(summary, indent=1))
    return summary


FLOORS: dict[str, str | tuple[str, ...]] = {
    "cold start": "floor cold",
    "revisit": "floor warm",
    "revisit, reader left after 3 s": "floor warm",
    "small request": ("static small fetch", "service worker answering a constant"),
    "1 MB response": "static 1 MiB fetch",
    "small request, Python alone": "static small fetch",
    "service worker answering a constant": "static small fetch",
    # The target first, then what bounds it.
    "50 concurrent": (
        "50 sequential",
        "50 concurrent, Python alone",
        "50 concurrent, service worker answering a constant",
    ),
    "cold bytes transferred": "floor cold bytes transferred",
    "websocket round trip": "websocket round trip, Python alone",
}
#: Figures measured sample by sample next to their floors (``measure_requests``):
#: their ratio is the median of the per-pair ratios, which a busy machine moves
#: much less than the ratio of medians measured at different moments.
PAIRED = {"small request", "service worker answering a constant", "1 MB response", "50 concurrent"}
ORDER = [
    "floor cold",
    "floor warm",
    "static small fetch",
    "static 1 MiB fetch",
    "service worker answering a constant",
    "small request, Python alone",
    "50 concurrent, Python alone",
    "50 concurrent, service worker answering a constant",
    "cold start",
    "cold start: worker boot to runtime+packages ready",
    "cold start: app import and startup",
    "revisit",
    "revisit: worker boot to runtime+packages ready",
    "revisit: app import and startup",
    "revisit from snapshot (1 = yes)",
    "snapshot stored, after the app was ready",
    "snapshot size",
    "revisit, reader left after 3 s",
    "revisit after 3 s from snapshot (1 = yes)",
    "small request",
    "1 MB response",
    "50 sequential",
    "50 concurrent",
    "websocket round trip, Python alone",
    "websocket round trip",
    "stream first chunk",
    "stream last chunk",
    "floor cold bytes transferred",
    "cold bytes transferred",
    "bytes the app adds to a bare start",
    "worker wasm memory",
]


def summarize(figures: Figures) -> dict[str, Any]:
    cold, bare = (
        figures.samples.get("cold bytes transferred"),
        figures.samples.get("floor cold bytes transferred"),
    )
    if cold and bare:
        # Each run's own difference: what the app's packages, code and bytecode cost.
        figures.samples["bytes the app adds to a bare start"] = [
            c - b for c, b in zip(cold, bare, strict=False)
        ]
    out: dict[str, Any] = {}
    order = []
    for name in ORDER:
        order.append(name)
        if name.endswith(": worker boot to runtime+packages ready"):
            # Where that went, step by step (named by the worker).
            prefix = name.split(":")[0] + ": step: "
            order += [step for step in figures.samples if step.startswith(prefix)]
    for name in order:
        values = figures.samples.get(name)
        if not values:
            continue
        row: dict[str, Any] = {
            "n": len(values),
            "min": min(values),
            "median": statistics.median(values),
            "max": max(values),
        }
        if name.startswith(("small request", "service worker", "websocket")):
            row["p95"] = percentile(values, 0.95)
        floors = FLOORS.get(name, ())
        measured = [f for f in ((floors,) if isinstance(floors, str) else floors) if figures.samples.get(f)]
        if measured:
            floor = measured[0]
            ratios = {}
            for f in measured:
                pairs = figures.samples[f]
                if name in PAIRED and len(pairs) == len(values):
                    each = [v / p for v, p in zip(values, pairs, strict=True)]
                    ratios[f] = statistics.median(each)
                    if f == floor:
                        # How much one pair's ratio varies (interquartile range).
                        row["pair ratio quartiles"] = [percentile(each, 0.25), percentile(each, 0.75)]
                else:
                    ratios[f] = row["median"] / statistics.median(pairs)
            row["ratio"] = ratios[floor]
            row["floor"] = floor
            row["paired"] = "pair ratio quartiles" in row
            # What the browser's plumbing adds to the app's own time.
            row["added"] = row["median"] - statistics.median(figures.samples[floor])
            row["ratios"] = ratios
        out[name] = row
    return out


def _fmt(name: str, value: float) -> str:
    if "1 = yes" in name:
        return f"{value:.0f}"
    if "bytes" in name or "memory" in name or name == "snapshot size":
        return f"{value / 1e6:.2f} MB"
    return f"{value:.1f} ms" if value < 100 else f"{value / 1000:.2f} s"


def print_table(summary: dict[str, Any], log: Callable[[str], None] = print) -> None:
    log("")
    log("| figure | min | median | max | ratio to floor |")
    log("|---|---|---|---|---|")
    for name, row in summary.items():
        ratio = ", ".join(f"{r:.2f} x {floor}" for floor, r in row.get("ratios", {}).items())
        if row.get("paired"):
            low, high = row["pair ratio quartiles"]
            ratio += f" (paired; quartiles of the pairs {low:.2f}-{high:.2f})"
        if name == "websocket round trip":
            ratio += f" (+{row['added']:.2f} ms)"
        median = _fmt(name, row["median"]) + (f" (p95 {_fmt(name, row['p95'])})" if "p95" in row else "")
        log(f"| {name} | {_fmt(name, row['min'])} | {median} | {_fmt(name, row['max'])} | {ratio} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark the sample app's embed against bare Pyodide and static fetches."
    )
    parser.add_argument("--runs", type=int, default=5, help="fresh-profile runs (default 5)")
    parser.add_argument("--requests", type=int, default=200, help="sequential small requests per run")
    parser.add_argument(
        "--large", type=int, default=40, help="1 MB responses per run (each paired with a static 1 MiB fetch)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one short run (CI: keeps the benchmark from rotting)"
    )
    parser.add_argument("--json", type=Path, help="also write the summary as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.requests, args.large = 1, 20, 3
    run(args.runs, args.requests, args.large, args.json, batches=5 if args.quick else BATCHES)
    return 0
