"""pip as if it ran inside Pyodide: environment markers evaluated for the reader's Python.

``pip download --platform ... --python-version ...`` picks wheels for the
target but evaluates environment markers (``; python_version >= "3.13"``,
``; sys_platform != "emscripten"``) for the machine pip runs on. Run as
``python -m live_asgi_docs.pyodide_pip <pip arguments>``, this module runs
pip's own command line with the marker environment replaced by Pyodide's,
so its resolver decides as micropip would inside the browser.
"""

from __future__ import annotations

import sys

from .packages import MARKER_ENVIRONMENT

__all__ = ["main"]


def _pyodide_environment() -> dict[str, str]:
    return dict(MARKER_ENVIRONMENT)


def main(argv: list[str]) -> int:
    """Run pip's command line with Pyodide's marker environment; return its exit code."""
    import packaging.markers
    import pip._vendor.packaging.markers as pip_markers

    # Marker.evaluate() looks default_environment up in its module at each
    # call, so replacing the module attribute reaches every evaluation; pip
    # uses its vendored copy, other code the installed one.
    for module in (pip_markers, packaging.markers):
        module.default_environment = _pyodide_environment  # type: ignore[attr-defined]

    from pip._internal.cli.main import main as pip_main

    return pip_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
