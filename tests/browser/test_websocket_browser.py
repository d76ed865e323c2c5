"""WebSockets of an app's pages in headless Chromium: what the page's ``WebSocket`` does, what the app hears.

The app is ``tests/apps/bridge_fastapi`` in the docs project ``tests/roots/test-bridge``;
its websocket endpoints are those of the differential scenarios
(``tests/differential/ws_scenarios.py``), which this module also runs through the page
and compares with uvicorn's answers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from differential.harness import APPS_DIR, UvicornServer
from differential.ws_scenarios import WS_SCENARIOS, browser_view, through_uvicorn

from .helpers import app_frame, instance_url, open_embed, stop_all_service_workers, wait_frame_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(bridge_site_url: str) -> str:
    return bridge_site_url


@pytest.fixture(scope="module")
def app_page(bridge_context: Any, site_url: str) -> Iterator[Any]:
    """The FastAPI app's docs page, booted once for this module."""
    page = open_embed(bridge_context, site_url + "index.html")
    yield page
    page.close()


@pytest.fixture
def frame(app_page: Any) -> Any:
    """The app's frame, back at its home page."""
    frame = app_frame(app_page)
    frame.goto(instance_url(frame) + "/")
    wait_frame_text(frame, "h1", "Bridge test app")
    return frame


# Every observable of the page's WebSocket, in one run in the frame.
API_FIDELITY = """async () => {
  const out = {};
  const until = (ws, type) => new Promise((resolve) => ws.addEventListener(type, resolve, { once: true }));
  const ws = new WebSocket("ws/echo/api?x=1", ["chat.v1", "chat.v2"]);
  out.url = ws.url;
  out.constants = [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED, ws.OPEN];
  out.states = [ws.readyState];
  out.isWebSocket = ws instanceof WebSocket;
  try { ws.send("too early"); } catch (err) { out.early = err.name; }
  const order = [];
  ws.onopen = () => order.push("onopen");
  ws.addEventListener("open", () => order.push("listener"));
  await until(ws, "open");
  out.order = order;
  out.states.push(ws.readyState);
  out.protocol = ws.protocol;
  out.extensions = ws.extensions;
  out.hello = JSON.parse((await until(ws, "message")).data);
  // Order and volume: 10,000 small messages, then 1 MB each way, both binary types.
  const received = [];
  const all = new Promise((resolve) => {
    ws.onmessage = (event) => received.push(event.data) === 10000 && resolve();
  });
  for (let i = 0; i < 10000; i++) ws.send("m" + i);
  out.buffered = ws.bufferedAmount > 0;
  await all;
  out.inOrder = received.every((text, i) => text === "echo: m" + i) && received.length === 10000;
  out.bufferedAfter = ws.bufferedAmount;
  ws.onmessage = null;
  const big = new Uint8Array(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
  ws.binaryType = "arraybuffer";
  ws.send(big);
  const back = (await until(ws, "message")).data;
  out.bigBack = back instanceof ArrayBuffer && back.byteLength === big.length &&
    new Uint8Array(back).every((b, i) => b === big[big.length - 1 - i]);
  ws.binaryType = "blob";
  ws.send(new Blob([new Uint8Array([1, 2, 3])]));
  const blob = (await until(ws, "message")).data;
  out.blob = blob instanceof Blob ? [...new Uint8Array(await blob.arrayBuffer())] : String(blob);
  const bigText = "é".repeat(512 * 1024);
  ws.send(bigText);
  out.bigText = (await until(ws, "message")).data === "echo: " + bigText;
  // close(): code and reason are checked as a browser does.
  try { ws.close(1001); } catch (err) { out.badCode = err.name; }
  try { ws.close(1000, "x".repeat(124)); } catch (err) { out.longReason = err.name; }
  ws.close(3001, "page says bye");
  out.states.push(ws.readyState);
  const closed = await until(ws, "close");
  out.states.push(ws.readyState);
  out.pageClose = [closed.constructor.name, closed.code, closed.reason, closed.wasClean];
  // The app closes with its code.
  const second = new WebSocket("ws/echo/second");
  await until(second, "message");
  second.send("close");
  const appClosed = await until(second, "close");
  out.appClose = [appClosed.code, appClosed.reason, appClosed.wasClean];
  // A denial: error, then close 1006, as a browser reports a refused handshake.
  const denied = new WebSocket("ws/deny");
  const events = [];
  denied.onerror = () => events.push("error");
  denied.onclose = (event) => events.push(["close", event.code, event.wasClean]);
  await until(denied, "close");
  out.denied = events;
  // A socket anywhere else is the browser's own: it reaches (here: fails to reach) the network.
  const other = new WebSocket("ws://127.0.0.1:9/elsewhere");
  out.otherIsNative = Object.getPrototypeOf(other) === Object.getPrototypeOf(WebSocket.prototype);
  out.otherClose = (await until(other, "close")).code;
  return out;
}"""


