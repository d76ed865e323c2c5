// @ts-check
/// <reference lib="webworker" />
/**
 * live-asgi-docs service worker: a stateless router.
 *
 * One registration per app, scoped to `app/<name>/`. Every request under
 * `app/<name>/~<instance>/` is passed to the Web Worker that runs that app
 * instance in the docs page that owns it, over a MessagePort the page hands
 * over; the answer is streamed back as it comes. The worker holds the app and
 * its state, so the browser may stop this service worker at any time: the
 * ports are asked for again from the open pages.
 *
 * A module: the build points the imports below at the code folder, where
 * protocol.js holds the messages and URL layout the page and the worker share.
 *
 * Build: __LIVE_ASGI_BUILD__
 */

import { escapeHtml } from "../live_asgi_docs/browser/embed.js";
import {
  MSG,
  NULL_BODY,
  SOCKET,
  parseAppUrl,
  sendConnect,
  sendRequest,
  sendSocketEvent,
} from "../live_asgi_docs/browser/protocol.js";
import { allowScript, injectionPoint, pageScript } from "../live_asgi_docs/browser/websocket.js";

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** How long a page may take to claim an instance before the reader is told. */
const CONNECT_TIMEOUT_MS = 4000;
/** How long an app may take to start answering a request. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Whether this browser is Blink (Chromium, Chrome, Edge), whose service
 * workers, unlike the Fetch standard, see request header values decoded as
 * UTF-8 (bytes that are not UTF-8 become an empty value) and send the values
 * of their responses' headers to the page encoded as UTF-8 (measured in
 * Chromium 156). Only Blink has `navigator.userAgentData`.
 */
const UTF8_HEADERS = "userAgentData" in sw.navigator;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The bytes of a request header value as the page sent them, one character
 * per byte (Latin-1): what the worker hands the app.
 * @param {string} value
 */
function requestHeaderBytes(value) {
  // ASCII is the same in every reading; a code point above U+00FF only exists
  // when the browser decoded the bytes as UTF-8.
  if (!/[^\x00-\x7f]/.test(value)) return value;
  if (!UTF8_HEADERS && !/[^\x00-\xff]/.test(value)) return value;
  return String.fromCharCode(...utf8.encode(value));
}

/**
 * The headers for the `Response` that makes the page see the app's header
 * bytes (`headers`: one character per byte) as it would from a server.
 *
 * Repeated names become one value joined by ", ", which is what `Headers`
 * shows of a server's response: Blink keeps only the first of a repeated
 * name of a service worker's `Response`. Where Blink would encode a value
 * as UTF-8, the value given is the one whose UTF-8 encoding is the app's
 * bytes, when there is one a `Response` accepts (code points up to U+00FF).
 * @param {[string, string][]} headers
 * @returns {[string, string][]}
 */
function responseHeaders(headers) {
  /** @type {Map<string, string>} */
  const joined = new Map();
  for (const [name, value] of headers) {
    const seen = joined.get(name);
    joined.set(name, seen === undefined ? value : `${seen}, ${value}`);
  }
  return [...joined].map(([name, value]) => [name, UTF8_HEADERS ? utf8Reading(value) : value]);
}

/** @param {string} value one character per byte */
function utf8Reading(value) {
  if (!/[^\x00-\x7f]/.test(value)) return value;
  try {
    const text = strictUtf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
    if (!/[^\x00-\xff]/.test(text)) return text;
  } catch {
    // Not UTF-8: the page sees the bytes of its UTF-8 encoding instead.
  }
  return value;
}

/** @type {Map<string, Promise<MessagePort>>} */
const ports = new Map();
/** @type {Map<number, {start: (status: number, headers: [string, string][]) => void, full: (status: number, headers: [string, string][], body: Uint8Array) => void, body: (chunk: Uint8Array) => void, end: () => void, error: (message: string) => void}>} */
const pending = new Map();
let nextId = 1;

