"""The code shown in an app's editor, and apps written in the page itself.

The editor (the ``:editor:`` option) shows some of the files of an app's bundle;
the page gets their text with the embed, and the browser writes the reader's
edits over the unpacked bundle before it imports the app again. An app written
in the directive's body is first written to a folder of its own, after which
it is an app like any other.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .apps import AppSource, app_files
from .options import EditorOptions, EmbedOptions, OptionError

__all__ = ["SourceFile", "editor_files", "inline_source"]

#: Files of a bundle never shown by default: editing them would change
#: nothing (requirements are installed at build time).
NOT_SHOWN = frozenset({"requirements.txt"})


@dataclass(frozen=True)
class SourceFile:
    """One file in the editor.

    Attributes:
        name: The name on its tab: relative to the app's package (or to the
            app's folder for a single module or an app written in the page).
        path: Where it lies under the folder on ``sys.path`` in the browser.
        text: The published text.
    """

    name: str
    path: str
    text: str


def inline_source(files: tuple[tuple[str, str], ...], cache_dir: Path) -> AppSource:
    """Write an app written in the page to a folder named by its content.

    The folder is the app: it goes on ``sys.path`` as it is, so its modules
    import each other by their plain names (``import models``).
    """
    digest = hashlib.sha256(repr(files).encode()).hexdigest()[:16]
    root = cache_dir / "inline-apps" / digest
    if not root.is_dir():
        root.parent.mkdir(parents=True, exist_ok=True)
        # Parallel builds may write the same app: each writes its own folder
        # and the first rename wins.
        tmp = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=root.parent))
        for name, text in files:
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
        try:
            os.rename(tmp, root)
        except OSError:
            if not root.is_dir():
                raise
            _remove_tree(tmp)
    return AppSource(root=root, top_level=root)


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    path.rmdir()


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def editor_files(options: EmbedOptions, source: AppSource) -> list[SourceFile]:
    """The files an embed's editor shows, in tab order.

    With no files named: every text file of the app's bundle except empty
    ones and ``requirements.txt``, the module of the app's target first.

    Raises:
        OptionError: for a named file the app does not have, or one that is
            not UTF-8 text; the message lists the files there are.
    """
    editor = options.editor or EditorOptions()
    # Names on the tabs are relative to the package: "main.py", not "todo/main.py".
    prefix = (
        "" if source.top_level.is_file() or source.top_level == source.root else source.top_level.name + "/"
    )
    available: dict[str, tuple[str, Path]] = {}
    for path, file in app_files(source):
        available[path[len(prefix) :] if path.startswith(prefix) else path] = (path, file)
    if editor.files:
        chosen = []
        for name in editor.files:
            if name not in available:
                raise OptionError(
                    f"the editor file {name!r} is not part of the app {options.name!r}; its files are "
                    + ", ".join(sorted(available))
                )
            chosen.append(name)
    else:
        module = options.module.split(".")
        stem = "/".join(module[1:] if prefix else module)
        main = (f"{stem}.py", f"{stem}/__init__.py" if stem else "__init__.py")
        candidates = [n for n, (_, f) in available.items() if n not in NOT_SHOWN and f.stat().st_size > 0]
        chosen = sorted(candidates, key=lambda n: (n not in main, n))
    out = []
    for name in chosen:
        path, file = available[name]
        text = _text(file)
        if text is None:
            if editor.files:
                raise OptionError(f"the editor file {name!r} of the app {options.name!r} is not UTF-8 text")
            continue
        out.append(SourceFile(name=name, path=path, text=text))
    if not out:
        raise OptionError(f"the app {options.name!r} has no text files to show in the editor")
    return out
