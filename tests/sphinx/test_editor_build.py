"""Real Sphinx builds with the code editor and apps written in the page (rST and MyST)."""

from __future__ import annotations

import json
import re
import zipfile
from html import unescape
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from live_asgi_docs.site import code_folder


def embeds(text: str) -> list[dict[str, Any]]:
    return [json.loads(unescape(m)) for m in re.findall(r'data-live-asgi="([^"]+)"', text)]


@pytest.mark.sphinx("html", testroot="editor")
def test_editor_shows_the_app_files_main_module_first(app: Any, warning: StringIO) -> None:
    app.build()
    assert warning.getvalue() == ""
    out = Path(app.outdir)
    [config] = embeds((out / "index.html").read_text())
    editor = config["editor"]
    # Every text file of the package, the target's module first; the empty
    # __init__.py and the binary logo are left out; names relative to the package.
    assert [f["name"] for f in editor["files"]] == ["main.py", "templates/home.html"]
    assert [f["path"] for f in editor["files"]] == ["greet/main.py", "greet/templates/home.html"]
    assert editor["files"][1]["text"] == "<h1>Greetings</h1>\n"
    assert editor["readOnly"] is False
    # The editor's code is published with the rest, in the same content-named folder.
    code = out / "_static" / "_live_asgi" / code_folder()
    for name in ("editor.js", "editing.js", "codemirror.js", "reload.py"):
        assert (code / name).is_file(), name


@pytest.mark.sphinx("html", testroot="editor")
def test_editor_files_in_the_order_given_and_read_only(app: Any, warning: StringIO) -> None:
    app.build()
    [config] = embeds((Path(app.outdir) / "picked.html").read_text())
    assert [f["name"] for f in config["editor"]["files"]] == ["templates/home.html", "main.py"]
    assert config["editor"]["readOnly"] is True


@pytest.mark.sphinx("html", testroot="editor")
def test_myst_body_is_the_app_with_its_files(app: Any, warning: StringIO) -> None:
    app.build()
    assert warning.getvalue() == ""
    out = Path(app.outdir)
    multi, single = embeds((out / "inline.html").read_text())
    assert re.fullmatch(r"app-[0-9a-f]{8}", multi["name"])
    assert [f["name"] for f in multi["editor"]["files"]] == ["web.py", "page.html"]
    assert multi["editor"]["files"][1]["text"] == "<p>Written in the page</p>\n"
    assert "editor" not in single
    # The target defaults to `app` in the first file; an attribute alone picks another.
    for name, target, files in (
        (multi["name"], "web:app", ["page.html", "web.py"]),
        ("single", "app:handler", ["app.py"]),
    ):
        manifest = json.loads((out / f"_static/_live_asgi/apps/{name}/manifest.json").read_text())
        assert manifest["target"] == target
        with zipfile.ZipFile(out / f"_static/_live_asgi/apps/{name}" / manifest["bundle"]) as zf:
            # (with the bytecode compiled at build time beside them)
            assert sorted(n for n in zf.namelist() if "__pycache__/" not in n) == files


@pytest.mark.sphinx("html", testroot="editor", srcdir="editor-bad-input")
def test_bad_editor_files_and_bodies_warn_at_the_line_with_the_fix(app: Any, warning: StringIO) -> None:
    (Path(app.srcdir) / "index.rst").write_text(
        "T\n=\n\n.. live-asgi:: greet.main:app\n   :editor: nosuch.py\n\n"
        ".. live-asgi::\n   :name: inline\n\n   print('no file line')\n   # file: x.py\n   x = 1\n"
    )
    app.build(force_all=True)
    text = warning.getvalue()
    assert "index.rst:4: WARNING: live-asgi: the editor file 'nosuch.py' is not part of the app" in text
    assert "its files are __init__.py, main.py, templates/home.html, templates/logo.png" in text
    assert "index.rst:7: WARNING: live-asgi: line 1 of the app in the page comes before" in text