def test_the_pages_websocket_behaves_like_the_browsers(frame: Any) -> None:
    root = instance_url(frame)
    out = frame.evaluate(API_FIDELITY)
    assert out["url"] == "ws" + root.removeprefix("http") + "/ws/echo/api?x=1"
    assert out["constants"] == [0, 1, 2, 3, 1]
    assert out["states"] == [0, 1, 2, 3]
    assert out["isWebSocket"] is True
    assert out["early"] == "InvalidStateError"
    assert out["order"] == ["onopen", "listener"]
    assert out["protocol"] == "chat.v2" and out["extensions"] == ""
    root_path = root.split("/", 3)[3]
    assert out["hello"]["path"] == f"/{root_path}/ws/echo/api"
    assert out["hello"]["root_path"] == f"/{root_path}"
    assert out["hello"]["query_string"] == "x=1"
    assert out["hello"]["subprotocols"] == ["chat.v1", "chat.v2"]
    assert out["hello"]["headers"]["origin"] == [root.split("/app/")[0].rstrip("/")]
    assert out["buffered"] is True and out["bufferedAfter"] == 0
    assert out["inOrder"] is True
    assert out["bigBack"] is True and out["bigText"] is True
    assert out["blob"] == [3, 2, 1]
    assert out["badCode"] == "InvalidAccessError" and out["longReason"] == "SyntaxError"
    assert out["pageClose"] == ["CloseEvent", 3001, "page says bye", True]
    assert out["appClose"] == [4321, "the app closes", True]
    assert out["denied"] == ["error", ["close", 1006, False]]
    assert out["otherIsNative"] is True and out["otherClose"] == 1006


@pytest.mark.parametrize(
    ("path", "name"),
    [("/ws/page", "page"), ("/ws/csp", "csp"), ("/ws/nohead", "nohead"), ("/ws/streamed", "streamed")],
)
def test_the_websocket_is_in_place_before_the_pages_first_script(frame: Any, path: str, name: str) -> None:
    messages: list[str] = []
    frame.page.on("console", lambda m: messages.append(m.text))
    frame.goto(instance_url(frame) + path)
    wait_frame_text(frame, "h1", f"ws {name}")
    frame.wait_for_function("window.heard && window.heard.length === 2")
    hello, echo = frame.evaluate("window.heard")
    assert json.loads(hello)["path"].endswith(f"/ws/echo/{name}")
    assert echo == "echo: from the first script"
    refused = [m for m in messages if "Content Security Policy" in m]
    if name == "csp":
        # The app's policy still holds for everything else: its un-nonced script was refused.
        assert frame.evaluate("window.unsafe") is None
        assert len(refused) == 1, refused
    else:
        assert refused == []


def test_the_app_hears_close_codes_and_navigation(frame: Any) -> None:
    root = instance_url(frame)
    frame.evaluate("fetch('ws/tracked', {method: 'DELETE'})")
    frame.evaluate("""() => new Promise((resolve) => {
      const ws = new WebSocket("ws/track");
      ws.onopen = () => { ws.close(3002, "done here"); };
      ws.onclose = resolve;
    })""")
    frame.evaluate("""() => new Promise((resolve) => {
      window.kept = new WebSocket("ws/track");
      kept.onopen = resolve;
    })""")
    # Navigating away takes the open socket with it.
    frame.goto(root + "/slash/")
    wait_frame_text(frame, "body", "trailing slash")
    tracked = frame.evaluate("fetch('../ws/tracked?count=2').then(r => r.json())")
    assert tracked == [[3002, "done here"], [1001, ""]]


# What a page sees of a socket it closes: the events in order, with readyState when each comes.
CLOSE_EVENTS = """
  const events = [];
  const watch = (ws) => {
    ws.onopen = () => events.push(["open"]);
    ws.onerror = () => events.push(["error", ws.readyState]);
    return new Promise((resolve, reject) => {
      ws.onclose = (event) => resolve(events.push(["close", event.code, event.wasClean, ws.readyState]));
      // A bound on a failure, not a wait: the close comes within milliseconds.
      setTimeout(() => reject(new Error(`no close event in 30 s: ${JSON.stringify(events)}`)), 30_000);
    });
  };
"""

