// @ts-check
/**
 * live-asgi-docs code editor: the app's files beside the live app, a tab per
 * file, Run (also Ctrl/Cmd+Enter) and Reset. Loaded by the page loader only
 * for embeds with an `:editor:`; CodeMirror 6 is vendored in codemirror.js
 * (see scripts/vendor-editor).
 *
 * The editor knows nothing of the app's runtime: the loader passes `onRun`
 * and `onReset`, reads the files with `files()`, and reports a failed run
 * with `showError()`.
 */

import {
  EditorState,
  EditorView,
  bracketMatching,
  classHighlighter,
  closeBrackets,
  closeBracketsKeymap,
  css,
  defaultKeymap,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSelectionMatches,
  highlightSpecialChars,
  history,
  historyKeymap,
  html,
  indentOnInput,
  indentUnit,
  indentWithTab,
  javascript,
  jinja,
  keymap,
  lineNumbers,
  lintGutter,
  python,
  searchKeymap,
  setDiagnostics,
  syntaxHighlighting,
} from "./codemirror.js";
import { changedFiles, errorPlace, languageOf, readEdits } from "./editing.js";

/**
 * @typedef {import("./editing.js").SourceFile} SourceFile
 * @typedef {{path: string, text: string}} EditedFile
 * @typedef {{
 *   name: string, files: SourceFile[], readOnly: boolean, storageKey: string,
 *   onRun: () => void, onReset: () => void,
 * }} EditorOptions
 * @typedef {{
 *   files: () => EditedFile[], edits: () => EditedFile[], reset: () => void,
 *   showError: (message: string, traceback: string) => void, clearError: () => void,
 *   setBusy: (busy: boolean) => void,
 * }} EditorHandle
 */

/** @param {string} language */
function languageSupport(language) {
  switch (language) {
    case "python":
      return python();
    case "html":
      return html();
    case "jinja":
      return jinja({ base: html() });
    case "css":
      return css();
    case "javascript":
      return javascript();
    default:
      return [];
  }
}

// The page's colours (live-asgi.css), so the theme's light/dark switch applies;
// token colours are classes (classHighlighter) styled there too.
const theme = EditorView.theme({
  "&": { color: "var(--live-asgi-fg)", backgroundColor: "var(--live-asgi-field)", height: "100%" },
  ".cm-scroller": { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: "13px", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--live-asgi-fg)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--live-asgi-fg)" },
  "&.cm-focused": { outline: "2px solid var(--live-asgi-accent)", outlineOffset: "-2px" },
  ".cm-gutters": {
    backgroundColor: "var(--live-asgi-bar)",
    color: "var(--live-asgi-muted)",
    borderRight: "1px solid var(--live-asgi-border)",
  },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--live-asgi-active-line)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection":
    { backgroundColor: "var(--live-asgi-selection)" },
  ".cm-panels": { backgroundColor: "var(--live-asgi-bar)", color: "var(--live-asgi-fg)" },
  ".cm-searchMatch": { backgroundColor: "var(--live-asgi-search-match)" },
});

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
 * Put the editor of one app into `panel`.
 * @param {HTMLElement} panel
 * @param {EditorOptions} options
 * @returns {EditorHandle}
 */
