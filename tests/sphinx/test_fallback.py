"""Builders that cannot run an app (text, LaTeX, man, Texinfo) print a note naming it and where it runs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

NOTE = "[Live app “notes-app” (notes.main:app): use it live in the HTML version of this documentation.]"


def _build(app: Any, warning: Any) -> None:
    app.build()
    assert warning.getvalue() == ""


@pytest.mark.sphinx("text", testroot="live-asgi-fallback")
def test_text_output_has_the_note_between_its_paragraphs(app: Any, warning: Any) -> None:
    _build(app, warning)
    text = (Path(app.outdir) / "index.txt").read_text()
    # The text writer wraps long lines; the note is a paragraph of its own.
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    assert paragraphs[-3:] == ["Before the app.", NOTE, "After the app."]


@pytest.mark.sphinx(
    "text",
    testroot="live-asgi-fallback",
    confoverrides={"html_baseurl": "https://docs.example.org/v1/"},
    freshenv=True,
)
def test_the_note_links_the_live_page_when_the_site_address_is_known(app: Any, warning: Any) -> None:
    _build(app, warning)
    text = " ".join((Path(app.outdir) / "index.txt").read_text().split())
    assert "use it live in https://docs.example.org/v1/index.html.]" in text


@pytest.mark.sphinx("latex", testroot="live-asgi-fallback")
def test_latex_output_has_the_note_as_a_quote(app: Any, warning: Any) -> None:
    _build(app, warning)
    tex = (Path(app.outdir) / "fallback.tex").read_text()
    assert "\\begin{quote}\\itshape {[}Live app “notes\\sphinxhyphen{}app” (notes.main:app)" in tex
    assert tex.index("Before the app.") < tex.index("notes.main:app") < tex.index("After the app.")


@pytest.mark.sphinx("man", testroot="live-asgi-fallback")
def test_man_page_has_the_note_as_its_own_paragraph(app: Any, warning: Any) -> None:
    _build(app, warning)
    man = (Path(app.outdir) / "fallback.1").read_text()
    assert "\n.sp\n[Live app" in man
    assert "notes\\-app" in man or "notes-app" in man
    assert man.index("Before the app.") < man.index("notes.main:app") < man.index("After the app.")


@pytest.mark.sphinx("texinfo", testroot="live-asgi-fallback")
def test_texinfo_output_has_the_note(app: Any, warning: Any) -> None:
    _build(app, warning)
    texi = (Path(app.outdir) / "fallback.texi").read_text()
    assert "notes.main:app" in texi and "use it live in the HTML version" in texi


@pytest.mark.sphinx("epub", testroot="live-asgi-fallback")
def test_epub_gets_the_note_and_no_runtime(app: Any, warning: Any) -> None:
    # An e-book reader runs no service worker: the note, not a frame that cannot start.
    _build(app, warning)
    out = Path(app.outdir)
    page = (out / "index.xhtml").read_text()
    assert f'<p class="live-asgi-fallback"><em>{NOTE}</em></p>' in page
    assert "data-live-asgi" not in page and "loader.js" not in page
    assert not (out / "_static" / "_live_asgi").exists() and not (out / "app").exists()
    with zipfile.ZipFile(out / f"{app.config.epub_basename}.epub") as zf:
        assert not [n for n in zf.namelist() if "_live_asgi" in n or n.startswith("app/")]