sw.addEventListener("install", () => {
  // A new build takes over at once: the pages reconnect their instances.
  sw.skipWaiting();
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener("message", (event) => {
  const data = event.data;
  if (data && data.type === MSG.portOffer && data.instance && event.ports[0]) {
    adopt(data.instance, event.ports[0]);
  } else if (data && data.type === MSG.openSocket && event.ports[0]) {
    event.waitUntil(openSocket(event, data, event.ports[0]));
  }
});

/**
 * A page of the app opened a WebSocket: hand its port to the worker of the
 * page's own app instance (named by the page's URL, not by the message).
 * @param {ExtendableMessageEvent} event
 * @param {import("../live_asgi_docs/browser/protocol.js").OpenSocketMessage} data
 * @param {MessagePort} socket
 */
async function openSocket(event, data, socket) {
  /** @param {string} detail */
  const deny = (detail) => sendSocketEvent(socket, { type: SOCKET.deny, status: 0, detail });
  const client = /** @type {Client | null} */ (event.source);
  const scope = sw.registration.scope;
  const page = client ? parseAppUrl(client.url, scope) : null;
  if (!page) return deny("the page is not a page of this app");
  const socketAt = parseAppUrl(data.url.replace(/^ws/, "http"), scope);
  if (!socketAt || socketAt.instance !== page.instance) {
    return deny("the socket's URL is not under the page's app instance");
  }
  let port;
  try {
    port = await connect(page.instance);
  } catch (err) {
    return deny(err instanceof Error ? err.message : String(err));
  }
  sendRequest(
    port,
    {
      type: MSG.websocket,
      url: data.url,
      rootPath: page.rootPath,
      origin: new URL(scope).origin,
      protocols: data.protocols,
      headers: data.headers,
    },
    [socket],
  );
}

/** The script that gives the app's pages their WebSocket, and its CSP hash source. */
/** @type {Promise<{tag: Uint8Array, hash: string}> | null} */
let pageScriptTag = null;

function scriptTag() {
  pageScriptTag ??= (async () => {
    const source = pageScript(sw.registration.scope);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(source));
    const hash = `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
    return { tag: new TextEncoder().encode(`<script>${source}</script>`), hash };
  })();
  return pageScriptTag;
}

/**
 * Is this the answer to a navigation with an HTML page (where the script goes)?
 * @param {Request} request
 * @param {number} status
 * @param {[string, string][]} headers
 */
function isPage(request, status, headers) {
  if (request.mode !== "navigate" || NULL_BODY.has(status) || request.method === "HEAD") return false;
  const type = headers.find(([name]) => name.toLowerCase() === "content-type");
  return Boolean(type && /^\s*text\/html\b/i.test(type[1]));
}

/**
 * A page's headers with its Content-Security-Policy allowing the script, and
 * no Content-Length (the body grows).
 * @param {[string, string][]} headers
 * @param {string} hash
 * @returns {[string, string][]}
 */
function pageHeaders(headers, hash) {
  return headers
    .filter(([name]) => name.toLowerCase() !== "content-length")
    .map(([name, value]) => (name.toLowerCase() === "content-security-policy" ? [name, allowScript(value, hash)] : [name, value]));
}

/**
 * The page with the script in place, as bytes (a page complete at once).
 * @param {Uint8Array} body
 * @param {Uint8Array} tag
 */
function withScript(body, tag) {
  const at = injectionPoint(latin1.decode(body.subarray(0, SCAN_LIMIT)), true);
  const out = new Uint8Array(body.byteLength + tag.byteLength);
  out.set(body.subarray(0, at));
  out.set(tag, at);
  out.set(body.subarray(at), at + tag.byteLength);
  return out;
}

/**
 * A streamed page with the script in place: the start of the page is held
 * until it is known where the script goes (a tag may be split across chunks).
 * @param {Uint8Array} tag
 */
function insertScript(tag) {
  /** @type {Uint8Array | null} */
  let head = new Uint8Array(0);
  /** @param {TransformStreamDefaultController<Uint8Array>} controller @param {boolean} final */
  const flush = (controller, final) => {
    if (!head) return;
    const at = injectionPoint(latin1.decode(head), final || head.byteLength >= SCAN_LIMIT);
    if (at < 0) return;
    controller.enqueue(head.subarray(0, at));
    controller.enqueue(tag);
    if (at < head.byteLength) controller.enqueue(head.subarray(at));
    head = null;
  };
  return new TransformStream({
    transform(chunk, controller) {
      if (!head) {
        controller.enqueue(chunk);
        return;
      }
      const joined = new Uint8Array(head.byteLength + chunk.byteLength);
      joined.set(head);
      joined.set(chunk, head.byteLength);
      head = joined;
      flush(controller, false);
    },
    flush(controller) {
      flush(controller, true);
    },
  });
}

/** Markup is ASCII: one character per byte keeps offsets in bytes. */
const latin1 = new TextDecoder("latin1");
/** How much of a page is read to find where the script goes. */
const SCAN_LIMIT = 64 * 1024;

/**
 * @param {string} instance
 * @param {MessagePort} port
 */
function adopt(instance, port) {
  port.onmessage = onWorkerMessage;
  ports.set(instance, Promise.resolve(port));
}

/** @param {MessageEvent<import("../live_asgi_docs/browser/protocol.js").WorkerToServiceWorker>} event */
function onWorkerMessage(event) {
  const msg = event.data;
  const handler = pending.get(msg.id);
  if (!handler) return;
  switch (msg.type) {
    case MSG.start:
      handler.start(msg.status, msg.headers);
      break;
    case MSG.full:
      pending.delete(msg.id);
      handler.full(msg.status, msg.headers, msg.body);
      break;
    case MSG.body:
      handler.body(msg.chunk);
      break;
    case MSG.end:
      pending.delete(msg.id);
      handler.end();
      break;
    case MSG.error:
      pending.delete(msg.id);
      handler.error(msg.message);
      break;
  }
}

/**
 * Ask the open pages which one runs this instance; it answers with a port.
 * @param {string} instance
 * @returns {Promise<MessagePort>}
 */
function connect(instance) {
  const known = ports.get(instance);
  if (known) return known;
  /** @type {Promise<MessagePort>} */
  const promise = (async () => {
    const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
    return await new Promise((/** @type {(port: MessagePort) => void} */ resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no open page runs this app instance")), CONNECT_TIMEOUT_MS);
      let refusals = 0;
      for (const client of windows) {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => {
          if (event.ports[0]) {
            clearTimeout(timer);
            const port = event.ports[0];
            port.onmessage = onWorkerMessage;
            resolve(port);
          } else if (++refusals === windows.length) {
            // Every page said it is not theirs: no need to wait.
            clearTimeout(timer);
            reject(new Error("no open page runs this app instance"));
          }
        };
        sendConnect(client, { type: MSG.connect, instance, scope: sw.registration.scope }, [channel.port2]);
      }
      if (windows.length === 0) {
        clearTimeout(timer);
        reject(new Error("no open page runs this app instance"));
      }
    });
  })();
  ports.set(instance, promise);
  promise.catch(() => ports.delete(instance));
  return promise;
}

/**
 * @param {number} status
 * @param {string} title
 * @param {string} text
 */
function errorPage(status, title, text) {
  // The text may quote the app (its error message, a path): never markup.
  // Light or dark as the frame is (its `color-scheme`, set from the docs page,
  // is the page's prefers-color-scheme).
  const html = `<!doctype html><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2em;color:light-dark(#333,#ddd)}h1{font-size:1.2em}</style>
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/**
 * A page that runs its own instance of the app, full-window: what a reader
 * gets for an app URL opened in a new tab, reloaded, or bookmarked. It is the
 * build's `app/<name>/index.html`, based at the scope so its links resolve.
 */
async function shellPage() {
  const scope = sw.registration.scope;
  try {
    const response = await fetch(new URL("index.html", scope), { cache: "no-cache" });
    if (!response.ok) throw new Error(`index.html answered ${response.status}`);
    const html = (await response.text()).replace("<head>", `<head><base href="${escapeHtml(scope)}">`);
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
  } catch (err) {
    return errorPage(
      503,
      "This live app could not be opened here",
      `Open the documentation page that embeds it (${err instanceof Error ? err.message : err}).`,
    );
  }
}

/**
 * @param {Request} request
 */
function isTopLevelNavigation(request) {
  return request.mode === "navigate" && request.destination === "document";
}

/**
 * @param {FetchEvent} event
 * @param {string} instance
 * @param {string} rootPath
 */
async function forward(event, instance, rootPath) {
  const request = event.request;
  let port;
  try {
    port = await connect(instance);
  } catch (err) {
    if (isTopLevelNavigation(request)) return shellPage();
    return errorPage(
      503,
      "This live app is not running",
      "The documentation page that ran this app instance was closed or reloaded. Open the " +
        "documentation page again to start the app.",
    );
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const body = hasBody ? await request.arrayBuffer() : undefined;
  const id = nextId++;
  /** @type {ReadableStreamDefaultController<Uint8Array>} */
  let controller;
  const stream = new ReadableStream({
    start(c) {
      controller = c;
    },
    cancel() {
      if (pending.delete(id)) sendRequest(port, { type: MSG.cancel, id });
    },
  });
  const page = scriptTag();
  /**
   * The app's answer as a Response, or, where the browser refuses it (a status
   * outside 200-599, a header name or value no HTTP response can carry), a page
   * that says so: never a request left waiting for ever.
   * @param {() => Response} make
   */
  const refusable = (make) => {
    try {
      return make();
    } catch (err) {
      if (pending.delete(id)) sendRequest(port, { type: MSG.cancel, id });
      return errorPage(
        502,
        "The browser refused the app's answer",
        `The live app answered ${request.method} ${new URL(request.url).pathname} with a response no ` +
          `browser accepts: ${err instanceof Error ? err.message : String(err)}. A server would refuse it ` +
          "too: fix the status code or header the app sends.",
      );
    }
  };
  return await new Promise((resolve) => {
    let started = false;
    // An app that never answers gets a clear page, and stops working on it.
    const timer = setTimeout(() => {
      if (started || !pending.delete(id)) return;
      sendRequest(port, { type: MSG.cancel, id });
      resolve(
        errorPage(
          504,
          "The app took too long to answer",
          `The live app did not answer ${request.method} ${new URL(request.url).pathname} within ` +
            `${REQUEST_TIMEOUT_MS / 1000} seconds. Reload to try again, or restart the app.`,
        ),
      );
    }, REQUEST_TIMEOUT_MS);
    pending.set(id, {
      start(status, headers) {
        clearTimeout(timer);
        started = true;
        const nullBody = NULL_BODY.has(status) || request.method === "HEAD";
        if (isPage(request, status, headers)) {
          // The app's page gets its WebSocket before any of its scripts runs.
          resolve(
            page.then(({ tag, hash }) =>
              refusable(
                () =>
                  new Response(stream.pipeThrough(insertScript(tag)), {
                    status,
                    headers: responseHeaders(pageHeaders(headers, hash)),
                  }),
              ),
            ),
          );
          return;
        }
        resolve(refusable(() => new Response(nullBody ? null : stream, { status, headers: responseHeaders(headers) })));
        if (nullBody) controller.close();
      },
      full(status, headers, bytes) {
        clearTimeout(timer);
        started = true;
        const nullBody = NULL_BODY.has(status) || request.method === "HEAD";
        if (isPage(request, status, headers)) {
          resolve(
            page.then(({ tag, hash }) =>
              refusable(
                () => new Response(withScript(bytes, tag), { status, headers: responseHeaders(pageHeaders(headers, hash)) }),
              ),
            ),
          );
          return;
        }
        // On the stream, not on the bytes: a Response on bytes becomes a blob,
        // registered with the browser process and read back from it.
        if (!nullBody) {
          controller.enqueue(bytes);
          controller.close();
        }
        resolve(refusable(() => new Response(nullBody ? null : stream, { status, headers: responseHeaders(headers) })));
      },
      body(chunk) {
        try {
          controller.enqueue(chunk);
        } catch {
          // The reader's browser no longer reads this response.
        }
      },
      end() {
        try {
          controller.close();
        } catch {
          // Already closed (null body or cancelled).
        }
      },
      error(message) {
        clearTimeout(timer);
        if (!started) {
          resolve(errorPage(502, "The live app failed", message));
        } else {
          try {
            controller.error(new Error(message));
          } catch {
            // Already closed.
          }
        }
      },
    });
    /** @type {Transferable[]} */
    const transfer = body ? [body] : [];
    sendRequest(
      port,
      {
        type: MSG.request,
        id,
        method: request.method,
        url: request.url,
        rootPath,
        headers: [...request.headers].map(([name, value]) => [name, requestHeaderBytes(value)]),
        body,
        referrer: request.referrer,
        mode: request.mode,
        destination: request.destination,
      },
      transfer,
    );
  });
}

sw.addEventListener("fetch", (event) => {
  const scope = sw.registration.scope;
  const url = event.request.url;
  if (!url.startsWith(scope)) return;
  const match = parseAppUrl(url, scope);
  if (!match && isTopLevelNavigation(event.request)) {
    event.respondWith(shellPage());
    return;
  }
  if (!match) {
    event.respondWith(
      errorPage(
        404,
        "Open this app from its documentation page",
        "This address belongs to a live app that runs inside a documentation page. Open the page that embeds it.",
      ),
    );
    return;
  }
  event.respondWith(forward(event, match.instance, match.rootPath));
});
