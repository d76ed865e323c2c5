// Unit tests of the app pages' WebSocket and of how the service worker puts it into a page:
// node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { MSG, SOCKET } from "../../live_asgi_docs/browser/protocol.js";
import { allowScript, injectionPoint, installWebSocket, pageScript } from "../../live_asgi_docs/browser/websocket.js";

const SCOPE = "http://docs.test/app/chat/";
const PAGE = `${SCOPE}~abc123/room/1`;

/** A window of the app's page with a fake native WebSocket and a fake app worker. */
function fakeWindow(app) {
  class NativeWebSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.url = url;
      this.protocols = protocols;
    }
  }
  const listeners = {};
  const errors = [];
  const win = {
    WebSocket: NativeWebSocket,
    EventTarget,
    Event,
    MessageEvent,
    MessageChannel,
    DOMException,
    Blob,
    location: { href: PAGE },
    navigator: {
      userAgent: "NodeTest",
      languages: ["en"],
      serviceWorker: {
        controller: {
          postMessage(request, [port]) {
            app(request, port);
          },
        },
      },
    },
    console: { error: (text) => errors.push(text) },
    addEventListener: (type, f) => (listeners[type] = f),
  };
  installWebSocket(win, { scope: SCOPE, msg: { ...SOCKET, openSocket: MSG.openSocket } });
  return { win, NativeWebSocket, listeners, errors };
}

/** An app worker that accepts, echoes and closes as told. */
function echoApp(log = []) {
  return (request, port) => {
    log.push(request);
    port.onmessage = ({ data }) => {
      log.push(data);
      if (data.type === SOCKET.send) {
        if (data.data === "bye") port.postMessage({ type: SOCKET.close, code: 4001, reason: "asked" });
        else port.postMessage({ type: SOCKET.message, data: typeof data.data === "string" ? `echo ${data.data}` : data.data });
      } else if (data.type === SOCKET.close) {
        port.postMessage({ type: SOCKET.close, code: data.code ?? 1005, reason: data.reason });
      }
    };
    assert.equal(request.type, MSG.openSocket);
    if (request.url.includes("denied")) port.postMessage({ type: SOCKET.deny, status: 403 });
    else port.postMessage({ type: SOCKET.accept, protocol: request.protocols.at(-1) || "", headers: [] });
  };
}

const next = (ws, type) => new Promise((resolve) => ws.addEventListener(type, resolve, { once: true }));

test("sockets outside the app instance are the browser's own", () => {
  const { win, NativeWebSocket } = fakeWindow(echoApp());
  for (const url of [
    "wss://echo.example.org/ws",
    "ws://docs.test/app/other/~abc123/ws",
    "ws://docs.test/app/chat/~zzz/ws",
    "ws://docs.test/elsewhere",
  ]) {
    const ws = new win.WebSocket(url, "p");
    assert.ok(Object.getPrototypeOf(ws) === NativeWebSocket.prototype, url);
    assert.equal(ws.url, url);
  }
});

test("relative, ws:, wss: and http: URLs of the instance are the app's", async () => {
  const log = [];
  const { win, NativeWebSocket } = fakeWindow(echoApp(log));
  for (const url of ["ws", "/app/chat/~abc123/ws?x=1", "ws://docs.test/app/chat/~abc123/ws", "http://docs.test/app/chat/~abc123"]) {
    const ws = new win.WebSocket(url);
    assert.ok(ws instanceof win.WebSocket && ws instanceof NativeWebSocket);
    assert.notEqual(Object.getPrototypeOf(ws), NativeWebSocket.prototype);
    await next(ws, "open");
    ws.close();
  }
  assert.deepEqual(
    log.filter((m) => m.type === "live-asgi-websocket").map((m) => m.url),
    [
      "ws://docs.test/app/chat/~abc123/room/ws",
      "ws://docs.test/app/chat/~abc123/ws?x=1",
      "ws://docs.test/app/chat/~abc123/ws",
      "ws://docs.test/app/chat/~abc123",
    ],
  );
  assert.deepEqual(log[0].headers, [["user-agent", "NodeTest"], ["accept-language", "en"]]);
});

