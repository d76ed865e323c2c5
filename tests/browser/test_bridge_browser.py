"""What only a browser shows of the bridge: streaming, cookies, a Django admin login, uploads, frames.

The apps are those of the differential suite (``tests/apps``), embedded in the
docs project ``tests/roots/test-bridge``. Each app boots once per module: the
tests of one app share its page.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import APP_STARTUP_MS, app_frame, instance_url, open_embed, wait_frame_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(bridge_site_url: str) -> str:
    return bridge_site_url


@pytest.fixture(scope="module")
def fastapi_page(bridge_context: Any, site_url: str) -> Iterator[Any]:
    """The FastAPI app's docs page, booted once for this module."""
    page = open_embed(bridge_context, site_url + "index.html")
    yield page
    page.close()


@pytest.fixture
def frame(fastapi_page: Any) -> Any:
    """The FastAPI app's frame, back at its home page."""
    frame = app_frame(fastapi_page)
    frame.goto(instance_url(frame) + "/")
    wait_frame_text(frame, "h1", "Bridge test app")
    return frame


# Times (performance.now()) at which each chunk of a response reached the page.
READ_CHUNK_TIMES = """async (url) => {
  const start = performance.now();
  const response = await fetch(url);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push({ t: performance.now() - start, text: decoder.decode(value) });
  }
  return chunks;
}"""

SSE_EVENT_TIMES = """(url) => new Promise((resolve, reject) => {
  const start = performance.now();
  const events = [];
  const source = new EventSource(url);
  source.onmessage = (event) => {
    events.push({ t: performance.now() - start, data: event.data, id: event.lastEventId });
    if (events.length === 4) { source.close(); resolve(events); }
  };
  source.onerror = () => { if (events.length < 4) { source.close(); reject(new Error("SSE failed")); } };
})"""


def test_a_streaming_response_arrives_chunk_by_chunk(frame: Any) -> None:
    # The app sleeps 0.5 s after each of its 5 chunks: 2 s between first and last.
    chunks = frame.evaluate(READ_CHUNK_TIMES, "stream?chunks=5&delay=0.5")
    assert "".join(c["text"] for c in chunks) == "".join(f"chunk {i}\n" for i in range(5))
    first = next(c["t"] for c in chunks if c["text"])
    last = chunks[-1]["t"]
    assert len(chunks) >= 3, chunks
    # Buffered, the first chunk would arrive with the last one.
    assert last - first > 1500, chunks
    print(f"stream: first chunk at {first:.0f} ms, last at {last:.0f} ms, {len(chunks)} reads")


def test_server_sent_events_arrive_one_by_one(frame: Any) -> None:
    events = frame.evaluate(SSE_EVENT_TIMES, "sse?events=4&delay=0.5")
    assert [e["data"] for e in events] == [f"event {i}" for i in range(4)]
    assert [e["id"] for e in events] == ["0", "1", "2", "3"]
    assert events[-1]["t"] - events[0]["t"] > 1000, events
    print(f"sse: first event at {events[0]['t']:.0f} ms, last at {events[-1]['t']:.0f} ms")


def test_a_cookie_login_holds_across_navigations_form_posts_and_fetch(frame: Any) -> None:
    frame.fill("#login input[name=user]", "zoë")
    frame.click("#login button")
    wait_frame_text(frame, "#who", "logged in as zoë")
    # A later navigation (a link) sends the cookie back.
    frame.click("#home")
    wait_frame_text(frame, "h1", "Bridge test app")
    frame.click("#me-link")
    wait_frame_text(frame, "#who", "logged in as zoë")
    # So does the page's own fetch().
    assert frame.evaluate("fetch('api/me').then(r => r.json())") == {"user": "zoë"}
    # HttpOnly, as the app said: the page's script does not see it.
    assert "user=" not in frame.evaluate("document.cookie")
    frame.click("#logout")
    wait_frame_text(frame, "#who", "nobody")
    assert frame.evaluate("fetch('api/me').then(r => r.json())") == {"user": None}


