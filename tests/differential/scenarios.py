"""The table of request scenarios sent to uvicorn and to the bridge.

A scenario is a list of steps run in order with one cookie jar per server, so
logins and cookie round trips are scenarios too. ``apps`` says which test apps
implement it (all of them implement the contract in ``tests/apps/README.md``).

Remaining differences from uvicorn, each with its reason. The scenario that
shows one compares everything else and asserts that the difference is exactly
this:

========================  ==============================================================
scenario                  difference and reason
========================  ==============================================================
duplicate-request-header  The app sees ``x-dup: a, b`` once instead of two ``x-dup``
                          headers: a service worker reads requests through Fetch's
                          ``Headers``, which joins repeated names. A browser sends them
                          joined on the wire too, so behind a browser uvicorn sees the same.
========================  ==============================================================

Differences no response shows (so no scenario compares them):

- ``scope["client"]`` is ``("127.0.0.1", 0)``: there is no socket.
- ``scope["asgi"]["spec_version"]`` is ``"2.4"`` (uvicorn says ``"2.3"``): the bridge
  raises ``OSError`` from ``send()`` after the reader went away, as 2.4 asks, so
  Starlette does not need a task to listen for ``http.disconnect``.
- No ``Accept-Encoding`` reaches the app (a service worker cannot see it), so
  compression middleware answers uncompressed; a compressed body would not be
  decoded by the browser in a service worker's ``Response`` anyway.
- Cookies live in the bridge's jar, not the browser's: ``document.cookie`` in the app's
  page does not show the app's cookies, and cookies set by the page's script do not
  reach the app (browsers hide ``Set-Cookie`` and ``Cookie`` from service workers).
- Sync code runs inline (Pyodide has no threads): a blocking call holds the app
  instance's other requests until it returns; a background task has finished when
  ``Bridge.handle`` returns, while under uvicorn it may still be running.

Artefacts of comparing in one process (not differences of the bridge):
``cookie-path`` runs without a prefix only (uvicorn, talked to directly, sees URLs
without the prefix a proxy would strip, so cookie paths cannot agree under one), and
Django runs under the embed's prefix only (it caches its static URL prefix per
process; a page serves one prefix).

Response headers that are not compared, and why: ``harness.IGNORED_RESPONSE_HEADERS``.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .harness import Answer

ALL = frozenset({"fastapi", "starlette", "django"})
STARLETTE_LIKE = frozenset({"fastapi", "starlette"})
#: 20 MB that compress badly, the same on every run.
BIG_FILE = random.Random(20).randbytes(20 * 1024 * 1024)
BINARY = bytes(range(256)) * 64
#: Sent as UTF-8 bytes in a request header (a header's characters are its bytes).
HEADER_TEXT = "café ✓"


@dataclass(frozen=True)
class Step:
    """One request; ``data`` may be computed from the previous answer (CSRF tokens)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    data: dict[str, Any] | Callable[[Answer], dict[str, Any]] | None = None
    files: dict[str, Any] | None = None
    json: Any = None

    def request(self, base: str, previous: Answer | None) -> httpx.Request:
        """The request as a browser would send it to ``base`` (with Origin on unsafe methods)."""
        # Latin-1: a header's characters are its bytes (httpx would refuse them as ASCII).
        headers: list[tuple[str, str | bytes]] = [(k, v.encode("latin-1")) for k, v in self.headers]
        if self.method not in ("GET", "HEAD"):
            headers.append(("origin", base))
        data = self.data(previous) if callable(self.data) and previous is not None else self.data
        request = httpx.Request(
            self.method,
            base + self.path,
            headers=headers,
            content=self.content,
            data=data,
            files=self.files,
            json=self.json,
        )
        # httpx says "Content-Length: 0" on a PATCH without a body; a browser
        # does so only for POST and PUT (Fetch).
        if self.method == "PATCH" and not request.read():
            del request.headers["content-length"]
        return request


@dataclass(frozen=True)
class Scenario:
    """Steps, the apps that implement them, and a documented difference if any."""

    id: str
    steps: tuple[Step, ...]
    apps: frozenset[str] = ALL
    #: JSON keys of the echo that legitimately differ (see the module docstring).
    differing_keys: tuple[str, ...] = ()
    difference: str = ""
    #: Only without a prefix: uvicorn, talked to directly, sees URLs without
    #: the prefix a proxy would strip, so cookie paths cannot agree under one.
    root_only: bool = False


