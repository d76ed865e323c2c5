"""The app target is checked against the module's source, without importing the app."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from live_asgi_docs.apps import check_target, find_app
from live_asgi_docs.options import OptionError


def _check(tmp_path: Path, source: str, target: str, files: dict[str, str] | None = None) -> None:
    package = tmp_path / "demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(textwrap.dedent(source))
    for name, text in (files or {}).items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    module, _, attr = target.partition(":")
    check_target(find_app(module, [tmp_path]), module, attr)


@pytest.mark.parametrize(
    "source",
    [
        "app = object()",
        "app: object = object()",
        "async def app(scope, receive, send): ...",
        "class app: ...",
        "from somewhere import application as app",
        "import app",
        "x, (y, app) = 1, (2, 3)",
        "if True:\n    app = 1\nelse:\n    app = 2",
        "try:\n    from fast import app\nexcept ImportError:\n    app = None",
        "with open(__file__) as app: ...",
        "from somewhere import *",
        "def __getattr__(name): ...",
    ],
    ids=[
        "assign",
        "annotated",
        "def",
        "class",
        "import-as",
        "import",
        "unpacking",
        "conditional",
        "try-import",
        "with",
        "star-import-passes",
        "module-getattr-passes",
    ],
)
def test_a_module_that_binds_the_name_passes(tmp_path: Path, source: str) -> None:
    _check(tmp_path, source, "demo.main:app")


def test_a_dotted_attribute_needs_only_its_first_name(tmp_path: Path) -> None:
    _check(tmp_path, "class api:\n    app = 1\n", "demo.main:api.app")


def test_a_submodule_named_as_attribute_of_its_package_passes(tmp_path: Path) -> None:
    _check(tmp_path, "app = 1", "demo:main")


def test_a_missing_name_names_the_file_what_it_defines_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(OptionError) as info:
        _check(tmp_path, "from fastapi import FastAPI\n\napp = FastAPI()\n", "demo.main:application")
    message = str(info.value)
    assert (
        f"the app module 'demo.main' ({tmp_path / 'demo' / 'main.py'}) has no top-level 'application'"
        in message
    )
    assert "it defines app" in message and "write 'demo.main:app'" in message


def test_names_only_bound_inside_functions_do_not_count(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="has no top-level 'app'; it defines FastAPI, make"):
        _check(
            tmp_path,
            "from fastapi import FastAPI\ndef make():\n    app = FastAPI()\n    return app\n",
            "demo.main:app",
        )


def test_a_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"cannot be read: .*main\.py, line 2\); fix its syntax"):
        _check(tmp_path, "app = 1\ndef broken(:\n", "demo.main:app")
