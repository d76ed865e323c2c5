"""Memory snapshots in headless Chromium.

Made after a first visit, used by the next, discarded when corrupt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from .helpers import app_frame, open_embed, wait_frame_text

pytestmark = pytest.mark.browser

SNAPSHOT_SAVED_MS = 180_000
STORED = """async () => {
  const cache = await caches.open('live-asgi-snapshots');
  return (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
}"""
CORRUPT = """async () => {
  const cache = await caches.open('live-asgi-snapshots');
  for (const request of await cache.keys()) {
    if (!request.url.endsWith('.bin')) continue;
    const bytes = new Uint8Array(await (await cache.match(request)).arrayBuffer());
    bytes[bytes.length >> 1] ^= 0xff;
    await cache.put(request, new Response(bytes));
  }
}"""


@pytest.fixture(scope="module")
def site_url(sample_sphinx_site: Path, serve: Any) -> str:
    return serve(sample_sphinx_site)


def visit(context: Any, url: str) -> tuple[Any, list[str]]:
    """Open the page, wait for the app, check it answers, return the page and its console."""
    messages: list[str] = []
    context.on("console", lambda msg: messages.append(msg.text))
    page = open_embed(context, url)
    frame = app_frame(page)
    frame.click("#items-link")
    wait_frame_text(frame, "h1", "Items")
    assert "Read the docs" in frame.inner_text("#items")
    return page, messages


def wait_for_snapshot(page: Any) -> list[str]:
    """Wait until the app's worker says the snapshot is stored (record + memory); return its keys."""
    saved = page.locator(".live-asgi")
    try:
        page.wait_for_function(
            "document.querySelector('.live-asgi').dataset.snapshot", timeout=SNAPSHOT_SAVED_MS
        )
    except Exception as exc:
        raise AssertionError(
            f"no snapshot stored after {SNAPSHOT_SAVED_MS} ms: {page.evaluate(STORED)}"
        ) from exc
    assert saved.get_attribute("data-snapshot") == "saved", page.evaluate(STORED)
    keys: list[str] = page.evaluate(STORED)
    assert len(keys) == 2, keys
    return keys


#: Records, in order, the embed's state changes and the snapshot's being stored.
WATCH_EMBED = """new MutationObserver((changes) => {
  for (const change of changes) {
    const el = change.target;
    (window.embedEvents ??= []).push(`${change.attributeName}=${el.getAttribute(change.attributeName)}`);
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-state', 'data-snapshot']});"""


def test_second_visit_starts_from_the_snapshot_and_the_app_works(context: Any, site_url: str) -> None:
    context.add_init_script(WATCH_EMBED)
    page, first = visit(context, site_url + "index.html")
    assert not any("started from a snapshot" in m for m in first)
    keys = wait_for_snapshot(page)
    assert [k.rsplit(".", 1)[1] for k in keys] == ["bin", "json"]
    # Stored once the app's page is shown: its storing (tens of MB packed and hashed on the
    # app's thread) does not hold up the app's startup or its first page.
    events = page.evaluate("window.embedEvents")
    assert events.index("data-snapshot=saved") > events.index("data-state=running"), events
    page.close()

    page, second = visit(context, site_url + "index.html")
    # The app's module is in the snapshot: it is not imported again.
    assert any("todo started from a snapshot with the app imported" in m for m in second), second
    # pydantic_core (a compiled extension) validates the form: the restored app really works.
    frame = app_frame(page)
    frame.fill("input[name=title]", "Restored")
    frame.click("form button")
    wait_frame_text(frame, "#items", "Restored")


def test_a_corrupt_snapshot_is_discarded_and_the_app_starts_normally(context: Any, site_url: str) -> None:
    page, _ = visit(context, site_url + "index.html")
    wait_for_snapshot(page)
    page.evaluate(CORRUPT)
    page.close()

    page, messages = visit(context, site_url + "index.html")
    assert not any("started from a snapshot" in m for m in messages), messages
    assert any("discarding the stored snapshot: Error: corrupt" in m for m in messages), messages


EARLIER_DEPLOYS = """async (paths) => {
  const cache = await caches.open('live-asgi-snapshots');
  for (const path of paths) await cache.put(path, new Response(new Uint8Array(1 << 20)));
}"""


def test_a_new_snapshot_replaces_what_earlier_deploys_left(context: Any, site_url: str) -> None:
    # What a reader of a site that redeploys has in Cache Storage: this app's
    # snapshot of an earlier deploy, and one in the previous release's format.
    manifest = site_url + "_static/_live_asgi/apps/todo/manifest.json"
    app = hashlib.sha256(manifest.encode()).hexdigest()[:16]
    earlier = [f"/live-asgi-snapshot/5-{app}-{'0' * 64}.json", f"/live-asgi-snapshot/5-{app}-{'0' * 64}.bin"]
    legacy = [f"/live-asgi-snapshot/1-{'a' * 64}.bin", f"/live-asgi-snapshot/4-{app}-{'0' * 64}.bin"]
    page = context.new_page()
    page.goto(manifest)
    page.evaluate(EARLIER_DEPLOYS, earlier + legacy)
    assert len(page.evaluate(STORED)) == 4
    page.close()

    page, _ = visit(context, site_url + "index.html")
    keys = wait_for_snapshot(page)
    # Only this deploy's snapshot (record and memory) is left.
    assert len(keys) == 2 and not set(keys) & set(earlier + legacy), keys
    assert all(k.startswith(f"/live-asgi-snapshot/5-{app}-") for k in keys), keys
