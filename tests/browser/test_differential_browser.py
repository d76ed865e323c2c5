"""The differential scenarios through Chromium: service worker, worker and Pyodide against uvicorn.

Every scenario of ``tests/differential/scenarios.py`` (the CPython suite's table)
is sent twice by the same browser, with the page's own ``fetch()``:

- to the bridge: from inside each app's frame of a built docs page, so the
  request goes through the real service worker, the worker and Pyodide;
- to uvicorn: the same URL in another browser profile (no service worker), which
  the test's web server passes to ``uvicorn <app> --root-path <the embed's prefix>``
  byte for byte, as a reverse proxy that strips the prefix would.

Both answers are what a page sees (Fetch merges repeated headers and hides
``Set-Cookie``; header bytes are read as Latin-1), and must agree but for
:data:`EXPECTED_DIFFERENCES`. Cookies are compared by what the apps receive:
each side keeps its own jar (the browser's, the bridge's) over the whole run.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import sphinx_build
from differential.harness import (
    SW_INVISIBLE_HEADERS,
    Answer,
    UvicornServer,
    comparable_body,
    comparable_headers,
)
from differential.scenarios import APPS, HEADER_TEXT, SCENARIOS, Scenario

from live_asgi_docs.serve import Handler, make_server

from .helpers import APP_STARTUP_MS, app_frame

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent / "roots" / "test-differential"
#: The embed of each app in ``tests/roots/test-differential`` (its ``:name:``).
EMBEDS = {app: app for app in APPS}


@dataclass(frozen=True)
class Difference:
    """What a page sees differently from the bridge than from uvicorn, and why.

    ``part`` is ``header:<name>`` (a response header) or ``json:<key>/<key>``
    (a value in the app's JSON answer); the test asserts both values exactly,
    so a difference that goes away fails until it is taken out of the table.
    """

    scenario: str
    step: int
    part: str
    uvicorn: str
    bridge: str
    reason: str


def _latin1(text: str) -> str:
    """What a page shows of a header whose bytes are ``text`` in UTF-8."""
    return text.encode().decode("latin-1")


#: Every difference between the two answers as a page sees them, and why (the
#: headers of ``harness.IGNORED_RESPONSE_HEADERS`` are not compared at all;
#: the list is also in docs/frameworks/differences.md).
EXPECTED_DIFFERENCES = [
    Difference(
        "non-ascii-header-bytes",
        2,
        "json:headers/x-text",
        "café",
        "",
        "A request header whose bytes are not UTF-8 (here Latin-1 'é') reaches a Blink service worker "
        "as an empty value: the bytes are gone before any code of ours runs.",
    ),
    Difference(
        "non-ascii-header-bytes",
        3,
        "header:x-utf8",
        _latin1(HEADER_TEXT),
        _latin1(_latin1(HEADER_TEXT)),
        "Blink sends a service worker's response header values to the page encoded as UTF-8, and "
        "a Response only takes code points up to U+00FF: bytes whose UTF-8 reading has a character "
        "beyond (here '✓') cannot reach the page unchanged, so they arrive UTF-8-encoded once more.",
    ),
    Difference(
        "non-ascii-header-bytes",
        3,
        "header:x-latin1",
        "café",
        _latin1("café"),
        "As x-utf8: bytes that are not UTF-8 (here Latin-1 'é') arrive UTF-8-encoded.",
    ),
]

#: A page's fetch(): the answer as the page sees it, the body in base64.
FETCH = """async ([url, init, bodyUrl]) => {
  if (bodyUrl) init.body = await (await fetch(bodyUrl)).arrayBuffer();
  const response = await fetch(url, init);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return {
    status: response.status,
    url: response.url,
    redirected: response.redirected,
    headers: [...response.headers],
    body: btoa(binary),
  };
}"""


class SiteHandler(Handler):
    """The static site, and uvicorn behind a proxy at the embeds' prefixes.

    A URL under a prefix of ``server.upstreams`` goes to that app's uvicorn, with
    the prefix stripped; the docs page's requests there never reach this
    server (its service worker answers them), the reference profile's always
    do. Request bodies for the pages to send wait in ``server.bodies`` under
    ``/_differential/body/<token>``.
    """

    server: Any

    def do_GET(self) -> None:
        if self.path.startswith("/_differential/body/"):
            body = self.server.bodies.pop(self.path.rsplit("/", 1)[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
        elif not self._proxied():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._proxied():
            super().do_HEAD()

    def do_other(self) -> None:
        if not self._proxied():
            self.send_error(405)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_other

    def _proxied(self) -> bool:
        for prefix, port in self.server.upstreams.items():
            if self.path == prefix or self.path.startswith((prefix + "/", prefix + "?")):
                self._relay(self.path[len(prefix) :], port)
                return True
        return False

    def _relay(self, rest: str, port: int) -> None:
        """Pass the request to uvicorn and its answer back, byte for byte."""
        if not rest.startswith("/"):
            rest = "/" + rest
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        lines = [f"{self.command} {rest} HTTP/1.1"]
        lines += [
            f"{k}: {v}" for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")
        ]
        lines.append("Connection: close")
        with socket.create_connection(("127.0.0.1", port)) as upstream:
            upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            while chunk := upstream.recv(65536):
                self.wfile.write(chunk)
                self.wfile.flush()
        self.close_connection = True


def start_site(directory: Path) -> tuple[Any, str]:
    """The built docs as a static host serves them, plus the reference (:class:`SiteHandler`)."""
    server: Any = make_server(directory, port=0, quiet=True, handler=SiteHandler)
    server.upstreams, server.bodies = {}, {}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


#: A reader's navigation: a link followed, or a form posted (as the browser encodes it).
NAVIGATE = """([url, method, fields]) => {
  if (method === "GET") {
    location.href = url;
    return;
  }
  const form = document.createElement("form");
  form.method = "post";
  form.action = url;
  form.acceptCharset = "utf-8";
  for (const [name, value] of fields) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  (document.body || document.documentElement).append(form);
  form.submit();
}"""

#: Scenarios a reader also does by following links and posting forms: they run
#: as navigations of the app's frame too (a form post's body is the browser's).
NAVIGATIONS = frozenset(
    {
        "get",
        "query-repeated-plus-space",
        "path-space-and-utf8",
        "path-non-ascii-and-query",
        "trailing-slash-redirect",
        "app-redirect",
        "body-urlencoded",
        "app-exception-500",
        "cookie-set-and-sent-back",
        "cookie-deleted",
        "session-login-logout",
        "fastapi-def-endpoint-and-dependency",
        "fastapi-cookie-login",
        "fastapi-frame-busting-headers",
        "django-orm-sync-view",
        "django-admin-login-add-list-logout",
        "raw-app-ok",
        "raw-app-raises-before-response",
    }
)


@dataclass
class Side:
    """Where one server's answers are fetched from: a page and the app's URL prefix."""

    where: Any  # a Playwright Page or Frame
    prefix: str  # absolute, e.g. http://127.0.0.1:8000/app/fastapi/~abc

    def send(self, site: Any, request: Any) -> Answer:
        """``request`` (an httpx.Request) sent by the page's fetch()."""
        headers = [
            [k.decode("latin-1"), v.decode("latin-1")]
            for k, v in request.headers.raw
            if k.decode("latin-1").lower() not in SW_INVISIBLE_HEADERS
        ]
        body = request.read()
        body_url = None
        if body:
            token = secrets.token_hex(8)
            site.bodies[token] = body
            body_url = f"/_differential/body/{token}"
        init = {"method": request.method, "headers": headers, "cache": "no-store"}
        got = self.where.evaluate(FETCH, [str(request.url), init, body_url])
        answer = Answer(got["status"], [tuple(h) for h in got["headers"]], base64.b64decode(got["body"]))
        answer.url = got["url"].removeprefix(self.prefix)  # type: ignore[attr-defined]
        answer.redirected = got["redirected"]  # type: ignore[attr-defined]
        return answer

    def navigate(self, method: str, url: str, fields: list[tuple[str, str]]) -> Answer:
        """A navigation of the page (or frame) to ``url``: what the reader's browser loaded."""
        with self.where.expect_navigation() as navigation:
            self.where.evaluate(NAVIGATE, [url, method, fields])
        response = navigation.value
        answer = Answer(response.status, [], response.body())
        answer.url = response.url.removeprefix(self.prefix)  # type: ignore[attr-defined]
        # Whether a redirect was followed, and what the document is.
        answer.redirected = response.request.redirected_from is not None  # type: ignore[attr-defined]
        answer.headers = [("content-type", self.where.evaluate("document.contentType"))]
        answer.navigated = True  # type: ignore[attr-defined]
        return answer


@dataclass
class Pair:
    reference: Side
    bridge: Side


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    out = tmp_path_factory.mktemp("differential-site")
    proc = sphinx_build(ROOT, out, "-W")
    assert proc.returncode == 0, proc.stderr
    server, url = start_site(out)
    yield server, url
    server.shutdown()
    server.server_close()


class Pairs:
    """The docs page with every app's embed, and the reference profile.

    Each app starts once, when its first test asks for it (its embed's
    button, as a reader clicks it), with its uvicorn under the same prefix.
    """

    def __init__(self, browser: Any, server: Any, origin: str, tmp: Path) -> None:
        self.server, self.origin, self.tmp = server, origin, tmp
        self.browser = browser
        self.docs = browser.new_context()
        self.docs.set_default_timeout(60_000)
        #: A profile per app for uvicorn: the bridge keeps a cookie jar per app
        #: instance, where a browser shares Path=/ cookies across its origin.
        self.references: list[Any] = []
        self.page = self.docs.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(origin + "/index.html")
        self.pairs: dict[str, Pair] = {}
        #: Why an app did not start: its other tests fail at once.
        self.failed: dict[str, str] = {}
        self.uvicorns: list[UvicornServer] = []

    def get(self, app: str) -> Pair:
        if app in self.failed:
            pytest.fail(self.failed[app])
        if app not in self.pairs:
            try:
                self.pairs[app] = self._start(app)
            except AssertionError as exc:
                self.failed[app] = str(exc)
                raise
        return self.pairs[app]

    def _start(self, app: str) -> Pair:
        index = list(EMBEDS).index(app)
        embed = self.page.locator(".live-asgi").nth(index)
        embed.locator(".live-asgi-action").click()
        started = time.monotonic()
        try:
            self.page.wait_for_function(
                "i => document.querySelectorAll('.live-asgi')[i].dataset.state === 'running'",
                arg=index,
                timeout=APP_STARTUP_MS,
            )
        except Exception as exc:
            raise AssertionError(
                f"{app} did not start: {embed.inner_text()!r}; errors: {self.errors}"
            ) from exc
        print(f"{app}: started in the browser in {time.monotonic() - started:.1f} s")
        frame = app_frame(self.page, index)
        match = re.match(rf"{re.escape(self.origin)}(/app/{EMBEDS[app]}/~[a-z0-9]+)", frame.url)
        assert match, frame.url
        root_path = match[1]
        uvicorn = UvicornServer(APPS[app], root_path, {"BRIDGE_DJANGO_DB": str(self.tmp / f"{app}.sqlite3")})
        self.uvicorns.append(uvicorn)
        self.server.upstreams[root_path] = uvicorn.port
        reference = self.browser.new_context()
        reference.set_default_timeout(60_000)
        self.references.append(reference)
        reference_page = reference.new_page()
        reference_page.goto(frame.url)
        prefix = self.origin + root_path
        return Pair(Side(reference_page, prefix), Side(frame, prefix))

    def close(self) -> None:
        self.docs.close()
        for reference in self.references:
            reference.close()
        for uvicorn in self.uvicorns:
            uvicorn.close()


@pytest.fixture(scope="module")
def pairs(browser: Any, site: tuple[Any, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairs]:
    running = Pairs(browser, *site, tmp_path_factory.mktemp("differential-uvicorn"))
    yield running
    running.close()


def browser_cases() -> list[tuple[str, Scenario]]:
    """Every scenario of every app that implements it: all run under the embed's prefix."""
    return [(app, s) for app in EMBEDS for s in SCENARIOS if app in s.apps]


@pytest.mark.parametrize(
    ("app", "scenario"), browser_cases(), ids=lambda x: x if isinstance(x, str) else x.id
)
def test_the_browser_path_answers_like_uvicorn(
    pairs: Pairs, site: tuple[Any, str], app: str, scenario: Scenario
) -> None:
    """The scenario's requests made by the page's fetch()."""
    run(pairs.get(app), site[0], app, scenario, navigate=False)


@pytest.mark.parametrize(
    ("app", "scenario"),
    [(a, s) for a, s in browser_cases() if s.id in NAVIGATIONS],
    ids=lambda x: x if isinstance(x, str) else x.id,
)
def test_navigating_the_app_frame_shows_what_uvicorn_serves(
    pairs: Pairs, site: tuple[Any, str], app: str, scenario: Scenario
) -> None:
    """The scenario as a reader does it: links followed and forms posted in the app's frame."""
    run(pairs.get(app), site[0], app, scenario, navigate=True)


def run(pair: Pair, server: Any, app: str, scenario: Scenario, *, navigate: bool) -> None:
    previous: tuple[Answer, Answer] | None = None
    for number, step in enumerate(scenario.steps, 1):
        request = step.request(pair.reference.prefix, previous[0] if previous else None)
        request.read()
        if callable(step.data):  # made from each side's own previous answer (a CSRF token)
            bridge_request = step.request(pair.bridge.prefix, previous[1] if previous else None)
        else:  # the very same bytes (a multipart boundary is random)
            bridge_request = request
        if navigate:
            reference = pair.reference.navigate(step.method, str(request.url), form_fields(step, previous, 0))
        else:
            reference = pair.reference.send(server, request)
        if navigate:
            bridged = pair.bridge.navigate(
                step.method, str(bridge_request.url), form_fields(step, previous, 1)
            )
        else:
            bridged = pair.bridge.send(server, bridge_request)
        try:
            compare(reference, bridged, scenario.id, number, app)
        except AssertionError as exc:
            raise AssertionError(
                f"step {number} ({step.method} {step.path}) differs:\n  uvicorn: {reference.status} "
                f"{reference.headers} {reference.body[:300]!r}\n  bridge:  {bridged.status} "
                f"{bridged.headers} {bridged.body[:300]!r}{json_difference(reference.body, bridged.body)}"
            ) from exc
        previous = (reference, bridged)


def without_injected_script(bridged: bytes, reference: bytes) -> bytes:
    """A page the reader navigated to, without the one script the service worker put in.

    The service worker gives every HTML page of the app a WebSocket that
    reaches the app (a service worker sees no WebSocket traffic): one
    ``<script>`` element before the page's first script. Anything else that
    differs stays in the body and fails the comparison.
    """
    differ = next(
        (i for i, (a, b) in enumerate(zip(bridged, reference, strict=False)) if a != b), len(reference)
    )
    # The tag starts at the last "<" the two have in common (or where they part).
    at = bridged.rfind(b"<", 0, differ + 1)
    assert at >= 0 and bridged[at:].startswith(b"<script>"), (
        "the page has no script the service worker put in"
    )
    end = bridged.index(b"</script>", at) + len(b"</script>")
    return bridged[:at] + bridged[end:]


def json_difference(reference: bytes, bridged: bytes) -> str:
    """The keys of two JSON objects that differ, for the failure message."""
    try:
        ref, got = json.loads(reference), json.loads(bridged)
    except ValueError:
        return ""
    if not isinstance(ref, dict) or not isinstance(got, dict):
        return ""
    keys = sorted(k for k in ref.keys() | got.keys() if ref.get(k) != got.get(k))
    return "".join(f"\n  {k}: uvicorn {ref.get(k)!r}, bridge {got.get(k)!r}" for k in keys)


def form_fields(step: Any, previous: tuple[Answer, Answer] | None, side: int) -> list[tuple[str, str]]:
    """The fields of a step's form (from that side's previous answer, for a CSRF token)."""
    data = step.data(previous[side]) if callable(step.data) and previous else step.data
    assert not (step.files or step.json or step.content or step.headers), f"{step} is not a navigation"
    return [
        (k, v)
        for k, values in (data or {}).items()
        for v in (values if isinstance(values, list) else [values])
    ]


def compare(reference: Answer, bridged: Answer, scenario: str, step: int, app: str) -> None:
    """Status, final URL, headers and body the same, but for the expected differences."""
    assert bridged.status == reference.status
    assert (bridged.url, bridged.redirected) == (reference.url, reference.redirected)  # type: ignore[attr-defined]
    ref_headers, got_headers = comparable_headers(reference), comparable_headers(bridged)
    ref_body, got_body = comparable_body(reference.body), comparable_body(bridged.body)
    if getattr(bridged, "navigated", False) and dict(bridged.headers).get("content-type") == "text/html":
        got_body = without_injected_script(got_body, ref_body)
    expected = [d for d in EXPECTED_DIFFERENCES if (d.scenario, d.step) == (scenario, step)]
    ref_json = got_json = None
    for difference in expected:
        kind, _, name = difference.part.partition(":")
        if kind == "header":
            assert (dict(ref_headers)[name], dict(got_headers)[name]) == (
                difference.uvicorn,
                difference.bridge,
            )
            ref_headers = [h for h in ref_headers if h[0] != name]
            got_headers = [h for h in got_headers if h[0] != name]
        else:
            if ref_json is None:
                ref_json, got_json = json.loads(ref_body), json.loads(got_body)
            *path, key = name.split("/")
            ref_at, got_at = ref_json, got_json
            for part in path:
                ref_at, got_at = ref_at[part], got_at[part]
            # Starlette's headers.getlist gives a list, Django's headers.get a value.
            ref_value, got_value = ref_at.pop(key), got_at.pop(key)
            if isinstance(ref_value, list):
                ref_value, got_value = ref_value[0], got_value[0]
            assert (ref_value, got_value) == (difference.uvicorn, difference.bridge)
    if ref_json is not None:  # the JSON's length differs with it
        ref_headers = [h for h in ref_headers if h[0] != "content-length"]
        got_headers = [h for h in got_headers if h[0] != "content-length"]
        assert got_json == ref_json
    else:
        assert got_body == ref_body
    assert got_headers == ref_headers


def test_every_scenario_of_the_cpython_suite_runs_in_the_browser() -> None:
    from differential.scenarios import cases

    ran = {(c.app, c.scenario.id) for c in cases() if c.app in EMBEDS}
    assert ran and ran <= {(a, s.id) for a, s in browser_cases()}
