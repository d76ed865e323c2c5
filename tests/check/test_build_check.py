"""The opt-in build-time check: every app started in real Pyodide under Node by real builds.

What the author learns at build time is what a reader would otherwise see in the frame:
the app's own exception, at the embed's line, with the place in the app's code.
"""

from __future__ import annotations

import re
import textwrap
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from conftest import mkdocs_build


def _log(stream: StringIO) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())


@pytest.mark.sphinx("html", testroot="check")
def test_sphinx_check_fails_the_build_with_each_apps_own_exception_at_its_embed(
    app: Any, status: StringIO, warning: StringIO
) -> None:
    app.build()
    assert app.statuscode == 1
    log = _log(warning)
    apps = Path(app.srcdir) / "apps"
    expected = {
        4: "the app 'formapp' (formapp:app) fails in Pyodide while importing it: RuntimeError: Form data "
        'requires "python-multipart" to be installed. You can install "python-multipart" with: '
        f"pip install python-multipart (raised at {apps / 'formapp' / '__init__.py'}:8)",
        11: "the app 'wrong-path' (rawapps:good) fails in Pyodide while requesting its first page "
        "GET /missing: the app answered 404: no page here. Readers",
        15: "the app 'startup' (rawapps:startup_fails) fails in Pyodide while its lifespan startup: "
        "ConnectionError: the database at db.internal:5432 is unreachable. Readers",
        18: "the app 'raises' (rawapps:page_raises) fails in Pyodide while requesting its first page GET /: "
        f"KeyError: 'question' (raised at {apps / 'rawapps.py'}:37)",
    }
    for line, message in expected.items():
        assert f"index.rst:{line}: ERROR: live-asgi: {message}" in log, (line, log)
    assert log.count("ERROR") == len(expected), log
    # The app that works is reported as checked, with its first page's status.
    assert re.search(r"live-asgi: app 'good' checked: GET /hello answered 200 \([\d.]+ s", _log(status))


def test_mkdocs_check_fails_the_strict_build_naming_page_line_and_exception(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    # The commonest slip: the app imports a package its requirements leave out.
    (tmp_path / "apps" / "broken.py").write_text(
        textwrap.dedent(
            """
            import yaml

            async def app(scope, receive, send):
                pass
            """
        )
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n```{live-asgi} broken:app\n```\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: checked\nplugins:\n  - live-asgi:\n"
        "      app_dirs: [apps]\n      pyodide: npm\n      check: true\n"
    )
    proc = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert (
        "live-asgi: docs/index.md:3: the app 'broken' (broken:app) fails in Pyodide while importing it: "
        f"ModuleNotFoundError: No module named 'yaml' (raised at {tmp_path / 'apps' / 'broken.py'}:2)"
    ) in proc.stderr, proc.stderr
