// @ts-check
/**
 * WebSockets of the app's pages: a `WebSocket` that talks to the app instance.
 *
 * A service worker never sees a WebSocket connection, so the service worker
 * puts a small script as the first thing of every HTML page of the app
 * (`pageScript`): it replaces `window.WebSocket` before any script of the page
 * runs. A socket to a URL of the frame's own app instance gets a MessagePort
 * to the app's worker, handed over by the service worker; the app sees an
 * ASGI `websocket` connection (see `bridge.py`). Every other socket is the
 * browser's own.
 *
 * The port goes straight from the page to the worker: once open, a socket
 * does not need the service worker, which the browser may stop at any time.
 *
 * This module also holds the pure helpers the service worker uses to put the
 * script into a page: where it goes (`injectionPoint`), and how a page's
 * Content-Security-Policy is told to allow it (`allowScript`).
 */

import { MSG, SOCKET } from "./protocol.js";

/**
 * @typedef {import("./protocol.js").SocketEvent} SocketEvent
 * @typedef {import("./protocol.js").SocketCommand} SocketCommand
 * @typedef {import("./protocol.js").OpenSocketMessage} OpenSocketMessage
 * @typedef {{scope: string, msg: typeof SOCKET & {openSocket: typeof MSG.openSocket}}} PageConfig
 */

/**
 * Install the page's `WebSocket`. Runs in the app's page as an inline script:
 * it is self-contained (the service worker inlines its source).
 * @param {any} win the page's window
 * @param {PageConfig} config the app's service worker scope, and the message names
 */
