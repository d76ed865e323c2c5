"""Real Sphinx builds of the test projects under tests/roots."""

from __future__ import annotations

import json
import re
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from live_asgi_docs.site import code_folder, loader_modules


def embeds(html: str) -> list[dict[str, Any]]:
    return [json.loads(m.replace("&quot;", '"')) for m in re.findall(r'data-live-asgi="([^"]+)"', html)]


@pytest.mark.sphinx("html", testroot="basic")
def test_html_build_writes_a_static_site_with_the_app(app: Any, warning: StringIO) -> None:
    app.build()
    assert warning.getvalue() == ""
    out = Path(app.outdir)
    index = (out / "index.html").read_text()
    configs = embeds(index)
    assert [c["name"] for c in configs] == ["hello", "shop-demo"]
    assert configs[1]["path"] == "/cart?x=1" and configs[1]["height"] == "30em"
    assert configs[0]["root"] == "./" and configs[0]["assets"] == "_static/_live_asgi/"
    code = code_folder()
    assert f'src="_static/_live_asgi/{code}/loader.js' in index and 'type="module"' in index
    # The loader's whole static import graph is preloaded with it (the editor, imported on demand, is not).
    preloaded = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
    preloads = preloaded.findall(index)
    assert [Path(href).name for href in preloads] == list(loader_modules())
    assert {"lifecycle.js", "toolbar.js", "protocol.js"} <= set(loader_modules())
    assert "editor.js" not in loader_modules() and "worker.js" not in loader_modules()
    assert all((out / href).is_file() for href in preloads)
    deep_preloads = preloaded.findall((out / "sub" / "deep.html").read_text())
    assert len(deep_preloads) == len(preloads)
    assert all((out / "sub" / href).is_file() for href in deep_preloads)
    # Pages without an embed get no script; nested pages point back to the root.
    assert "_live_asgi" not in (out / "plain.html").read_text()
    deep = embeds((out / "sub" / "deep.html").read_text())
    assert deep[0]["root"] == "../" and deep[0]["assets"] == "../_static/_live_asgi/"
    # The service worker sits above every app scope; the runtime files are in place.
    sw = (out / "app" / "live-asgi-sw.js").read_text()
    assert "__LIVE_ASGI_BUILD__" not in sw
    for name in ("loader.js", "worker.js", "embed.js", "bridge.py", "live-asgi.css"):
        assert (out / "_static" / "_live_asgi" / code / name).is_file(), name
    manifest = json.loads((out / "_static/_live_asgi/apps/shop-demo/manifest.json").read_text())
    assert manifest["target"] == "shop.web:app" and manifest["packages"] == []
    with zipfile.ZipFile(out / "_static/_live_asgi/apps/shop-demo" / manifest["bundle"]) as zf:
        # The app's files, with bytecode compiled at build time (when Node is there).
        sources = [n for n in zf.namelist() if "__pycache__/" not in n]
        assert sorted(sources) == ["shop/__init__.py", "shop/templates/cart.html", "shop/web.py"]


@pytest.mark.sphinx("html", testroot="basic")
def test_rebuild_keeps_the_service_worker_and_bundle_unchanged(app: Any) -> None:
    app.build()
    out = Path(app.outdir)
    sw_before = (out / "app" / "live-asgi-sw.js").read_bytes()
    bundles_before = sorted(p.name for p in (out / "_static/_live_asgi/apps").rglob("*.zip"))
    app.build(force_all=True)
    assert (out / "app" / "live-asgi-sw.js").read_bytes() == sw_before
    assert sorted(p.name for p in (out / "_static/_live_asgi/apps").rglob("*.zip")) == bundles_before


@pytest.mark.sphinx("text", testroot="basic")
def test_text_build_shows_a_note_naming_the_app(app: Any, warning: StringIO) -> None:
    app.build()
    assert warning.getvalue() == ""
    text = (Path(app.outdir) / "index.txt").read_text()
    assert "Live app “shop-demo” (shop.web:app)" in text
    assert not (Path(app.outdir) / "app").exists()


@pytest.mark.sphinx("html", testroot="errors", confoverrides={"show_warning_types": True})
def test_bad_input_is_a_warning_with_location_and_the_fix(app: Any, warning: StringIO) -> None:
    app.build()
    log = re.sub(r"\x1b\[[0-9;]*m", "", warning.getvalue())
    expected = [
        (4, "embed", "is not of the form module:attribute; write for example 'todo.main:app'"),
        (6, "embed", "the app module 'missing.module' was not found; searched"),
        (8, "embed", "the name 'Bad_Name' cannot be used in a URL"),
        (14, "duplicate", "the app name 'same' is already used for hello:app in index"),
        (17, "embed", "could not resolve the requirements live-asgi-docs-no-such-package-xyz"),
        (21, "embed", "the height 'tall' is not a CSS length"),
        (
            24,
            "embed",
            "errors/apps/hello.py) has no top-level 'application'; it defines app. Fix the target: "
            "write 'hello:app'",
        ),
    ]
    # Each warning: its location, its text (possibly several lines) and the
    # type and subtype that `suppress_warnings` takes.
    found = {
        int(line): (text, kind)
        for line, text, kind in re.findall(
            r"index\.rst:(\d+): WARNING: (.*?) \[([\w.]+)\]$", log, re.M | re.S
        )
    }
    for line, subtype, message in expected:
        assert line in found, (line, log)
        text, kind = found[line]
        assert text.startswith("live-asgi: ") and message in text, (line, message, text)
        assert kind == f"live_asgi.{subtype}", (line, kind)
    assert log.count("WARNING") == len(expected), log


