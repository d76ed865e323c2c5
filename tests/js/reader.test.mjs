// Unit tests of what the embed tells the reader: sizes, stages, paths. node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  appPath,
  downloadSize,
  escapeHtml,
  exceptionText,
  formatBytes,
  lastLine,
  normalizePath,
  progressText,
  shellPath,
} from "../../live_asgi_docs/browser/embed.js";

test("formatBytes rounds like a download dialog", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(184_320), "184 kB");
  assert.equal(formatBytes(13_413_316), "13.4 MB");
  assert.equal(formatBytes(-1), "?");
});

test("downloadSize says the size is a download, or nothing when unknown", () => {
  assert.equal(downloadSize(7_512_000), " (7.5 MB download)");
  assert.equal(downloadSize(0), "");
});

test("progressText names the stage and counts bytes against the build's total", () => {
  assert.equal(progressText("runtime", 2_600_000, 13_400_000), "Downloading the Python runtime and the app's packages: 2.6 MB of 13.4 MB");
  // Never more done than the total, even when a response is larger than foreseen.
  assert.equal(progressText("packages", 20_000_000, 13_400_000), "Installing the app's packages: 13.4 MB of 13.4 MB");
  assert.equal(progressText("runtime", 1_500, 0), "Downloading the Python runtime and the app's packages: 2 kB");
  // Counted decoded, shown as the same share of what travels (a precompressed site).
  assert.equal(progressText("runtime", 15_000_000, 7_500_000, 30_000_000), "Downloading the Python runtime and the app's packages: 3.8 MB of 7.5 MB");
  assert.equal(progressText("packages", 31_000_000, 7_500_000, 30_000_000), "Installing the app's packages: 7.5 MB of 7.5 MB");
  assert.equal(progressText("compile", 0, 0), "Starting Python and installing the app's packages…");
  assert.equal(progressText("app", 0, 0), "Starting the app…");
});

test("appPath is the frame's address without the scope and instance, or null outside it", () => {
  const scope = "http://h/docs/app/todo/";
  assert.equal(appPath(`${scope}~ab12/items?x=1#top`, scope, "ab12"), "/items?x=1#top");
  assert.equal(appPath(`${scope}~ab12`, scope, "ab12"), "/");
  assert.equal(appPath(`${scope}~ab12?q=1`, scope, "ab12"), "/?q=1");
  assert.equal(appPath(`${scope}~ab123/items`, scope, "ab12"), null);
  assert.equal(appPath("about:blank", scope, "ab12"), null);
});

test("normalizePath makes what was typed an app path", () => {
  assert.equal(normalizePath("  items?x=1 "), "/items?x=1");
  assert.equal(normalizePath("/docs"), "/docs");
  assert.equal(normalizePath(""), "/");
});

test("shellPath is the app path of an app URL opened directly", () => {
  const scope = "http://h/app/todo/";
  assert.equal(shellPath(`${scope}items/3?x=1`, scope), "/items/3?x=1");
  assert.equal(shellPath(`${scope}~0123abcd/items#x`, scope), "/items");
  assert.equal(shellPath(`${scope}~0123abcd`, scope), "/");
  assert.equal(shellPath(scope, scope), "/");
  assert.equal(shellPath(`${scope}index.html`, scope), "/");
  assert.equal(shellPath("http://h/elsewhere", scope), "/");
});

test("lastLine is the exception of a Python traceback", () => {
  const tb = 'Traceback (most recent call last):\n  File "x.py", line 1\n    raise E\nRuntimeError: no\n';
  assert.equal(lastLine(tb), "RuntimeError: no");
});

test("exceptionText gives the exception's type and its whole message, not only the last line", () => {
  // FastAPI's message when a form needs python-multipart, as Pyodide formats it.
  const tb =
    "Traceback (most recent call last):\n" +
    '  File "/lib/python3.14/site-packages/fastapi/dependencies/utils.py", line 98, in ensure_multipart_is_installed\n' +
    "    raise RuntimeError(multipart_not_installed_error) from None\n" +
    'RuntimeError: Form data requires "python-multipart" to be installed. \n' +
    'You can install "python-multipart" with: \n\npip install python-multipart\n';
  assert.equal(
    exceptionText(tb),
    'RuntimeError: Form data requires "python-multipart" to be installed. ' +
      'You can install "python-multipart" with: pip install python-multipart',
  );
});

test("exceptionText skips the source and caret lines of the last frame", () => {
  const tb =
    'Traceback (most recent call last):\n  File "<exec>", line 3, in <module>\n    import todo.main\n' +
    '  File "/home/pyodide/todo/main.py", line 1\n    app = (\n          ^\nSyntaxError: \'(\' was never closed\n';
  assert.equal(exceptionText(tb), "SyntaxError: '(' was never closed");
  assert.equal(exceptionText("ValueError: plain"), "ValueError: plain");
  assert.ok(exceptionText(`Traceback:\n  File "x"\n    y\nE: ${"x".repeat(2000)}`).length <= 600);
});

test("escapeHtml leaves no markup in a message", () => {
  assert.equal(escapeHtml(`<img src=x onerror="alert('x')"> & co`), "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; co");
  assert.equal(escapeHtml("plain text"), "plain text");
});
