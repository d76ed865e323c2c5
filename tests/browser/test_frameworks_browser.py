"""Apps of other frameworks, written as their docs write them, in real Chromium.

``tests/roots/test-compat``: Flask served as WSGI (detected), the same app wrapped
by a2wsgi (its worker thread waits on the event loop: Pyodide's run_sync), Datasette
with the documented recipe, Quart. Each app boots once per module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import sphinx_build

from .helpers import app_frame, instance_url, open_embed, wait_frame_text

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent / "roots" / "test-compat"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory, pyodide_distribution: Path, serve: Any) -> str:
    out = tmp_path_factory.mktemp("compat-site")
    proc = sphinx_build(ROOT, out, "-W", "-D", f"live_asgi_pyodide_packages={pyodide_distribution}")
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))


def home(page: Any) -> Any:
    frame = app_frame(page)
    frame.goto(instance_url(frame) + "/")
    return frame


@pytest.fixture(scope="module")
def flask_page(shared_context: Any, site_url: str) -> Any:
    return open_embed(shared_context, site_url + "index.html")


@pytest.fixture(scope="module")
def a2wsgi_page(shared_context: Any, site_url: str) -> Any:
    return open_embed(shared_context, site_url + "a2wsgi.html")


STREAM = """async (url) => {
  const response = await fetch(url);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "", reads = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads += 1;
    text += decoder.decode(value);
  }
  return { text, reads, length: response.headers.get("content-length") };
}"""


def sign_in_and_add_a_note(frame: Any, site_url: str, name: str) -> None:
    wait_frame_text(frame, "h1", "Flask notes")
    assert "Not signed in" in frame.inner_text("#who")
    frame.fill("#login input[name=user]", name)
    frame.click("#login button")
    # Redirected by url_for to the app's home, inside the mount prefix; the
    # flashed message and the user come from the session cookie.
    wait_frame_text(frame, "#who", f"Signed in as {name}")
    assert f"Welcome, {name}!" in frame.inner_text("body")
    assert frame.url.startswith(site_url + "app/") and frame.url.endswith("/")
    frame.fill("#add input[name=note]", "written in a Flask form")
    frame.click("#add button")
    wait_frame_text(frame, "#notes", "written in a Flask form")
    assert "Welcome" not in frame.inner_text("body")  # flashed once only


def test_flask_forms_sessions_redirects_and_url_for(flask_page: Any, site_url: str) -> None:
    frame = home(flask_page)
    sign_in_and_add_a_note(frame, site_url, "zoë")
    where = frame.evaluate("fetch('where').then(r => r.json())")
    root = instance_url(frame).removeprefix(site_url.rstrip("/"))
    assert where["script_root"] == root
    assert where["index"] == root + "/"
    assert where["external"] == instance_url(frame) + "/"
    # The stylesheet url_for points at is served (Flask's static route).
    css = frame.evaluate("(u) => fetch(u).then(async r => [r.status, await r.text()])", where["static"])
    assert css[0] == 200 and ".flash" in css[1]
    frame.click("#logout button")
    wait_frame_text(frame, "#who", "Not signed in")


def test_a_flask_stream_arrives_whole_without_a_length(flask_page: Any) -> None:
    frame = home(flask_page)
    got = frame.evaluate(STREAM, "stream?lines=50")
    assert got["text"] == "".join(f"line {i} of 50\n" for i in range(50))
    assert got["length"] is None  # streamed: no Content-Length, as from a server


def test_a_thread_the_app_starts_is_explained_in_the_frame(flask_page: Any) -> None:
    frame = home(flask_page)
    wait_frame_text(frame, "h1", "Flask notes")
    frame.click("#send button")
    wait_frame_text(frame, "body", "The app tried to start a thread")
    text = frame.inner_text("body")
    assert "compat_flask.app.send_later" in text and "compat_flask.app.deliver" in text
    # The app goes on serving.
    frame.goto(instance_url(frame) + "/")
    wait_frame_text(frame, "h1", "Flask notes")


def test_flask_wrapped_by_a2wsgi_works_and_streams(a2wsgi_page: Any, site_url: str) -> None:
    frame = home(a2wsgi_page)
    sign_in_and_add_a_note(frame, site_url, "ada")
    # Past a2wsgi's queue of 10 messages its worker waits for the event loop:
    # Pyodide suspends it while the loop sends (run_sync), as a thread would wait.
    got = frame.evaluate(STREAM, "stream?lines=40")
    assert got["text"] == "".join(f"line {i} of 40\n" for i in range(40))


def test_datasette_browses_a_table_runs_sql_and_answers_json(context: Any, site_url: str) -> None:
    page = open_embed(context, site_url + "datasette.html")
    frame = app_frame(page)
    # The first page (:path: /birds/birds): a table of the bundled database.
    wait_frame_text(frame, "body", "Heron")
    assert "4 rows" in frame.inner_text("body")
    # A row page, through Datasette's own link (base_url = the mount prefix).
    frame.click("a[href$='/birds/birds/2']")
    # The table shows 185 too: wait for the row page itself before going on.
    frame.wait_for_url(re.compile(r"/birds/birds/2$"))
    wait_frame_text(frame, "body", "185")
    # A SQL query, at the address its form submits to (the form's editor is CodeMirror).
    sql = "select name from birds where wingspan_cm > 40 order by name"
    frame.goto(instance_url(frame) + "/birds?" + urlencode({"sql": sql}))
    wait_frame_text(frame, "table.rows-and-columns", "Swift")
    assert frame.locator("table.rows-and-columns td").all_inner_texts() == ["Heron", "Swift"]
    # The JSON API, from the page's own fetch().
    api = frame.evaluate("fetch('birds/birds.json?_shape=array').then(r => r.json())")
    assert [row["name"] for row in api] == ["Wren", "Heron", "Swift", "Robin"]


def test_quart_forms_sessions_and_json(context: Any, site_url: str) -> None:
    page = open_embed(context, site_url + "quart.html")
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Quart guestbook")
    frame.fill("#sign input[name=name]", "Grace")
    frame.click("#sign button")
    wait_frame_text(frame, "#names", "Grace")
    # url_for's link, followed by the page's own fetch(): the session holds, the prefix is root_path.
    api = frame.evaluate("fetch(document.querySelector('#api-link a').href).then(r => r.json())")
    assert api["names"] == ["Grace"]
    assert instance_url(frame) == site_url.rstrip("/") + api["root_path"]