@pytest.mark.sphinx("html", testroot="errors")
def test_an_embed_that_cannot_be_built_leaves_an_error_box_in_the_page(app: Any) -> None:
    app.build()
    html = (Path(app.outdir) / "index.html").read_text()
    boxes = re.findall(r'<div class="[^"]*\blive-asgi-error\b[^"]*">(.*?)</div>', html, re.S)
    # One per failed embed, where the app was meant to be: the reader knows an app is missing.
    assert len(boxes) == 7, html
    assert all('<p class="admonition-title">Live app error</p>' in box for box in boxes)
    assert "index.rst:24" in boxes[-1] and "has no top-level" in boxes[-1]


def test_importing_the_package_imports_neither_sphinx_nor_mkdocs() -> None:
    import subprocess
    import sys

    code = (
        "import sys, live_asgi_docs, live_asgi_docs.site, live_asgi_docs.bridge; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sphinx', 'mkdocs', 'docutils')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.sphinx("html", testroot="basic")
def test_browser_code_lies_in_a_folder_named_by_its_content(app: Any) -> None:
    # A redeploy with other code gets other URLs: a host's max-age never pairs
    # a new loader with an old worker. A stale folder is removed.
    out = Path(app.outdir)
    stale = out / "_static" / "_live_asgi" / "code-000000000000"
    stale.mkdir(parents=True)
    (stale / "worker.js").write_text("old")
    app.build()
    folders = [p.name for p in (out / "_static" / "_live_asgi").glob("code-*")]
    assert folders == [code_folder()]
    assert code_folder() != "code-000000000000" and len(code_folder()) == len("code-") + 12


@pytest.mark.sphinx("html", testroot="basic")
def test_an_incremental_build_after_an_upgrade_rewrites_every_page_with_an_embed(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.build()
    # Other browser code (an upgrade of live-asgi-docs), nothing else changed.
    upgraded = "code-0123456789ab"
    monkeypatch.setattr("live_asgi_docs.site.code_folder", lambda: upgraded)
    monkeypatch.setattr("live_asgi_docs.sphinx_ext.code_folder", lambda: upgraded)
    app.build()
    out = Path(app.outdir)
    assert [p.name for p in (out / "_static" / "_live_asgi").glob("code-*")] == [upgraded]
    for page in ("index.html", "sub/deep.html"):
        assert f"_live_asgi/{upgraded}/loader.js" in (out / page).read_text(), page


@pytest.mark.sphinx("html", testroot="options")
def test_caption_makes_a_numbered_figure_that_ref_and_numref_link_to(app: Any, warning: StringIO) -> None:
    app.build()
    assert warning.getvalue() == ""
    page = (Path(app.outdir) / "index.html").read_text()
    figure = re.search(r'<figure class="[^"]*live-asgi-figure[^"]*" id="[^"]+">(.*?)</figure>', page, re.S)
    assert figure, page
    # The label before the directive marks the figure.
    assert '<span id="hello-demo"></span><div class="live-asgi wide demo" ' in figure.group(1)
    assert "--live-asgi-width: 40em" in figure.group(1)
    assert re.search(r"<figcaption>.*Fig\. 1 .*The <em>hello</em> app, live", figure.group(1), re.S)
    assert (
        '<a class="reference internal" href="#hello-demo"><span class="std std-ref">The hello app, live'
        in page
    )
    assert (
        '<a class="reference internal" href="#hello-demo"><span class="std std-numref">Fig. 1</span>' in page
    )
    first, second = embeds(page)
    # live_asgi_defaults give the height and autostart; what an embed writes wins.
    assert (first["height"], first["autostart"], first["prompt"]) == ("600px", "click", "Say hello")
    assert (second["height"], second["autostart"]) == ("300px", "click") and "prompt" not in second


@pytest.mark.sphinx(
    "html", testroot="options", confoverrides={"live_asgi_defaults": {"width": "huge"}}, freshenv=True
)
def test_a_bad_default_stops_the_build_naming_the_setting_and_the_fix(app_params: Any, make_app: Any) -> None:
    args, kwargs = app_params
    with pytest.raises(Exception, match=r"conf.py: live_asgi_defaults: the width 'huge' is not a CSS length"):
        make_app(*args, **kwargs)