export function installWebSocket(win, config) {
  const M = config.msg;
  const Native = win.WebSocket;
  const match = /^(.*?\/~[a-z0-9]+)(?=[/?#]|$)/.exec(String(win.location.href));
  if (!Native || !match || !match[1].startsWith(config.scope)) return;
  /** The frame's app instance: `.../app/<name>/~<instance>`. */
  const root = match[1];
  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSING = 2;
  const CLOSED = 3;
  const encoder = new TextEncoder();
  /** @type {Set<any>} */
  const open = new Set();

  /** @param {string} message @param {string} name */
  const domError = (message, name) => new win.DOMException(message, name);
  const CloseEventClass =
    win.CloseEvent ||
    class CloseEvent extends win.Event {
      /** @param {string} type @param {any} init */
      constructor(type, init = {}) {
        super(type, init);
        this.code = init.code || 0;
        this.reason = init.reason || "";
        this.wasClean = Boolean(init.wasClean);
      }
    };

  /**
   * Does a socket URL belong to this frame's app instance?
   * @param {URL} url
   */
  const ours = (url) => {
    const http = `${url.protocol === "wss:" ? "https:" : "http:"}//${url.host}${url.pathname}`;
    return http === root || http.startsWith(`${root}/`);
  };

  class WebSocket extends win.EventTarget {
    /**
     * @param {string | URL} url
     * @param {string | string[]} [protocols]
     */
    constructor(url, protocols) {
      const prefix = "Failed to construct 'WebSocket': ";
      let parsed;
      try {
        parsed = new URL(String(url), win.document ? win.document.baseURI : win.location.href);
      } catch {
        throw domError(`${prefix}The URL '${url}' is invalid.`, "SyntaxError");
      }
      if (parsed.protocol === "http:") parsed.protocol = "ws:";
      else if (parsed.protocol === "https:") parsed.protocol = "wss:";
      if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
        throw domError(`${prefix}The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${parsed.protocol}' is not allowed.`, "SyntaxError");
      }
      if (parsed.hash) {
        throw domError(`${prefix}The URL contains a fragment identifier ('${parsed.hash}'). Fragment identifiers are not allowed in WebSocket URLs.`, "SyntaxError");
      }
      if (!ours(parsed)) {
        // Not the app's: the browser's own socket, untouched.
        return protocols === undefined ? new Native(url) : new Native(url, protocols);
      }
      const list = protocols === undefined ? [] : typeof protocols === "string" ? [protocols] : [...protocols].map(String);
      const seen = new Set();
      for (const p of list) {
        if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p) || seen.has(p)) {
          throw domError(`${prefix}The subprotocol '${p}' is invalid or duplicated.`, "SyntaxError");
        }
        seen.add(p);
      }
      super();
      /** @type {string} */
      this._url = parsed.href;
      /** @type {number} */
      this._state = CONNECTING;
      /** @type {string} */
      this._protocol = "";
      /** @type {string} */
      this._binaryType = "blob";
      /** @type {number} */
      this._buffered = 0;
      /** Closed while connecting: the app's answers no longer count. */
      this._failed = false;
      /** @type {Record<string, any>} */
      this._handlers = {};
      /** Sends waiting for a Blob to be read, so that order is kept. @type {any[]} */
      this._queue = [];
      const channel = new win.MessageChannel();
      /** @type {MessagePort} */
      this._port = channel.port1;
      this._port.onmessage = (/** @type {MessageEvent} */ event) => this._event(event.data);
      open.add(this);
      /** @type {OpenSocketMessage} */
      const request = {
        type: M.openSocket,
        url: this._url,
        protocols: list,
        headers: [
          ["user-agent", String(win.navigator.userAgent || "")],
          ["accept-language", (win.navigator.languages || []).join(",")],
        ],
      };
      const container = win.navigator.serviceWorker;
      const controller = container && container.controller;
      if (controller) {
        controller.postMessage(request, [channel.port2]);
      } else if (container) {
        container.ready.then(
          (/** @type {ServiceWorkerRegistration} */ reg) => reg.active?.postMessage(request, [channel.port2]),
          () => this._event({ type: M.deny, status: 0, detail: "no service worker" }),
        );
      } else {
        queueMicrotask(() => this._event({ type: M.deny, status: 0, detail: "no service worker" }));
      }
    }

    get url() {
      return this._url;
    }
    get readyState() {
      return this._state;
    }
    get protocol() {
      return this._protocol;
    }
    get extensions() {
      return "";
    }
    get bufferedAmount() {
      return this._buffered;
    }
    get binaryType() {
      return this._binaryType;
    }
    set binaryType(value) {
      // A browser ignores values other than these two.
      if (value === "blob" || value === "arraybuffer") this._binaryType = value;
    }

    /** @param {any} data */
    send(data) {
      if (this._state === CONNECTING) {
        throw domError("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", "InvalidStateError");
      }
      /** @type {string | ArrayBuffer | Blob} */
      let payload;
      let size;
      if (typeof data === "string" || !(data instanceof win.Blob || data instanceof ArrayBuffer || ArrayBuffer.isView(data))) {
        payload = String(data);
        size = encoder.encode(payload).byteLength;
      } else if (data instanceof win.Blob) {
        payload = data;
        size = data.size;
      } else if (data instanceof ArrayBuffer) {
        payload = data.slice(0);
        size = data.byteLength;
      } else {
        payload = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
        size = data.byteLength;
      }
      // As a browser does: data sent to a closing or closed socket only counts.
      this._buffered += size;
      if (this._state !== OPEN) return;
      this._queue.push(payload);
      if (this._queue.length === 1) this._drain();
    }

    async _drain() {
      while (this._queue.length) {
        const item = this._queue[0];
        const data = item instanceof win.Blob ? await item.arrayBuffer() : item;
        const size = typeof data === "string" ? encoder.encode(data).byteLength : data.byteLength;
        if (this._state === OPEN) {
          /** @type {SocketCommand} */
          const command = { type: M.send, data };
          this._port.postMessage(command, typeof data === "string" ? [] : [data]);
          // Handed to the app's worker: no longer buffered once this task is done.
          queueMicrotask(() => {
            this._buffered -= size;
          });
        }
        this._queue.shift();
      }
    }

    /**
     * @param {number} [code]
     * @param {string} [reason]
     */
    close(code, reason) {
      const prefix = "Failed to execute 'close' on 'WebSocket': ";
      if (code !== undefined) {
        code = Number(code) & 0xffff;
        if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
          throw domError(`${prefix}The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, "InvalidAccessError");
        }
      }
      const text = reason === undefined ? "" : String(reason);
      if (encoder.encode(text).byteLength > 123) {
        throw domError(`${prefix}The close reason must not be greater than 123 UTF-8 bytes.`, "SyntaxError");
      }
      if (this._state === CLOSING || this._state === CLOSED) return;
      const wasConnecting = this._state === CONNECTING;
      this._state = CLOSING;
      // Closed while connecting, the connection fails: the app hears it end abnormally
      // (1006), as a server does when the browser drops a connection before its handshake.
      /** @type {SocketCommand} */
      const command = wasConnecting
        ? { type: M.close, code: 1006, reason: "" }
        : { type: M.close, code: code === undefined ? null : code, reason: text };
      this._port.postMessage(command);
      if (wasConnecting) {
        // The connection is failed: whatever the app still says (its echo of this close can come
        // before the timer below) is not heard, so the close is always 1006, not clean.
        this._failed = true;
        win.console.error(`WebSocket connection to '${this._url}' failed: WebSocket is closed before the connection is established.`);
        // The events come in a later task, as a browser's do.
        setTimeout(() => this._finish(1006, "", false), 0);
      }
    }

    /** @param {SocketEvent} msg */
    _event(msg) {
      if (this._state === CLOSED || this._failed) return;
      if (msg.type === M.accept && this._state === CONNECTING) {
        this._state = OPEN;
        this._protocol = msg.protocol || "";
        this.dispatchEvent(new win.Event("open"));
      } else if (msg.type === M.message && this._state === OPEN) {
        let data = msg.data;
        if (typeof data !== "string" && this._binaryType === "blob") data = new win.Blob([data]);
        this.dispatchEvent(new win.MessageEvent("message", { data, origin: new URL(this._url).origin }));
      } else if (msg.type === M.close) {
        if (msg.detail) showDetail(msg.detail);
        this._finish(msg.code, msg.reason, msg.code !== 1006);
      } else if (msg.type === M.deny) {
        const why = msg.status === 0 ? `the app is not reachable (${msg.detail || ""})` : `Unexpected response code: ${msg.status}`;
        win.console.error(`WebSocket connection to '${this._url}' failed: Error during WebSocket handshake: ${why}`);
        if (msg.detail && msg.status !== 0) showDetail(msg.detail);
        this._finish(1006, "", false);
      }
    }

    /**
     * @param {number} code
     * @param {string} reason
     * @param {boolean} clean
     */
    _finish(code, reason, clean) {
      if (this._state === CLOSED) return;
      this._state = CLOSED;
      open.delete(this);
      this._port.close();
      if (!clean) this.dispatchEvent(new win.Event("error"));
      this.dispatchEvent(new CloseEventClass("close", { code, reason, wasClean: clean }));
    }

    /** @param {unknown} value */
    static [Symbol.hasInstance](value) {
      return typeof value === "object" && value !== null && Native.prototype.isPrototypeOf(value);
    }
  }

  for (const type of ["open", "message", "error", "close"]) {
    Object.defineProperty(WebSocket.prototype, `on${type}`, {
      configurable: true,
      enumerable: true,
      get() {
        return this._handlers[type] || null;
      },
      set(value) {
        const fresh = !(type in this._handlers);
        this._handlers[type] = typeof value === "function" || (typeof value === "object" && value) ? value : null;
        // The handler runs where it was first set among the listeners, as for a browser's.
        if (fresh) {
          this.addEventListener(type, (/** @type {Event} */ event) => {
            const handler = this._handlers[type];
            if (typeof handler === "function") handler.call(this, event);
            else if (handler && typeof handler.handleEvent === "function") handler.handleEvent(event);
          });
        }
      },
    });
  }
  const constants = { CONNECTING, OPEN, CLOSING, CLOSED };
  for (const [name, value] of Object.entries(constants)) {
    const property = { value, enumerable: true };
    Object.defineProperty(WebSocket, name, property);
    Object.defineProperty(WebSocket.prototype, name, property);
  }
  // `instanceof` and the prototype chain agree with the browser's WebSocket.
  Object.setPrototypeOf(WebSocket.prototype, Native.prototype);

  /** With `:debug:`, the app's traceback is shown in the frame, not only in the console. @param {string} text */
  function showDetail(text) {
    win.console.error(text);
    const doc = win.document;
    if (!doc || !doc.body) return;
    const pre = doc.createElement("pre");
    pre.className = "live-asgi-websocket-error";
    pre.setAttribute("role", "alert");
    pre.style.cssText =
      "position:fixed;left:0;right:0;bottom:0;max-height:50%;overflow:auto;margin:0;padding:8px;" +
      "background:#fff0f0;color:#600;border-top:2px solid #c00;font:12px/1.4 monospace;z-index:2147483647;white-space:pre-wrap";
    pre.textContent = `Exception in the app's websocket handler:\n${text}`;
    doc.body.append(pre);
  }

  // A page that goes away closes its sockets: the app hears websocket.disconnect (1001).
  win.addEventListener("pagehide", () => {
    for (const socket of [...open]) {
      /** @type {SocketCommand} */
      const command = { type: M.gone };
      socket._port.postMessage(command);
      socket._state = CLOSED;
      socket._port.close();
      open.delete(socket);
    }
  });

  Object.defineProperty(win, "WebSocket", { value: WebSocket, writable: true, configurable: true, enumerable: false });
}

/**
 * The source of the script put into the app's pages.
 * @param {string} scope the service worker's scope
 */
export function pageScript(scope) {
  /** @type {PageConfig} */
  const config = { scope, msg: { ...SOCKET, openSocket: MSG.openSocket } };
  return `(${installWebSocket.toString()})(window, ${JSON.stringify(config)});`;
}

const SPACE = /^[\t\n\f\r ]*/;

/**
 * Where in an HTML document the script goes: as the first thing in `<head>`
 * (after a leading `<meta charset>`, which must stay in the first 1024
 * bytes), or before the first element when the document has no `<head>` tag.
 * Returns -1 when `html` is a prefix too short to say (a tag split across
 * chunks): the caller waits for more unless `final`.
 * @param {string} html the start of the document (bytes as Latin-1 will do: markup is ASCII)
 * @param {boolean} final whether `html` is the whole document
 * @returns {number}
 */
export function injectionPoint(html, final) {
  let i = 0;
  if (html.startsWith("\ufeff")) i = 1;
  else if (html.startsWith("\u00ef\u00bb\u00bf")) i = 3;
  const more = () => (final ? i : -1);
  /** End of the tag that starts at `at` (quotes respected), or -1. @param {number} at */
  const tagEnd = (at) => {
    let quote = "";
    for (let j = at; j < html.length; j++) {
      const c = html[j];
      if (quote) {
        if (c === quote) quote = "";
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ">") return j + 1;
    }
    return -1;
  };
  /** @param {string} name */
  const isTag = (name) => {
    const rest = html.slice(i, i + name.length + 2).toLowerCase();
    if (rest.length < name.length + 2) return rest === `<${name}`.slice(0, rest.length) ? null : false;
    return rest.startsWith(`<${name}`) && /[\s/>]/.test(rest[name.length + 1]);
  };
  let inHead = false;
  for (;;) {
    i += SPACE.exec(html.slice(i))?.[0].length || 0;
    if (i >= html.length) return more();
    if (html.startsWith("<!--", i)) {
      const end = html.indexOf("-->", i + 4);
      if (end < 0) return more();
      i = end + 3;
      continue;
    }
    if (html.length - i < 4 && "<!--".startsWith(html.slice(i))) return more();
    if (!inHead && (html.startsWith("<!", i) || html.startsWith("<?", i))) {
      const end = html.indexOf(">", i);
      if (end < 0) return more();
      i = end + 1;
      continue;
    }
    if (!inHead) {
      const html_ = isTag("html");
      const head = isTag("head");
      if (html_ === null || head === null) return more();
      if (html_ || head) {
        const end = tagEnd(i);
        if (end < 0) return more();
        i = end;
        if (head) inHead = true;
        continue;
      }
      return i;
    }
    // In <head>: a leading <meta charset> stays first.
    const meta = isTag("meta");
    if (meta === null) return more();
    if (meta) {
      const end = tagEnd(i);
      if (end < 0) return more();
      const tag = html.slice(i, end).toLowerCase();
      if (/\scharset\s*=|http-equiv\s*=\s*["']?content-type/.test(tag)) {
        i = end;
        continue;
      }
    }
    return i;
  }
}

/**
 * A Content-Security-Policy header value changed so that it allows one more
 * inline script, given by its hash source (`'sha256-...'`). Policies that
 * already allow inline scripts, or restrict no scripts, are returned as they
 * are: a hash would turn off their `'unsafe-inline'`. Several policies (joined
 * by commas, as `Headers` does) are each changed.
 * @param {string} header
 * @param {string} source
 */
export function allowScript(header, source) {
  return header
    .split(",")
    .map((policy) => allowInPolicy(policy.trim(), source))
    .join(", ");
}

/**
 * @param {string} policy
 * @param {string} source
 */
function allowInPolicy(policy, source) {
  const directives = policy
    .split(";")
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => d.split(/\s+/));
  /** @param {string} name */
  const find = (name) => directives.find((d) => d[0].toLowerCase() === name);
  const governing = find("script-src-elem") || find("script-src") || find("default-src");
  if (!governing) return policy;
  const values = governing.slice(1).map((v) => v.toLowerCase());
  const neutralized = values.some((v) => /^'(nonce-|sha(256|384|512)-|strict-dynamic')/.test(v));
  if (values.includes("'unsafe-inline'") && !neutralized) return policy;
  const sources = governing.slice(1).filter((v) => v.toLowerCase() !== "'none'");
  if (governing[0].toLowerCase() === "default-src") {
    // A script-src of its own: default-src's hash would also govern styles.
    directives.push(["script-src", ...sources, source]);
  } else {
    governing.splice(1, governing.length - 1, ...sources, source);
  }
  return directives.map((d) => d.join(" ")).join("; ");
}
