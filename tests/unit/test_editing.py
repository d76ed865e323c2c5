"""The editor option, apps written in the page, and running edited files again (in CPython)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from live_asgi_docs import reload
from live_asgi_docs.apps import AppSource
from live_asgi_docs.editing import editor_files, inline_source
from live_asgi_docs.options import EditorOptions, OptionError, parse_embed, split_inline


def test_editor_option_forms() -> None:
    assert parse_embed("todo.main:app", {}).editor is None
    assert parse_embed("todo.main:app", {"editor": None}).editor == EditorOptions()
    assert parse_embed("todo.main:app", {"editor": ""}).editor == EditorOptions()
    assert parse_embed("todo.main:app", {"editor": "read-only"}).editor == EditorOptions(read_only=True)
    picked = parse_embed("todo.main:app", {"editor": "main.py, templates/home.html"}).editor
    assert picked == EditorOptions(files=("main.py", "templates/home.html"))
    with pytest.raises(OptionError, match="relative to the app's package"):
        parse_embed("todo.main:app", {"editor": "../secret.py"})


def test_a_single_file_body_is_app_py_with_target_app() -> None:
    options = parse_embed("", {}, "from x import y\n\napp = y()\n")
    assert options.inline == (("app.py", "from x import y\n\napp = y()\n"),)
    assert options.target == "app:app"
    assert options.name.startswith("app-")
    # The same code gets the same name; other code another one.
    assert parse_embed("", {}, "from x import y\n\napp = y()\n").name == options.name
    assert parse_embed("", {}, "app = 1\n").name != options.name


def test_file_lines_split_the_body_and_the_first_python_file_holds_the_app() -> None:
    body = (
        "# file: main.py\nimport pages\n\n# file: templates/home.html\n<h1>Hi</h1>\n# file: pages.py\nX = 1\n"
    )
    files = split_inline(body)
    assert files == (
        ("main.py", "import pages\n"),
        ("templates/home.html", "<h1>Hi</h1>\n"),
        ("pages.py", "X = 1\n"),
    )
    assert parse_embed("", {}, body).target == "main:app"
    assert parse_embed("api", {}, body).target == "main:api"
    assert parse_embed("pages:X", {}, body).target == "pages:X"
    with pytest.raises(OptionError, match="has no module 'nope'"):
        parse_embed("nope:app", {}, body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x = 1\n# file: a.py\n", "line 1 of the app in the page comes before the first"),
        ("# file: a.py\n# file: a.py\n", "line 2 of the app in the page: the file 'a.py' is written twice"),
        ("# file: ../a.py\n", "must be a relative path inside the app"),
        ("# file: page.html\n<p>\n", "has no Python file"),
        ("# file: page.html\n<p>\n# file: a.py\napp = 1\n", "is not Python; put the file"),
    ],
)
def test_bad_bodies_say_the_fix(body: str, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        parse_embed("", {}, body)


def test_an_embed_needs_a_target_or_a_body() -> None:
    with pytest.raises(OptionError, match="give its target"):
        parse_embed("", {}, "  \n")


def make_package(root: Path) -> AppSource:
    package = root / "shop"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "web.py").write_text("app = 1\n")
    (package / "models.py").write_text("X = 1\n")
    (package / "requirements.txt").write_text("starlette\n")
    (package / "templates" / "cart.html").write_text("<p>cart</p>\n")
    (package / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    return AppSource(root=root, top_level=package)


def test_every_text_file_target_module_first(tmp_path: Path) -> None:
    source = make_package(tmp_path)
    files = editor_files(parse_embed("shop.web:app", {"editor": None}), source)
    assert [(f.name, f.path) for f in files] == [
        ("web.py", "shop/web.py"),
        ("models.py", "shop/models.py"),
        ("templates/cart.html", "shop/templates/cart.html"),
    ]


def test_named_files_in_their_order_and_missing_ones_listed(tmp_path: Path) -> None:
    source = make_package(tmp_path)
    files = editor_files(parse_embed("shop.web:app", {"editor": "templates/cart.html, __init__.py"}), source)
    assert [f.name for f in files] == ["templates/cart.html", "__init__.py"]
    with pytest.raises(OptionError, match=r"'nope.py' is not part of the app 'shop'; its files are __init__"):
        editor_files(parse_embed("shop.web:app", {"editor": "nope.py"}), source)
    with pytest.raises(OptionError, match=r"'logo\.png' of the app 'shop' is not UTF-8 text"):
        editor_files(parse_embed("shop.web:app", {"editor": "logo.png"}), source)


def test_a_single_module_app_shows_its_file(tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text("app = 1\n")
    files = editor_files(
        parse_embed("hello:app", {"editor": None}), AppSource(tmp_path, tmp_path / "hello.py")
    )
    assert [(f.name, f.path, f.text) for f in files] == [("hello.py", "hello.py", "app = 1\n")]


def test_an_app_in_the_page_is_written_once_to_a_folder_named_by_its_content(tmp_path: Path) -> None:
    options = parse_embed("", {"editor": None}, "# file: web.py\napp = 1\n# file: t/page.html\n<p>\n")
    source = inline_source(options.inline, tmp_path)
    assert source.root == source.top_level
    assert (source.root / "t" / "page.html").read_text() == "<p>\n"
    assert inline_source(options.inline, tmp_path) == source
    assert [f.path for f in editor_files(options, source)] == ["web.py", "t/page.html"]


def test_forget_app_drops_only_the_app_modules_and_the_next_import_reads_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "edited_pkg").mkdir()
    (tmp_path / "edited_pkg" / "__init__.py").write_text("")
    (tmp_path / "edited_pkg" / "main.py").write_text("TEXT = 'before'\n")
    (tmp_path / "_live_asgi_glue.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    import _live_asgi_glue  # type: ignore[import-not-found]  # noqa: F401
    import edited_pkg.main  # type: ignore[import-not-found]

    assert edited_pkg.main.TEXT == "before"
    # Same length, same second: bytecode checks by mtime and size would not notice.
    reload.write_files(str(tmp_path), [("edited_pkg/main.py", "TEXT = 'after!'\n")])
    assert reload.forget_app(str(tmp_path)) == ["edited_pkg", "edited_pkg.main"]
    assert "_live_asgi_glue" in sys.modules and "json" in sys.modules
    import edited_pkg.main  # type: ignore[import-not-found]

    assert edited_pkg.main.TEXT == "after!"
    for name in ("edited_pkg", "edited_pkg.main", "_live_asgi_glue"):
        sys.modules.pop(name, None)


def test_write_files_refuses_paths_outside_the_app(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the app"):
        reload.write_files(str(tmp_path / "app"), [("../evil.py", "")])
    assert not (tmp_path / "evil.py").exists()


def test_an_edited_module_loses_its_build_time_bytecode(tmp_path: Path) -> None:
    cache = tmp_path / "pkg" / "__pycache__"
    cache.mkdir(parents=True)
    (cache / "main.cpython-314.pyc").write_bytes(b"stale")
    (cache / "other.cpython-314.pyc").write_bytes(b"kept")
    reload.write_files(str(tmp_path), [("pkg/main.py", "X = 2\n")])
    assert sorted(p.name for p in cache.iterdir()) == ["other.cpython-314.pyc"]
