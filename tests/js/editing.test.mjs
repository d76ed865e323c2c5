// Unit tests of the code editor's pure helpers: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { changedFiles, errorPlace, languageOf, readEdits, storageKey } from "../../live_asgi_docs/browser/editing.js";

const files = [
  { name: "main.py", path: "todo/main.py", text: "app = 1\n" },
  { name: "templates/home.html", path: "todo/templates/home.html", text: "<h1>{{ title }}</h1>\n" },
];

test("edits are kept per page and app", () => {
  assert.notEqual(storageKey("/docs/a.html", "todo"), storageKey("/docs/b.html", "todo"));
  assert.notEqual(storageKey("/docs/a.html", "todo"), storageKey("/docs/a.html", "shop"));
});

test("languages by file name; HTML with template tags is Jinja", () => {
  assert.equal(languageOf("main.py", ""), "python");
  assert.equal(languageOf("a/b.HTML", "<p>"), "html");
  assert.equal(languageOf("home.html", "{% block x %}"), "jinja");
  assert.equal(languageOf("base.j2", ""), "jinja");
  assert.equal(languageOf("site.css", ""), "css");
  assert.equal(languageOf("app.mjs", ""), "javascript");
  assert.equal(languageOf("README", ""), "text");
});

test("only files that differ from the published text are kept", () => {
  const current = { "todo/main.py": "app = 2\n", "todo/templates/home.html": files[1].text, "other.py": "x" };
  assert.deepEqual(changedFiles(files, current), { "todo/main.py": "app = 2\n" });
});

test("kept edits are read back for the files the app still has, and junk is ignored", () => {
  const stored = JSON.stringify({ files: { "todo/main.py": "app = 3\n", "gone.py": "x" } });
  assert.deepEqual(readEdits(stored, files), { "todo/main.py": "app = 3\n" });
  assert.deepEqual(readEdits("{not json", files), {});
  assert.deepEqual(readEdits(null, files), {});
  assert.deepEqual(readEdits("42", files), {});
});

test("a syntax error is placed at the line Python names", () => {
  const tb = [
    "Traceback (most recent call last):",
    '  File "/home/pyodide/live_asgi_apps/todo/_live_asgi_bridge.py", line 119, in load_app',
    '  File "<frozen importlib._bootstrap>", line 1387, in _gcd_import',
    '  File "/home/pyodide/live_asgi_apps/todo/todo/main.py", line 7',
    "    def home(:",
    "             ^",
    "SyntaxError: invalid syntax",
  ].join("\n");
  assert.deepEqual(errorPlace(tb, files), { file: "main.py", line: 7 });
  assert.equal(errorPlace("ValueError: x", files), null);
});