export function mountEditor(panel, options) {
  const { files, readOnly } = options;
  const uid = Math.random().toString(36).slice(2, 8);
  const kept = readOnly ? {} : readEdits(safeStorage("get", options.storageKey), files);

  const bar = make("div", { class: "live-asgi-editor-bar" });
  const tabs = make("div", { class: "live-asgi-tabs", role: "tablist", "aria-label": `Files of the app “${options.name}”` });
  bar.append(tabs);
  /** @type {HTMLButtonElement | null} */
  let runButton = null;
  /** @type {HTMLButtonElement | null} */
  let resetButton = null;
  if (!readOnly) {
    runButton = make("button", { type: "button", class: "live-asgi-run", title: "Run the edited code (Ctrl+Enter)" });
    runButton.textContent = "Run";
    runButton.addEventListener("click", () => options.onRun());
    resetButton = make("button", { type: "button", class: "live-asgi-reset", title: "Restore the published code and run it" });
    resetButton.textContent = "Reset";
    resetButton.addEventListener("click", () => options.onReset());
    bar.append(runButton, resetButton);
  }
  const panes = make("div", { class: "live-asgi-editor-panes" });
  const note = make("p", { class: "live-asgi-editor-note", role: "status", "aria-live": "polite" });
  note.hidden = true;
  panel.append(bar, panes, note);

  /** @type {{file: SourceFile, view: EditorView, tab: HTMLButtonElement, pane: HTMLElement}[]} */
  const entries = [];
  let saveTimer = 0;
  const save = () => {
    clearTimeout(saveTimer);
    saveTimer = window.setTimeout(() => {
      const edits = changedFiles(files, current());
      if (Object.keys(edits).length) safeStorage("set", options.storageKey, JSON.stringify({ files: edits }));
      else safeStorage("remove", options.storageKey);
      panel.dataset.edited = String(Object.keys(edits).length > 0);
    }, 250);
  };

  for (const [index, file] of files.entries()) {
    const tabId = `live-asgi-tab-${uid}-${index}`;
    const paneId = `live-asgi-pane-${uid}-${index}`;
    const tab = make("button", {
      type: "button",
      role: "tab",
      id: tabId,
      class: "live-asgi-tab",
      "aria-controls": paneId,
      "aria-selected": String(index === 0),
      tabindex: index === 0 ? "0" : "-1",
    });
    tab.textContent = file.name;
    tabs.append(tab);
    const pane = make("div", { role: "tabpanel", id: paneId, class: "live-asgi-pane", "aria-labelledby": tabId });
    pane.hidden = index !== 0;
    panes.append(pane);
    const label = `${file.name}: ${readOnly ? "code of the app (read-only)" : "code of the app (Ctrl+Enter runs it; Escape then Tab leaves)"}`;
    const view = new EditorView({
      parent: pane,
      state: EditorState.create({
        doc: kept[file.path] ?? file.text,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          syntaxHighlighting(classHighlighter),
          lintGutter(),
          indentUnit.of("    "),
          keymap.of([
            { key: "Mod-Enter", run: () => (readOnly ? false : (options.onRun(), true)) },
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...searchKeymap,
            ...historyKeymap,
            indentWithTab,
          ]),
          languageSupport(languageOf(file.name, file.text)),
          EditorView.contentAttributes.of({ "aria-label": label, ...(readOnly ? { "aria-readonly": "true" } : {}) }),
          readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [],
          EditorView.updateListener.of((/** @type {{docChanged: boolean}} */ update) => {
            if (update.docChanged) save();
          }),
          theme,
        ],
      }),
    });
    entries.push({ file, view, tab, pane });
  }
  panel.dataset.edited = String(Object.keys(kept).length > 0);

  /** @param {number} index @param {boolean} focus */
  const select = (index, focus) => {
    for (const [i, entry] of entries.entries()) {
      const on = i === index;
      entry.tab.setAttribute("aria-selected", String(on));
      entry.tab.tabIndex = on ? 0 : -1;
      entry.pane.hidden = !on;
    }
    if (focus) entries[index].tab.focus();
    entries[index].view.requestMeasure();
  };
  tabs.addEventListener("click", (event) => {
    const index = entries.findIndex((e) => e.tab === /** @type {Element} */ (event.target).closest(".live-asgi-tab"));
    if (index >= 0) select(index, false);
  });
  tabs.addEventListener("keydown", (event) => {
    const index = entries.findIndex((e) => e.tab.getAttribute("aria-selected") === "true");
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: entries.length - 1 - index };
    const move = /** @type {Record<string, number>} */ (moves)[event.key];
    if (move === undefined) return;
    event.preventDefault();
    select((index + move + entries.length) % entries.length, true);
  });

  function current() {
    /** @type {Record<string, string>} */
    const out = {};
    for (const { file, view } of entries) out[file.path] = view.state.doc.toString();
    return out;
  }

  function clearError() {
    note.hidden = true;
    note.textContent = "";
    delete note.dataset.kind;
    for (const { view } of entries) view.dispatch(setDiagnostics(view.state, []));
  }

  return {
    files: () => entries.map(({ file, view }) => ({ path: file.path, text: view.state.doc.toString() })),
    edits: () => {
      const edits = changedFiles(files, current());
      return Object.entries(edits).map(([path, text]) => ({ path, text }));
    },
    reset() {
      clearTimeout(saveTimer);
      safeStorage("remove", options.storageKey);
      for (const { file, view } of entries) {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: file.text } });
      }
      clearTimeout(saveTimer);
      panel.dataset.edited = "false";
      clearError();
    },
    showError(message, traceback) {
      clearError();
      const place = errorPlace(traceback, files);
      note.hidden = false;
      note.dataset.kind = "error";
      if (!place) {
        note.textContent = message;
        return;
      }
      note.textContent = `${place.file}, line ${place.line}: ${message}`;
      const index = entries.findIndex((e) => e.file.name === place.file);
      const { view } = entries[index];
      const line = view.state.doc.line(Math.min(Math.max(place.line, 1), view.state.doc.lines));
      view.dispatch(
        setDiagnostics(view.state, [{ from: line.from, to: line.to, severity: "error", message }]),
      );
      select(index, false);
      view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
    },
    clearError,
    setBusy(busy) {
      if (runButton) runButton.disabled = busy;
      if (resetButton) resetButton.disabled = busy;
      panel.setAttribute("aria-busy", String(busy));
    },
  };
}

/**
 * localStorage, which a browser may refuse (private windows, settings):
 * then edits last as long as the page.
 * @param {"get" | "set" | "remove"} op
 * @param {string} key
 * @param {string} [value]
 * @returns {string | null}
 */
function safeStorage(op, key, value = "") {
  try {
    if (op === "get") return localStorage.getItem(key);
    if (op === "set") localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
    // Not kept: the reader still has the edits in the page.
  }
  return null;
}
