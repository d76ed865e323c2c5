// @ts-check
/**
 * The DOM of an embed: its toolbar (back, forward, reload, address, restart,
 * open in a new tab), the frame, and the status that stands in the frame's
 * place while the app starts or when it cannot run.
 */

import { controls } from "./state.js";

/**
 * @typedef {import("./protocol.js").EmbedConfig} EmbedConfig
 * @typedef {import("./state.js").State} State
 * @typedef {{
 *   el: HTMLElement, frame: HTMLIFrameElement, status: HTMLElement, message: HTMLElement,
 *   progress: HTMLProgressElement, details: HTMLDetailsElement, action: HTMLButtonElement,
 *   address: HTMLInputElement, open: HTMLAnchorElement, buttons: Record<string, HTMLButtonElement>,
 *   panel: HTMLElement | null,
 * }} View  `panel`: where the code editor goes (an embed with `editor`), else null
 */

const ICONS = {
  back: '<path d="M19 12H5M12 19l-7-7 7-7"/>',
  forward: '<path d="M5 12h14M12 5l7 7-7 7"/>',
  reload: '<path d="M20.5 12a8.5 8.5 0 1 1-2.6-6.1L20.5 8.5"/><path d="M20.5 3v5.5H15"/>',
  restart: '<path d="M12 2.5v9"/><path d="M18.4 6.6a9 9 0 1 1-12.8 0"/>',
  open: '<path d="M14 3h7v7M10 14 21 3"/><path d="M20 14v5a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h5"/>',
};

/** @param {keyof typeof ICONS} name */
function icon(name) {
  return (
    '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" ' +
    `stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${ICONS[name]}</svg>`
  );
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} attrs
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, attrs = {}) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

/**
 * The label of an embed for assistive technology and messages.
 * @param {EmbedConfig} config
 */
export function label(config) {
  return `Live app “${config.name}”`;
}

/**
 * Build the toolbar, frame and status of an embed in its element (which is emptied).
 * @param {HTMLElement} el
 * @param {EmbedConfig} config
 * @returns {View}
 */
export function buildView(el, config) {
  const name = label(config);
  el.textContent = "";

  const toolbar = make("div", { class: "live-asgi-toolbar", role: "toolbar", "aria-label": `${name}: controls` });
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {};
  /** @param {keyof typeof ICONS} kind @param {string} text */
  const button = (kind, text) => {
    const b = make("button", { type: "button", class: `live-asgi-${kind}`, "aria-label": text, title: text });
    b.innerHTML = icon(kind);
    b.disabled = true;
    buttons[kind] = b;
    return b;
  };
  const address = make("input", {
    class: "live-asgi-address",
    type: "text",
    "aria-label": `${name}: address (press Enter to go)`,
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    enterkeyhint: "go",
  });
  address.value = config.path;
  address.disabled = true;
  const open = make("a", {
    class: "live-asgi-open",
    target: "_blank",
    rel: "noopener",
    "aria-label": "Open the app in a new tab",
    title: "Open the app in a new tab",
    "aria-disabled": "true",
  });
  open.innerHTML = icon("open");
  toolbar.append(
    button("back", "Back"),
    button("forward", "Forward"),
    button("reload", "Reload the app page"),
    address,
    button("restart", "Restart the app (a fresh instance)"),
    open,
  );

  const body = make("div", { class: "live-asgi-body" });
  const frame = make("iframe", { class: "live-asgi-frame", title: name });
  frame.hidden = true;
  const status = make("div", { class: "live-asgi-status", role: "status", "aria-live": "polite" });
  const message = make("p", { class: "live-asgi-message" });
  const progress = make("progress", { "aria-label": `${name}: starting` });
  progress.hidden = true;
  const details = make("details", { class: "live-asgi-details" });
  details.hidden = true;
  const action = make("button", { type: "button", class: "live-asgi-action" });
  action.hidden = true;
  status.append(message, progress, details, action);
  body.append(frame, status);
  /** @type {HTMLElement | null} */
  let panel = null;
  if (config.editor && !config.full) {
    // The code beside the app (side by side when wide, stacked when narrow: live-asgi.css).
    el.classList.add("live-asgi-with-editor");
    const split = make("div", { class: "live-asgi-split" });
    panel = make("div", { class: "live-asgi-editor", role: "region", "aria-label": `${name}: code` });
    const app = make("div", { class: "live-asgi-app" });
    app.append(toolbar, body);
    split.append(panel, app);
    el.append(split);
  } else {
    el.append(toolbar, body);
  }
  return { el, frame, status, message, progress, details, action, address, open, buttons, panel };
}

/**
 * The state of an embed, as its element says.
 * @param {View} view
 * @returns {State}
 */
export function stateOf(view) {
  return /** @type {State} */ (view.el.dataset.state || "idle");
}

/**
 * Show a message in the frame's place.
 * @param {View} view
 * @param {string} text
 * @param {{kind?: "info" | "error", traceback?: string, action?: string, onAction?: () => void}} [more]
 */
export function show(view, text, more = {}) {
  const { status, message, details, action, progress } = view;
  status.hidden = false;
  status.dataset.kind = more.kind || "info";
  message.textContent = text;
  progress.hidden = more.kind === "error" || !controls(stateOf(view), false).progress;
  details.hidden = !more.traceback;
  if (more.traceback) {
    details.textContent = "";
    const summary = make("summary");
    summary.textContent = "Python traceback";
    const pre = make("pre");
    pre.textContent = more.traceback;
    details.append(summary, pre);
  }
  action.hidden = !more.action;
  action.textContent = more.action || "";
  action.onclick = more.onAction || null;
}

/**
 * The frame's window, or null when it shows another origin.
 * @param {View} view
 * @returns {Window | null}
 */
export function frameWindow(view) {
  try {
    const win = view.frame.contentWindow;
    return win && win.location.href ? win : null;
  } catch {
    return null;
  }
}

/**
 * Enable or disable the controls, and reflect the frame's history.
 * @param {View} view
 * @param {boolean} running the frame shows the app instance
 */
export function setControls(view, running) {
  const { buttons, address, open } = view;
  const allowed = controls(stateOf(view), running);
  buttons.reload.disabled = !allowed.navigate;
  buttons.restart.disabled = !allowed.restart;
  address.disabled = !allowed.navigate;
  const nav = running ? /** @type {any} */ (frameWindow(view))?.navigation : null;
  buttons.back.disabled = !(nav && nav.canGoBack);
  buttons.forward.disabled = !(nav && nav.canGoForward);
  if (running) {
    const win = view.frame.src ? frameWindow(view) : null;
    open.href = win ? win.location.href : view.frame.src;
    open.removeAttribute("aria-disabled");
  } else {
    open.removeAttribute("href");
    open.setAttribute("aria-disabled", "true");
  }
}