def get(path: str, *headers: tuple[str, str]) -> Step:
    return Step("GET", path, headers=headers)


def csrf(answer: Answer) -> str:
    return hidden(answer, "csrfmiddlewaretoken")


def hidden(answer: Answer, name: str) -> str:
    """The value of a page's hidden form field, as the browser posts it back."""
    marker = f'name="{name}" value="'.encode()
    start = answer.body.index(marker) + len(marker)
    return html.unescape(answer.body[start : answer.body.index(b'"', start)].decode())


SCENARIOS: list[Scenario] = [
    Scenario("get", (get("/echo/hello"),)),
    *[
        Scenario(f"method-{method.lower()}", (Step(method, f"/echo/{method.lower()}"),))
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    ],
    Scenario("query-repeated-plus-space", (get("/echo/q?a=1&a=2&b=x+y&c=x%20y&d=&e&f=%C3%A9%26"),)),
    Scenario("path-space-and-utf8", (get("/echo/hello%20w%C3%B6rld"),)),
    Scenario("path-encoded-slash", (get("/echo/a%2Fb/c"),)),
    Scenario("path-non-ascii-and-query", (get("/echo/%E2%9C%93/%F0%9F%90%8D?q=%E2%9C%93"),)),
    Scenario("path-invalid-utf8", (get("/echo/%FF%FE"),), apps=STARLETTE_LIKE),
    Scenario("trailing-slash-redirect", (get("/slash"),)),
    Scenario("trailing-slash", (get("/slash/"),)),
    Scenario("app-redirect", (get("/redirect"),)),
    Scenario("body-empty-post", (Step("POST", "/echo/empty"),)),
    Scenario("body-json", (Step("POST", "/echo/json", json={"name": "Zoë", "n": [1, 2.5, None]}),)),
    Scenario("body-urlencoded", (Step("POST", "/echo/form", data={"a": ["1", "2"], "text": "x y&z=ü"}),)),
    Scenario(
        "body-multipart",
        (
            Step(
                "POST",
                "/echo/multi",
                data={"field": "välue"},
                files={"file": ("bin.dat", BINARY, "application/octet-stream")},
            ),
        ),
    ),
    Scenario(
        "body-binary-put",
        (Step("PUT", "/echo/raw", content=BINARY, headers=(("content-type", "application/octet-stream"),)),),
    ),
    Scenario("upload-20mb-byte-exact", (Step("POST", "/upload", files={"file": ("big.bin", BIG_FILE)}),)),
    Scenario(
        "duplicate-request-header",
        (get("/echo/dup", ("x-dup", "a"), ("x-dup", "b"), ("x-custom", "c")),),
        differing_keys=("x_dup",),
        difference="Fetch's Headers joins repeated request headers: the app sees one 'x-dup: a, b'",
    ),
    Scenario("duplicate-response-headers-and-cookies", (get("/dup-headers"), get("/cookies"))),
    Scenario(
        "non-ascii-header-bytes",
        (
            get("/echo/utf8", ("x-text", HEADER_TEXT.encode().decode("latin-1"))),
            get("/echo/latin1", ("x-text", "café")),
            get("/header-bytes"),
        ),
    ),
    *[Scenario(f"status-{code}-no-body", (get(f"/status/{code}"),)) for code in (204, 205, 304)],
    Scenario("head-has-no-body", (Step("HEAD", "/etag"),)),
    Scenario(
        "etag-then-if-none-match",
        (get("/etag"), get("/etag", ("if-none-match", '"v1"')), get("/etag", ("if-none-match", '"v0"'))),
    ),
    Scenario("app-exception-500", (get("/error"),)),
    Scenario("cookie-set-and-sent-back", (get("/cookies/set?name=flavour&value=oat"), get("/cookies"))),
    Scenario("cookie-max-age", (get("/cookies/set?name=short&value=1&max_age=3600"), get("/cookies"))),
    Scenario(
        "cookie-path",
        (get("/cookies/set?name=scoped&value=1&path=/echo"), get("/cookies"), get("/echo/inside")),
        root_only=True,
    ),
    Scenario(
        "cookie-deleted",
        (get("/cookies/set?name=gone&value=1"), get("/cookies/delete?name=gone"), get("/cookies")),
    ),
    Scenario(
        "cookie-expired-by-date",
        (get("/cookies/set?name=old&value=1"), get("/cookies/expire?name=old"), get("/cookies")),
        apps=frozenset({"fastapi"}),
    ),
    Scenario(
        "session-login-logout",
        (
            get("/session"),
            Step("POST", "/session/login", data={"user": "ann"}),
            get("/session"),
            Step("POST", "/session/login", data={"user": "bob"}),
            get("/session"),
            Step("POST", "/session/logout"),
            get("/session"),
        ),
        apps=frozenset({"starlette"}),
    ),
    Scenario("fastapi-def-endpoint-and-dependency", (get("/sync"),), apps=frozenset({"fastapi"})),
    Scenario("fastapi-run-in-threadpool", (get("/threadpool"),), apps=frozenset({"fastapi"})),
    Scenario(
        "fastapi-sync-background-task",
        (Step("POST", "/background", data={"text": "later"}), get("/background")),
        apps=frozenset({"fastapi"}),
    ),
    Scenario("fastapi-streaming", (get("/stream?chunks=4&delay=0.01"),), apps=frozenset({"fastapi"})),
    Scenario("fastapi-sse", (get("/sse?events=3&delay=0.01"),), apps=frozenset({"fastapi"})),
    Scenario("fastapi-frame-busting-headers", (get("/framed"),), apps=frozenset({"fastapi"})),
    Scenario(
        "fastapi-cookie-login",
        (
            get("/"),
            Step("POST", "/login", data={"user": "zoë"}),
            get("/me"),
            get("/api/me"),
            Step("POST", "/logout"),
            get("/me"),
        ),
        apps=frozenset({"fastapi"}),
    ),
    Scenario("django-orm-sync-view", (get("/notes"),), apps=frozenset({"django"})),
    Scenario(
        "django-admin-login-add-list-logout",
        (
            get("/admin/"),
            # The login form's own next (the admin's index under the app's
            # root_path), as a reader posts it: a next written here would
            # lack the prefix and lead out of the app.
            get("/admin/login/"),
            Step(
                "POST",
                "/admin/login/",
                data=lambda prev: {
                    "csrfmiddlewaretoken": csrf(prev),
                    "username": "admin",
                    "password": "admin-password",
                    "next": hidden(prev, "next"),
                },
            ),
            get("/admin/bridge_django/note/add/"),
            Step(
                "POST",
                "/admin/bridge_django/note/add/",
                data=lambda prev: {
                    "csrfmiddlewaretoken": csrf(prev),
                    "title": "Ünïcode note",
                    "_save": "Save",
                },
            ),
            get("/admin/bridge_django/note/"),
            Step("POST", "/admin/logout/", data=lambda prev: {"csrfmiddlewaretoken": csrf(prev)}),
            get("/admin/"),
        ),
        apps=frozenset({"django"}),
    ),
    Scenario("raw-app-ok", (get("/ok"),), apps=frozenset({"raw"})),
    Scenario("raw-app-raises-before-response", (get("/raise"),), apps=frozenset({"raw"})),
    Scenario("raw-app-returns-without-response", (get("/nothing"),), apps=frozenset({"raw"})),
]

#: Where uvicorn and the bridge serve each app.
APPS: dict[str, str] = {
    "fastapi": "bridge_fastapi.main:app",
    "starlette": "bridge_starlette.main:app",
    "django": "bridge_django.asgi:application",
    "raw": "bridge_broken.main:raw",
}
#: No prefix, and the prefix an embed has (root_path + the full path).
MOUNTS: dict[str, str] = {"root": "", "prefixed": "/docs/app/demo/~t3st"}


@dataclass
class Case:
    app: str
    mount: str
    scenario: Scenario = field(repr=False)


def cases() -> list[Case]:
    return [
        Case(app, mount, s)
        for app in APPS
        for mount in MOUNTS
        for s in SCENARIOS
        if app in s.apps and not (s.root_only and MOUNTS[mount]) and (app, mount) not in SKIPPED_MOUNTS
    ]


#: Django caches its static URL with the first request's prefix (fine in a page,
#: which serves one prefix), so this process, which imports it once, serves it
#: under the embed's prefix only.
SKIPPED_MOUNTS = {("django", "root")}