CLOSED_AT_ONCE = f"""async () => {{
  {CLOSE_EVENTS}
  const ws = new WebSocket("ws/track");
  const closed = watch(ws);
  ws.close();
  events.push(["closing", ws.readyState]);
  await closed;
  return events;
}}"""

# The app accepts and answers the page's close before the page has read either answer,
# and both are read before the page's own failing of the socket runs (commit 14c036d's
# race, which CI met by chance). The real app and worker answer; the page holds what
# arrives on the socket's port, and the close's 0 ms timer, until both answers are in.
CLOSED_AS_THE_APP_ACCEPTS = f"""async () => {{
  {CLOSE_EVENTS}
  const RealChannel = window.MessageChannel;
  const realSetTimeout = window.setTimeout;
  const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, "onmessage");
  const held = [];
  let deliver = null;
  let echoed;
  const echo = new Promise((resolve) => (echoed = resolve));
  window.MessageChannel = class extends RealChannel {{
    constructor() {{
      super();
      Object.defineProperty(this.port1, "onmessage", {{
        set(handler) {{
          deliver = handler;
          onmessage.set.call(this, (event) => {{
            held.push(event);
            if (event.data.type === "close") echoed();
          }});
        }},
      }});
    }}
  }};
  const ws = new WebSocket("ws/track");
  window.MessageChannel = RealChannel;
  const closed = watch(ws);
  await fetch("ws/tracked?accepted=1");
  const timers = [];
  window.setTimeout = (callback, ms, ...args) => timers.push(() => callback(...args));
  ws.close();
  window.setTimeout = realSetTimeout;
  events.push(["closing", ws.readyState]);
  await echo;
  events.push(["held", held.map((event) => event.data.type), timers.length]);
  for (const event of held) deliver(event);
  for (const timer of timers) timer();
  await closed;
  return events;
}}"""


@pytest.mark.parametrize(
    "script", [CLOSED_AT_ONCE, CLOSED_AS_THE_APP_ACCEPTS], ids=["at-once", "as-the-app-accepts"]
)
def test_a_socket_closed_while_connecting_fails_for_the_page_and_the_app(frame: Any, script: str) -> None:
    frame.evaluate("fetch('ws/tracked', {method: 'DELETE'})")
    events = frame.evaluate(script)
    if script == CLOSED_AS_THE_APP_ACCEPTS:
        # The app's accept and its answer to the close were read before the page's timer ran.
        assert events.pop(1) == ["held", ["accept", "close"], 1]
    # As a browser's own socket closed before it opened: CLOSING at once, then error and
    # close 1006, not clean, and never open.
    assert events == [["closing", 2], ["error", 3], ["close", 1006, False, 3]]
    # The app hears the connection fail (1006): a disconnect if it had accepted, else
    # Starlette's WebSocketDisconnect from its accept.
    assert frame.evaluate("fetch('ws/tracked?count=1').then(r => r.json())") == [[1006, ""]]


def test_close_without_a_code_is_1005_for_the_page_and_the_app(frame: Any) -> None:
    frame.evaluate("fetch('ws/tracked', {method: 'DELETE'})")
    events = frame.evaluate(f"""async () => {{
      {CLOSE_EVENTS}
      const ws = new WebSocket("ws/track");
      const closed = watch(ws);
      await new Promise((resolve) => ws.addEventListener("open", resolve));
      ws.close();
      await closed;
      return events;
    }}""")
    assert events == [["open"], ["close", 1005, True, 3]]
    assert frame.evaluate("fetch('ws/tracked?count=1').then(r => r.json())") == [[1005, ""]]


def test_open_sockets_outlive_a_stopped_service_worker_and_new_ones_connect(
    bridge_context: Any, app_page: Any, frame: Any
) -> None:
    frame.evaluate("""() => new Promise((resolve) => {
      window.survivor = new WebSocket("ws/echo/survivor");
      survivor.onmessage = resolve;
    })""")
    stop_all_service_workers(bridge_context, app_page)
    after = frame.evaluate("""() => new Promise((resolve) => {
      survivor.onmessage = (event) => resolve([survivor.readyState, event.data]);
      survivor.send("still here");
    })""")
    assert after == [1, "echo: still here"]
    stop_all_service_workers(bridge_context, app_page)
    # A new socket wakes a new service worker, which finds the instance again.
    fresh = frame.evaluate("""() => new Promise((resolve, reject) => {
      const ws = new WebSocket("ws/echo/fresh");
      ws.onmessage = (event) => resolve(JSON.parse(event.data).path);
      ws.onclose = (event) => reject(new Error("closed " + event.code));
    })""")
    assert fresh.endswith("/ws/echo/fresh")


