"""Where the apps live in the output: a name given to two apps in documents
read by different processes, and docs pages that would land in an app's folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import sphinx_build

APP = """
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})
"""


def make_project(root: Path, pages: dict[str, str], **conf: object) -> Path:
    """A Sphinx project with the apps ``first``, ``second`` and the given pages."""
    src = root / "src"
    (src / "apps").mkdir(parents=True)
    for name in ("first", "second"):
        (src / "apps" / f"{name}.py").write_text(APP)
    settings = {"extensions": ["live_asgi_docs"], "live_asgi_app_dirs": ["apps"], **conf}
    (src / "conf.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    for name, text in pages.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return src


def page(title: str, body: str = "") -> str:
    return f"{title}\n{'=' * len(title)}\n\n{body}\n"


def warnings(stderr: str) -> list[str]:
    return [line for line in re.sub(r"\x1b\[[0-9;]*m", "", stderr).splitlines() if "WARNING" in line]


def test_two_apps_under_one_name_read_by_different_processes_are_reported_with_both_places(
    tmp_path: Path,
) -> None:
    # Sphinx reads in parallel from six documents on, in chunks: a.rst and
    # f.rst are read by different processes.
    pages = {f"{d}.rst": page(d.upper()) for d in "bcde"}
    pages["a.rst"] = page("A", ".. live-asgi:: first:app\n   :name: same\n")
    pages["f.rst"] = page("F", "Text.\n\n.. live-asgi:: second:app\n   :name: same\n")
    pages["index.rst"] = page("Index", ".. toctree::\n\n" + "".join(f"   {d}\n" for d in "abcdef"))
    src = make_project(tmp_path, pages)
    proc = sphinx_build(src, tmp_path / "out", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    found = warnings(proc.stderr)
    assert len(found) == 1, proc.stderr
    # Whichever process finished first, the warning names both places.
    assert re.search(
        r"(a\.rst:4|f\.rst:6): WARNING: live-asgi: the app name 'same' is already used", found[0]
    )
    assert "a.rst:4" in found[0] and "f.rst:6" in found[0], found[0]
    assert found[0].endswith("[live_asgi.duplicate]"), found[0]
    # One app is written under the name; the other page says why it has none.
    manifest = json.loads((tmp_path / "out/_static/_live_asgi/apps/same/manifest.json").read_text())
    pages_with_app = [p for p in ("a", "f") if "data-live-asgi" in (tmp_path / f"out/{p}.html").read_text()]
    assert len(pages_with_app) == 1
    other = "f" if pages_with_app == ["a"] else "a"
    assert "Live app error" in (tmp_path / f"out/{other}.html").read_text()
    assert manifest["target"] == ("first:app" if pages_with_app == ["a"] else "second:app")


def test_a_page_in_an_apps_folder_is_reported_with_what_to_rename(tmp_path: Path) -> None:
    pages = {
        "index.rst": page(
            "Index", ".. live-asgi:: first:app\n   :name: todo\n\n.. toctree::\n\n   app/todo\n"
        ),
        "app/todo.rst": page("About the to-do app"),
    }
    src = make_project(tmp_path, pages)
    proc = sphinx_build(src, tmp_path / "out", "-b", "dirhtml")
    found = warnings(proc.stderr)
    assert len(found) == 1, proc.stderr
    assert "app/todo.rst: WARNING: live-asgi: this page is written to app/todo/" in found[0], found[0]
    assert "rename the page" in found[0] and "live_asgi_app_folder" in found[0], found[0]
    assert found[0].endswith("[live_asgi.app_folder]"), found[0]


def test_the_app_folder_is_a_setting(tmp_path: Path) -> None:
    pages = {
        "index.rst": page(
            "Index", ".. live-asgi:: first:app\n   :name: todo\n\n.. toctree::\n\n   app/todo\n"
        ),
        "app/todo.rst": page("About the to-do app"),
    }
    src = make_project(tmp_path, pages, live_asgi_app_folder="live")
    out = tmp_path / "out"
    proc = sphinx_build(src, out, "-b", "dirhtml", "-W")
    assert proc.returncode == 0, proc.stderr
    assert "About the to-do app" in (out / "app/todo/index.html").read_text()
    assert (out / "live/todo/index.html").is_file()
    assert (out / "live/live-asgi-sw.js").is_file()
    html = (out / "index.html").read_text()
    config = json.loads(re.search(r'data-live-asgi="([^"]*)"', html).group(1).replace("&quot;", '"'))  # type: ignore[union-attr]
    assert (config["scope"], config["sw"]) == ("live/todo/", "live/live-asgi-sw.js")
