"""Running an app again in the same interpreter, from edited files (runs in Pyodide).

Shipped into the browser as ``_live_asgi_reload.py``. When the reader runs
edited code, the worker writes the files over the unpacked bundle, then
:func:`forget_app` makes the next import read them: the interpreter, its
packages and everything they imported stay loaded, so a new run costs only
the app's own import.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

__all__ = ["forget_app", "write_files"]


def _inside(path: str | None, root: Path) -> bool:
    if not path:
        return False
    try:
        return Path(path).resolve().is_relative_to(root)
    except (OSError, ValueError):
        return False


def write_files(root: str, files: list[tuple[str, str]]) -> None:
    """Write ``(path, text)`` pairs under ``root``; a path that leaves it is refused.

    Raises:
        ValueError: for a path outside ``root``.
    """
    base = Path(root).resolve()
    for path, text in files:
        dest = (base / path).resolve()
        if not dest.is_relative_to(base):
            raise ValueError(f"the file {path!r} is outside the app")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        if dest.suffix == ".py":
            # The bundle's bytecode is unchecked-hash (compiled at build time):
            # Python would run it whatever the source says.
            for compiled in (dest.parent / "__pycache__").glob(f"{dest.stem}.*.pyc"):
                compiled.unlink()


#: The modules of live-asgi-docs itself, which lie beside the app's files.
OWN_MODULES = "_live_asgi_"


def forget_app(root: str) -> list[str]:
    """Drop the app's modules and their bytecode, so the next import reads the files again.

    Returns the names of the modules dropped. Modules from anywhere else
    (the standard library, the app's packages, the bridge) stay loaded.
    """
    base = Path(root).resolve()
    dropped = []
    for name, module in list(sys.modules.items()):
        if name.startswith(OWN_MODULES):
            continue
        file = getattr(module, "__file__", None)
        paths = list(getattr(module, "__path__", None) or [])
        if _inside(file, base) or (file is None and paths and all(_inside(p, base) for p in paths)):
            del sys.modules[name]
            dropped.append(name)
    # Bytecode is checked by the source's mtime and size, which an edit made
    # in the same second with the same length would not change.
    for cache in base.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    importlib.invalidate_caches()
    return sorted(dropped)
