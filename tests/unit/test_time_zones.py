"""Which apps get a time zone database: their own code imports ``zoneinfo``."""

from __future__ import annotations

from pathlib import Path

import pytest

from live_asgi_docs.apps import AppSource, uses_time_zones


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import zoneinfo\n", True),
        ("from zoneinfo import ZoneInfo\n", True),
        ("def now():\n    import zoneinfo as z\n    return z\n", True),
        ("import datetime\nNAME = 'zoneinfo'\n", False),
        ("from .zoneinfo import ZoneInfo\n", False),  # the app's own module of that name
        ("import zoneinfo_backport\n", False),
        ("def broken(:\n", False),
    ],
)
def test_a_module_that_imports_zoneinfo(tmp_path: Path, code: str, expected: bool) -> None:
    (tmp_path / "demo.py").write_text(code)
    assert uses_time_zones(AppSource(tmp_path, tmp_path / "demo.py")) is expected


def test_any_module_of_a_package_counts_but_not_its_caches(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    (package / "views").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "views" / "__init__.py").write_text("")
    source = AppSource(tmp_path, package)
    (package / ".venv" / "lib").mkdir(parents=True)
    (package / ".venv" / "lib" / "tz.py").write_text("import zoneinfo\n")
    assert not uses_time_zones(source)
    (package / "views" / "clock.py").write_text("from zoneinfo import ZoneInfo\n")
    assert uses_time_zones(source)
