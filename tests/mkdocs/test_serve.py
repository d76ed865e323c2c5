"""``mkdocs serve`` (the real command) rebuilds when an app's code changes."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

APP = """
async def app(scope, receive, send):
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"{text}"}})
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str]) -> None:
    while True:
        try:
            # Only a bound for a hung command: a build under load can take minutes.
            line = lines.get(timeout=900)
        except queue.Empty:
            raise AssertionError(f"mkdocs serve never said {text!r}; it said: {''.join(seen)}") from None
        seen.append(line)
        if text in line:
            return


def test_an_edit_to_the_apps_code_rebuilds_the_served_site(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    app_file = tmp_path / "apps" / "hello.py"
    app_file.write_text(APP.format(text="before"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n```{live-asgi} hello:app\n```\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: served\nplugins:\n  - live-asgi:\n      app_dirs: [apps]\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "serve",
            "-f",
            str(tmp_path / "mkdocs.yml"),
            "-a",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    seen: list[str] = []
    manifest_url = f"http://127.0.0.1:{port}/assets/_live_asgi/apps/hello/manifest.json"
    try:
        _wait_for(lines, "Serving on", seen)
        with urllib.request.urlopen(manifest_url) as resp:
            before = json.load(resp)["bundle"]
        app_file.write_text(APP.format(text="after"))
        # The app directory is watched: the edit starts a build, which writes a new bundle.
        # (Not waited for by the build's log line: MkDocs drops a message that repeats an
        # earlier one word for word, as "Documentation built in 0.12 seconds" does when the
        # rebuild takes as long as the first build.)
        _wait_for(lines, "Detected file changes", seen)
        after = before
        deadline = time.monotonic() + 900  # only a bound for a hung command
        while after == before and time.monotonic() < deadline:
            time.sleep(0.2)
            with urllib.request.urlopen(manifest_url) as resp:
                after = json.load(resp)["bundle"]
        while not lines.empty():
            seen.append(lines.get())
        assert after != before, "".join(seen)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
