// Unit tests of the protocol module's URL layout and settings readers: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { appUrl, parseAppUrl, readEmbedConfig, readManifest } from "../../live_asgi_docs/browser/protocol.js";

const scope = "http://h/docs/app/todo/";

test("parseAppUrl finds the instance, the ASGI root path and the app path", () => {
  assert.deepEqual(parseAppUrl(`${scope}~ab12/items?x=1`, scope), {
    instance: "ab12",
    rootPath: "/docs/app/todo/~ab12",
    path: "/items?x=1",
  });
  assert.equal(parseAppUrl(`${scope}~ab12`, scope)?.path, "/");
  assert.equal(parseAppUrl(`${scope}~ab12?q=1`, scope)?.path, "/?q=1");
  // A fragment ends the instance segment as a query or a path does.
  assert.equal(parseAppUrl(`${scope}~ab12#top`, scope)?.path, "/#top");
  assert.equal(parseAppUrl(`${scope}~ab12x-y/`, scope), null);
  assert.equal(parseAppUrl(`${scope}items`, scope), null);
  assert.equal(parseAppUrl("http://h/elsewhere/~ab12/", scope), null);
});

test("appUrl and parseAppUrl are inverses", () => {
  for (const path of ["/", "/items?x=1", "/a/b#c"]) {
    assert.equal(parseAppUrl(appUrl(scope, "0f0f", path), scope)?.path, path);
  }
});

const config = {
  name: "todo", path: "/", height: "480px", autostart: "visible", download: 123, root: "../",
  scope: "app/todo/", sw: "app/live-asgi-sw.js", assets: "../_static/_live_asgi/", runtime: "pyodide/",
  manifest: "apps/todo/manifest.json",
};

test("readEmbedConfig takes complete settings and names what is missing or mistyped", () => {
  assert.deepEqual(readEmbedConfig(JSON.stringify(config)), config);
  assert.deepEqual(readEmbedConfig(JSON.stringify({ ...config, full: true })), { ...config, full: true });
  const { scope: _, ...noScope } = config;
  assert.throws(() => readEmbedConfig(JSON.stringify(noScope)), /has no "scope"/);
  assert.throws(() => readEmbedConfig(JSON.stringify({ ...config, download: "1" })), /"download" is not a number/);
  assert.throws(() => readEmbedConfig("[]"), /not a JSON object/);
});

test("readManifest checks the list of packages", () => {
  const manifest = {
    name: "t", target: "t:app", bundle: "a.zip", lock: "l.json", packages: ["x"], wheels: "w/", debug: false,
    site_packages: "/lib/python3.14/site-packages", bridge_imports: ["asyncio"],
  };
  assert.deepEqual(readManifest(manifest), manifest);
  assert.throws(() => readManifest({ ...manifest, packages: [1] }), /"packages" is not a string\[\]/);
});