test("a socket opens, talks in order, and closes like a browser's", async () => {
  const { win } = fakeWindow(echoApp());
  const ws = new win.WebSocket("ws", ["a", "b"]);
  assert.equal(ws.readyState, win.WebSocket.CONNECTING);
  assert.equal(ws.CLOSED, 3);
  assert.equal(ws.binaryType, "blob");
  assert.equal(ws.extensions, "");
  assert.throws(() => ws.send("early"), (e) => e.name === "InvalidStateError");
  const seen = [];
  ws.onopen = () => seen.push("onopen");
  ws.addEventListener("open", () => seen.push("listener"));
  await next(ws, "open");
  assert.deepEqual(seen, ["onopen", "listener"]);
  assert.equal(ws.readyState, win.WebSocket.OPEN);
  assert.equal(ws.protocol, "b");
  const got = [];
  ws.onmessage = (e) => got.push(e.data);
  for (let i = 0; i < 1000; i++) ws.send(`m${i}`);
  assert.ok(ws.bufferedAmount > 0);
  await new Promise((resolve) => ws.addEventListener("message", () => got.length === 1000 && resolve()));
  assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => `echo m${i}`));
  assert.equal(ws.bufferedAmount, 0);
  ws.onmessage = null;
  ws.binaryType = "arraybuffer";
  ws.binaryType = "nonsense";
  assert.equal(ws.binaryType, "arraybuffer");
  ws.send(new Uint8Array([1, 2, 3]).subarray(1));
  const binary = await next(ws, "message");
  assert.ok(binary.data instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(binary.data)], [2, 3]);
  ws.binaryType = "blob";
  ws.send(new Blob(["blob!"]));
  ws.send("after the blob");
  const blob = await next(ws, "message");
  assert.ok(blob.data instanceof Blob);
  assert.equal(await blob.data.text(), "blob!");
  assert.equal((await next(ws, "message")).data, "echo after the blob");
  assert.throws(() => ws.close(1001), (e) => e.name === "InvalidAccessError");
  assert.throws(() => ws.close(1000, "é".repeat(62)), (e) => e.name === "SyntaxError");
  ws.close(3000, "done");
  assert.equal(ws.readyState, win.WebSocket.CLOSING);
  const closed = await next(ws, "close");
  assert.deepEqual([closed.code, closed.reason, closed.wasClean], [3000, "done", true]);
  assert.equal(ws.readyState, win.WebSocket.CLOSED);
  ws.send("into the void");
  assert.equal(ws.bufferedAmount, "into the void".length);
});

test("the app's close has its code and reason; a denial is error then close 1006", async () => {
  const { win, errors } = fakeWindow(echoApp());
  const ws = new win.WebSocket("ws");
  await next(ws, "open");
  ws.send("bye");
  const closed = await next(ws, "close");
  assert.deepEqual([closed.code, closed.reason, closed.wasClean], [4001, "asked", true]);

  const denied = new win.WebSocket("denied");
  const order = [];
  denied.onerror = () => order.push("error");
  denied.onclose = (e) => order.push(`close ${e.code} ${e.wasClean}`);
  await next(denied, "close");
  assert.deepEqual(order, ["error", "close 1006 false"]);
  assert.match(errors[0], /failed: Error during WebSocket handshake: Unexpected response code: 403/);
});

test("constructor errors are the browser's", () => {
  const { win } = fakeWindow(echoApp());
  assert.throws(() => new win.WebSocket("ftp://docs.test/x"), (e) => e.name === "SyntaxError");
  assert.throws(() => new win.WebSocket("ws#frag"), (e) => e.name === "SyntaxError");
  assert.throws(() => new win.WebSocket("ws", ["a", "a"]), (e) => e.name === "SyntaxError");
  assert.throws(() => new win.WebSocket("ws", "bad protocol"), (e) => e.name === "SyntaxError");
});

test("closing while connecting fails the connection; leaving the page says gone", { timeout: 10_000 }, async () => {
  const log = [];
  const told = new Promise((resolve) => {
    const push = log.push.bind(log);
    log.push = (...items) => (items.at(-1).type === SOCKET.close && resolve(items.at(-1)), push(...items));
  });
  const { win, listeners } = fakeWindow(echoApp(log));
  const early = new win.WebSocket("ws");
  early.close(1000, "ignored");
  const closed = await next(early, "close");
  assert.deepEqual([closed.code, closed.wasClean], [1006, false]);
  // The app is told the connection failed, whatever code the page gave.
  assert.deepEqual(await told, { type: SOCKET.close, code: 1006, reason: "" });
  const ws = new win.WebSocket("ws");
  await next(ws, "open");
  // What the app hears next, whenever its port delivers it (no timer: a busy machine is slow).
  const heard = new Promise((resolve) => {
    const push = log.push.bind(log);
    log.push = (...items) => (resolve(items.at(-1)), push(...items));
  });
  listeners.pagehide();
  assert.equal(ws.readyState, win.WebSocket.CLOSED);
  assert.deepEqual(await heard, { type: SOCKET.gone });
});

