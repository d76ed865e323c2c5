// Unit tests of the page loader's pure helpers: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { appUrl, failureText, instanceId } from "../../live_asgi_docs/browser/embed.js";

test("instance ids are url-safe, 12 hex digits, and differ", () => {
  const ids = new Set(Array.from({ length: 200 }, instanceId));
  assert.equal(ids.size, 200);
  for (const id of ids) assert.match(id, /^[0-9a-f]{12}$/);
});

test("appUrl puts the instance segment between the scope and the app path", () => {
  assert.equal(appUrl("http://h/docs/app/todo/", "abc", "/items?x=1"), "http://h/docs/app/todo/~abc/items?x=1");
  assert.equal(appUrl("http://h/app/todo/", "abc", "/"), "http://h/app/todo/~abc/");
  assert.equal(appUrl("http://h/app/todo/", "abc", "items"), "http://h/app/todo/~abc/items");
});

const win = (protocol, hostname, secure, sw = true) => ({
  location: { protocol, hostname },
  isSecureContext: secure,
  navigator: sw ? { serviceWorker: {} } : {},
});

test("failureText says why a page cannot run live apps", () => {
  assert.equal(failureText(win("https:", "docs.example.org", true)), "");
  assert.equal(failureText(win("http:", "127.0.0.1", true)), "");
  assert.match(failureText(win("file:", "", false)), /file:\/\/.*http\.server/);
  assert.match(failureText(win("http:", "intranet", false)), /plain http from intranet/);
  assert.match(failureText(win("https:", "docs.example.org", true, false)), /private/);
});
