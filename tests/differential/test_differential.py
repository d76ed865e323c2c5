"""Every scenario through uvicorn and through the bridge: same status, headers, body and cookies.

See ``scenarios.py`` for the table and the remaining differences, and
``harness.py`` for the headers that are not compared and why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_asgi_docs import pyodide_compat

from .harness import (
    APPS_DIR,
    Answer,
    BridgeServer,
    UvicornServer,
    comparable_body,
    comparable_cookies,
    comparable_headers,
)
from .scenarios import APPS, MOUNTS, Case, cases


class Servers:
    """One uvicorn and one bridge per (app, mount); only the current pair runs."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.key: tuple[str, str] | None = None
        self.pair: tuple[UvicornServer, BridgeServer] | None = None

    def get(self, app: str, mount: str) -> tuple[UvicornServer, BridgeServer]:
        if self.key != (app, mount):
            self.close()
            root_path = MOUNTS[mount]
            # One database per server process, shared by its mounts: the
            # scenarios run in the same order on both sides.
            env = {"BRIDGE_DJANGO_DB": str(self.tmp / "uvicorn.sqlite3")}
            uvicorn = UvicornServer(APPS[app], root_path, env)
            bridge = BridgeServer(APPS[app], root_path, uvicorn.base)
            self.key, self.pair = (app, mount), (uvicorn, bridge)
        assert self.pair is not None
        return self.pair

    def close(self) -> None:
        if self.pair is not None:
            uvicorn, bridge = self.pair
            uvicorn.close()
            bridge.close()
            self.pair = self.key = None


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    tmp = tmp_path_factory.mktemp("differential")
    os.environ["BRIDGE_DJANGO_DB"] = str(tmp / "bridge.sqlite3")
    import sys

    sys.path.insert(0, str(APPS_DIR))
    # Sync code runs inline on the bridge's event loop, as in Pyodide.
    installed = pyodide_compat.install(force=True)
    assert "anyio.to_thread.run_sync" in installed and "asgiref.async_to_sync" in installed
    running = Servers(tmp)
    yield running
    running.close()
    pyodide_compat.uninstall()
    sys.path.remove(str(APPS_DIR))


def compare(reference: Answer, bridged: Answer, case: Case) -> None:
    assert bridged.status == reference.status
    ref_headers, got_headers = comparable_headers(reference), comparable_headers(bridged)
    if case.scenario.differing_keys:  # the body's length differs with it
        ref_headers = [h for h in ref_headers if h[0] != "content-length"]
        got_headers = [h for h in got_headers if h[0] != "content-length"]
    assert got_headers == ref_headers
    ref_body, got_body = comparable_body(reference.body), comparable_body(bridged.body)
    if case.scenario.differing_keys:
        ref_json, got_json = json.loads(ref_body), json.loads(got_body)
        for key in case.scenario.differing_keys:
            assert ref_json.pop(key) != got_json.pop(key), f"{key} no longer differs: update the table"
        assert got_json == ref_json
    else:
        assert got_body == ref_body


@pytest.mark.parametrize("case", cases(), ids=lambda c: f"{c.app}-{c.mount}-{c.scenario.id}")
def test_bridge_answers_like_uvicorn(servers: Servers, case: Case) -> None:
    uvicorn, bridge = servers.get(case.app, case.mount)
    uvicorn.jar.clear()
    bridge.jar.clear()
    previous: tuple[Answer, Answer] | None = None
    for number, step in enumerate(case.scenario.steps, 1):
        request = step.request(uvicorn.base, previous[0] if previous else None)
        request.read()
        if callable(step.data):  # made from each server's own previous answer
            bridge_request = step.request(uvicorn.base, previous[1] if previous else None)
        else:  # the very same bytes (a multipart boundary is random)
            bridge_request = request
        reference = uvicorn.send(request)
        bridged = bridge.send(bridge_request)
        try:
            compare(reference, bridged, case)
            assert comparable_cookies(bridge.jar, bridge.root_path) == comparable_cookies(uvicorn.jar, "")
        except AssertionError as exc:
            raise AssertionError(
                f"step {number} ({step.method} {step.path}) differs:\n  uvicorn: {reference.status} "
                f"{reference.headers} {reference.body[:300]!r}\n  bridge:  {bridged.status} "
                f"{bridged.headers} {bridged.body[:300]!r}"
            ) from exc
        previous = (reference, bridged)


def test_every_app_has_scenarios_and_the_table_is_complete() -> None:
    covered = {c.app for c in cases()}
    assert covered == set(APPS)
    assert len(cases()) >= 80