def test_an_exception_in_the_handler_closes_with_1011_and_logs_the_traceback(
    app_page: Any, frame: Any
) -> None:
    # The traceback goes to the console of the app's worker, line by line.
    with app_page.expect_console_message(lambda m: "RuntimeError: the websocket handler broke" in m.text):
        closed = frame.evaluate("""() => new Promise((resolve) => {
          const ws = new WebSocket("ws/boom");
          ws.onopen = () => ws.send("go");
          ws.onclose = (event) => resolve([event.code, event.wasClean]);
        })""")
    assert closed == [1011, True]
    # Without :debug:, the reader's frame shows nothing of it.
    assert frame.locator(".live-asgi-websocket-error").count() == 0


def test_with_debug_the_traceback_is_shown_in_the_frame(
    bridge_context: Any, app_page: Any, site_url: str
) -> None:
    # Opened after the first app (same packages): it starts from the browser's caches.
    page = open_embed(bridge_context, site_url + "debug.html")
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Bridge test app")
    frame.evaluate("""() => new Promise((resolve) => {
      const ws = new WebSocket("ws/boom");
      ws.onopen = () => ws.send("go");
      ws.onclose = resolve;
    })""")
    shown = frame.inner_text(".live-asgi-websocket-error")
    assert "Traceback" in shown and "RuntimeError: the websocket handler broke (on purpose)" in shown


# The scenario driver in the page: the same steps as ws_scenarios.through_uvicorn.
RUN_SCENARIO = """async ([path, protocols, send, hello]) => {
  const out = [];
  const ws = new WebSocket(path.slice(1), protocols);
  ws.binaryType = "arraybuffer";
  const queue = [];
  let wake = null;
  const push = (event) => { queue.push(event); if (wake) { wake(); wake = null; } };
  const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
  ws.onopen = () => push(["open", ws.protocol]);
  ws.onerror = () => push(["denied", null]);
  ws.onmessage = (event) =>
    push(typeof event.data === "string" ? ["text", event.data] : ["bytes", hex(event.data)]);
  ws.onclose = (event) => push(["close", event.code, event.reason]);
  const read = async () => {
    while (!queue.length) await new Promise((resolve) => (wake = resolve));
    const event = queue.shift();
    out.push(event);
    return event[0] !== "close" && event[0] !== "denied";
  };
  if (!(await read())) { if (out[0][0] === "denied") await read(); return out; }
  if (hello && !(await read())) return out;
  for (const item of send) {
    ws.send(typeof item === "string" ? item : new Uint8Array(item));
    if (!(await read())) return out;
  }
  ws.close(1000, "done");
  await read();
  return out;
}"""


def comparable(transcript: list[list[Any]]) -> list[list[Any]]:
    """The transcript with the server's host and port blanked (the two servers differ only there)."""
    out = []
    for event in transcript:
        if event[0] == "text" and event[1].startswith("{"):
            hello = json.loads(event[1])
            hello["headers"]["host"] = ["<host>"]
            hello["headers"]["origin"] = ["<origin>"]
            event = ["text", hello]
        out.append(event)
    return out


@pytest.fixture(scope="module")
def uvicorn_at_the_frames_prefix(app_page: Any) -> Iterator[UvicornServer]:
    """uvicorn serving the same app under the frame's own mount prefix."""
    root_path = "/" + instance_url(app_frame(app_page)).split("/", 3)[3]
    sys.path.insert(0, str(APPS_DIR))
    server = UvicornServer("bridge_fastapi.main:app", root_path, {})
    yield server
    server.close()
    sys.path.remove(str(APPS_DIR))


@pytest.mark.parametrize("scenario", WS_SCENARIOS, ids=lambda s: s.id)
def test_websocket_scenarios_answer_in_chromium_as_uvicorn_does(
    frame: Any, uvicorn_at_the_frames_prefix: UvicornServer, scenario: Any
) -> None:
    frame.goto(instance_url(frame) + "/")
    wait_frame_text(frame, "h1", "Bridge test app")
    send = [item if isinstance(item, str) else list(item) for item in scenario.send]
    seen = frame.evaluate(RUN_SCENARIO, [scenario.path, list(scenario.protocols), send, scenario.hello])
    reference = through_uvicorn(uvicorn_at_the_frames_prefix.base, scenario)
    assert comparable(seen) == comparable(browser_view(reference))