test("pageScript is the installer, self-contained, for one scope", () => {
  const source = pageScript(SCOPE);
  assert.ok(source.startsWith("(function installWebSocket(win, config)"));
  // The message names come from the protocol module, as an argument (the page cannot import it).
  assert.ok(source.endsWith(`)(window, ${JSON.stringify({ scope: SCOPE, msg: { ...SOCKET, openSocket: MSG.openSocket } })});`));
  const native = class WebSocket {};
  const win = { WebSocket: native, EventTarget, Event, location: { href: PAGE }, addEventListener() {} };
  // Runs with nothing of this module in reach.
  new Function("window", source)(win);
  assert.notEqual(win.WebSocket, native);
  assert.equal(win.WebSocket.name, "WebSocket");
  assert.equal(win.WebSocket.OPEN, 1);
});

test("injectionPoint: first thing in <head>, after a leading meta charset", () => {
  const at = (html) => {
    const i = injectionPoint(html, true);
    return `${html.slice(0, i)}|${html.slice(i)}`;
  };
  assert.equal(at("<!doctype html><html lang=en><head><title>x"), "<!doctype html><html lang=en><head>|<title>x");
  assert.equal(at("<!DOCTYPE html>\n<html>\n<head>\n  <meta charset='utf-8'>\n  <script>"), "<!DOCTYPE html>\n<html>\n<head>\n  <meta charset='utf-8'>\n  |<script>");
  assert.equal(at("<head data-x='a>b'><script>"), "<head data-x='a>b'>|<script>");
  assert.equal(at("<!-- c --><HEAD><meta http-equiv=Content-Security-Policy content=x>"), "<!-- c --><HEAD>|<meta http-equiv=Content-Security-Policy content=x>");
  assert.equal(at("\ufeff<!doctype html><body><script>x</script>"), "\ufeff<!doctype html>|<body><script>x</script>");
  assert.equal(at("<!doctype html><script>x</script>"), "<!doctype html>|<script>x</script>");
  assert.equal(at("<header>not a head</header>"), "|<header>not a head</header>");
  assert.equal(at("plain text"), "|plain text");
  assert.equal(at(""), "|");
});

test("injectionPoint waits for more when a tag is split across chunks", () => {
  const doc = "<!doctype html><html><head data-a=\"1\"><meta charset=utf-8><title>t</title>";
  const whole = injectionPoint(doc, true);
  for (let cut = 0; cut < doc.length; cut++) {
    const partial = injectionPoint(doc.slice(0, cut), false);
    assert.ok(partial === -1 || partial === whole, `cut at ${cut}: ${partial}`);
  }
  assert.equal(injectionPoint("<!doctype html><he", false), -1);
  assert.equal(injectionPoint("<!doctype html><he", true), 15);
});

test("allowScript adds the hash only where inline scripts are restricted", () => {
  const h = "'sha256-abc='";
  assert.equal(allowScript("script-src 'self'", h), `script-src 'self' ${h}`);
  assert.equal(allowScript("default-src 'self'; img-src *", h), `default-src 'self'; img-src *; script-src 'self' ${h}`);
  assert.equal(allowScript("script-src 'nonce-r4nd' 'strict-dynamic'", h), `script-src 'nonce-r4nd' 'strict-dynamic' ${h}`);
  assert.equal(allowScript("script-src 'none'", h), `script-src ${h}`);
  assert.equal(allowScript("script-src 'self'; script-src-elem 'self'", h), `script-src 'self'; script-src-elem 'self' ${h}`);
  // Left alone: inline already allowed (a hash would turn 'unsafe-inline' off), or no script rule.
  assert.equal(allowScript("script-src 'self' 'unsafe-inline'", h), "script-src 'self' 'unsafe-inline'");
  assert.equal(allowScript("img-src *; frame-ancestors 'none'", h), "img-src *; frame-ancestors 'none'");
  // Two policies: each must allow it.
  assert.equal(allowScript("script-src 'self', default-src 'none'", h), `script-src 'self' ${h}, default-src 'none'; script-src ${h}`);
});