def test_a_20_mb_upload_arrives_byte_exact(frame: Any) -> None:
    result = frame.evaluate("""async () => {
      const data = new Uint8Array(20 * 1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >> 13)) & 255;
      const digest = await crypto.subtle.digest("SHA-256", data);
      const sent = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
      const form = new FormData();
      form.append("file", new Blob([data]), "big.bin");
      const posted = performance.now();
      const response = await fetch("upload", { method: "POST", body: form });
      const got = await response.json();
      return { sent, status: response.status, got, ms: performance.now() - posted };
    }""")
    assert result["status"] == 200
    assert result["got"] == {"filename": "big.bin", "size": 20 * 1024 * 1024, "sha256": result["sent"]}
    print(f"upload: 20 MB posted and hashed by the app in {result['ms']:.0f} ms")


def test_a_page_that_forbids_framing_still_shows(frame: Any) -> None:
    frame.goto(instance_url(frame) + "/framed")
    wait_frame_text(frame, "#framed", "Shown although the app forbids frames")


def test_def_endpoints_dependencies_and_sync_background_tasks_work(frame: Any) -> None:
    sync = frame.evaluate("fetch('sync').then(r => r.json())")
    assert sync == {"endpoint": "def", "dependency": "def dependency"}
    assert frame.evaluate("fetch('threadpool').then(r => r.json())") == {"sum": 6}
    queued = frame.evaluate(
        "fetch('background', {method: 'POST', body: new URLSearchParams({text: 'later'})})"
        ".then(r => r.json())"
    )
    assert queued == {"queued": "later"}
    assert frame.evaluate("fetch('background').then(r => r.json())") == ["later"]
    # And as a page the reader navigates to.
    frame.goto(instance_url(frame) + "/sync")
    wait_frame_text(frame, "body", '"endpoint":"def"')


def test_the_django_admin_logs_in_adds_an_object_lists_it_and_logs_out(context: Any, site_url: str) -> None:
    page = open_embed(context, site_url + "django.html")
    frame = app_frame(page)
    # /admin/ redirected to the login form (Django's own redirect, inside the prefix).
    wait_frame_text(frame, "body", "Username")
    assert "/admin/login/" in frame.url
    frame.fill("#id_username", "admin")
    frame.fill("#id_password", "admin-password")
    started = time.monotonic()
    frame.click("input[type=submit]")
    # The password hash (PBKDF2, Django's default) is computed in pure Python.
    wait_frame_text(frame, "body", "Site administration", timeout=APP_STARTUP_MS)
    print(f"django: login (PBKDF2 in pure Python) took {time.monotonic() - started:.1f} s")
    frame.click("a[href$='/admin/bridge_django/note/add/']")
    wait_frame_text(frame, "body", "Add note")
    frame.fill("#id_title", "Written in the browser")
    frame.click("input[name=_save]")
    wait_frame_text(frame, "#result_list", "Written in the browser")
    assert "was added successfully" in frame.inner_text("body")
    frame.click("#logout-form button")
    wait_frame_text(frame, "body", "Logged out")
    frame.goto(instance_url(frame) + "/admin/")
    wait_frame_text(frame, "body", "Username")


def test_a_failed_startup_is_shown_to_the_reader(context: Any, site_url: str) -> None:
    page = context.new_page()
    page.goto(site_url + "broken.html")
    page.wait_for_selector(".live-asgi [data-kind=error]", timeout=APP_STARTUP_MS)
    message = page.inner_text(".live-asgi .live-asgi-status")
    assert "could not start" in message
    assert "its startup failed: the database is unreachable (on purpose)" in message
    assert "Traceback" not in message
    assert page.locator(".live-asgi iframe").is_hidden()


def test_an_answer_the_browser_refuses_gets_a_page_that_says_why(frame: Any) -> None:
    # Status 999 is fine to Python but no browser Response can carry it: the
    # reader's fetch() gets an answer saying so, not a request pending for ever.
    answer = frame.evaluate("fetch('status/999').then(async r => ({status: r.status, text: await r.text()}))")
    text = html.unescape(answer["text"])
    assert answer["status"] == 502
    assert "<h1>The browser refused the app's answer</h1>" in text
    assert "answered GET /" in text and "/status/999 with a response no browser accepts" in text
    # The app goes on answering.
    assert frame.evaluate("fetch('status/201').then(r => r.status)") == 201
