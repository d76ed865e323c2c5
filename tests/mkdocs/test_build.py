"""Real ``mkdocs build`` runs of small sites: embeds, errors, assets, URLs, ``enabled``."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from conftest import brotli_bytes, cold_start_files, embed_configs

from live_asgi_docs.site import loader_modules

HELLO_APP = '''
async def app(scope, receive, send):
    """The smallest ASGI app: every path answers hello."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})
'''

EMBED = """\
# {title}

```{{live-asgi}} {target}
:name: {name}
```
"""


def make_site(root: Path, pages: dict[str, str], plugin: dict[str, Any] | None = None, **config: Any) -> Path:
    """Write a MkDocs project (default theme, the hello and greet apps); return mkdocs.yml."""
    for package in ("hello", "greet"):
        (root / "examples" / package).mkdir(parents=True, exist_ok=True)
        (root / "examples" / package / "__init__.py").write_text("")
        (root / "examples" / package / "main.py").write_text(HELLO_APP)
    for name, text in pages.items():
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_text(textwrap.dedent(text))
    settings = {"app_dirs": ["examples"], **(plugin or {})}
    mkdocs_yml = root / "mkdocs.yml"
    mkdocs_yml.write_text(
        yaml.safe_dump({"site_name": "Test", "plugins": [{"live-asgi": settings}], **config}, sort_keys=False)
    )
    return mkdocs_yml


def build(mkdocs_yml: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``mkdocs build`` command line, into ``site/`` next to mkdocs.yml."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(mkdocs_yml), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


class _Embeds(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.embeds: list[dict[str, str]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[str] = []
        self.preloads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div" and a.get("data-live-asgi"):
            self.embeds.append(json.loads(a["data-live-asgi"] or "{}"))
        if tag == "script" and "_live_asgi" in (a.get("src") or ""):
            self.scripts.append(a)
        if tag == "link" and "_live_asgi" in (a.get("href") or ""):
            (self.preloads if a.get("rel") == "modulepreload" else self.styles).append(a.get("href") or "")


def read_page(path: Path) -> _Embeds:
    parser = _Embeds()
    parser.feed(path.read_text())
    return parser


def site_file(site: Path, page_url: str, relative: str) -> Path:
    """The file a relative URL in a page points to, resolved as a browser does."""
    url = urljoin(urljoin("http://docs.test/", page_url), relative)
    return site / urlsplit(url).path.lstrip("/")


@pytest.mark.parametrize(
    ("use_directory_urls", "pages"),
    [
        (True, {"index.md": "", "plain.md": "plain/index.html", "sub/deep.md": "sub/deep/index.html"}),
        (False, {"index.md": "", "plain.md": "plain.html", "sub/deep.md": "sub/deep.html"}),
    ],
)
def test_strict_build_links_every_embed_to_the_written_runtime(
    tmp_path: Path, use_directory_urls: bool, pages: dict[str, str]
) -> None:
    mkdocs_yml = make_site(
        tmp_path,
        {
            "index.md": EMBED.format(title="Home", target="hello.main:app", name="hello"),
            "plain.md": "# Plain\n\nNo app here.\n",
            "sub/deep.md": EMBED.format(title="Deep", target="greet.main:app", name="greet"),
        },
        use_directory_urls=use_directory_urls,
    )
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "site"
    for source, name in (("index.md", "hello"), ("sub/deep.md", "greet")):
        url = pages[source]
        page = read_page(site / (url + "index.html" if url.endswith("/") or not url else url))
        [embed] = page.embeds
        assert embed["name"] == name
        # Every URL the loader derives from the embed reaches a file of the built site.
        assert site_file(site, url, embed["root"] + "app/live-asgi-sw.js").is_file()
        assert site_file(site, url, embed["assets"] + f"apps/{name}/manifest.json").is_file()
        [script] = page.scripts
        assert script["type"] == "module"
        assert site_file(site, url, script["src"] or "").name == "loader.js"
        assert site_file(site, url, script["src"] or "").is_file()
        assert [site_file(site, url, href).is_file() for href in page.styles] == [True]
        # The loader's static imports are preloaded with it.
        assert [site_file(site, url, href).name for href in page.preloads] == list(loader_modules())
        assert all(site_file(site, url, href).is_file() for href in page.preloads)
    plain = site / (
        pages["plain.md"] if pages["plain.md"].endswith(".html") else pages["plain.md"] + "index.html"
    )
    nothing = read_page(plain)
    assert nothing.scripts == [] and nothing.styles == [] and nothing.preloads == []
    assert "live-asgi" not in plain.read_text()
    manifest = json.loads((site / "assets/_live_asgi/apps/greet/manifest.json").read_text())
    assert manifest["target"] == "greet.main:app"
    # The size report, as the Sphinx adapter gives it.
    assert re.search(r"app 'hello': a reader downloads [\d.]+ MB", proc.stderr), proc.stderr


@pytest.mark.parametrize(
    ("page", "where", "fix"),
    [
        (
            EMBED.format(title="T", target="hello.main", name="x"),
            "docs/page.md:3",
            "write for example 'todo.main:app'",
        ),
        (
            EMBED.format(title="T", target="nosuch.main:app", name="x"),
            "docs/page.md:3",
            "Put the package 'nosuch/'",
        ),
        (
            EMBED.format(title="T", target="hello.main:app", name="Bad_Name"),
            "docs/page.md:3",
            "use lower-case letters",
        ),
        (
            "---\ntitle: T\n---\n\n# T\n\n```{live-asgi} hello.main:app\n:size: big\n```\n",
            "docs/page.md:7",
            "the options are name, requirements, path, height, autostart, debug",
        ),
        (
            "# T\n\n```{live-asgi} hello.main:app\nsome text\n```\n",
            "docs/page.md:3",
            "the app in the page has no module 'hello.main'",
        ),
        (
            EMBED.format(title="T", target="hello.main:application", name="x"),
            "docs/page.md:3",
            "has no top-level 'application'; it defines app. Fix the target: write 'hello.main:app'",
        ),
    ],
    ids=[
        "bad-target",
        "missing-module",
        "bad-name",
        "unknown-option-after-front-matter",
        "content",
        "no-attr",
    ],
)
def test_bad_block_fails_the_strict_build_naming_page_line_and_fix(
    tmp_path: Path, page: str, where: str, fix: str
) -> None:
    mkdocs_yml = make_site(tmp_path, {"index.md": "# Home\n", "page.md": page})
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode != 0
    assert f"live-asgi: {where}: " in proc.stderr, proc.stderr
    assert fix in proc.stderr, proc.stderr


def test_a_non_strict_build_shows_the_error_in_place_of_the_app(tmp_path: Path) -> None:
    mkdocs_yml = make_site(
        tmp_path, {"index.md": EMBED.format(title="T", target="nosuch.main:app", name="x")}
    )
    proc = build(mkdocs_yml)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "site/index.html").read_text()
    box = '<div class="admonition error live-asgi-error"><p class="admonition-title">Live app error</p>'
    assert box in html
    assert "docs/index.md:3" in html and "nosuch.main" in html
    assert read_page(tmp_path / "site/index.html").scripts == []


def test_one_name_for_two_apps_fails_naming_both_pages(tmp_path: Path) -> None:
    mkdocs_yml = make_site(
        tmp_path,
        {
            "a.md": EMBED.format(title="A", target="hello.main:app", name="demo"),
            "b.md": EMBED.format(title="B", target="greet.main:app", name="demo"),
        },
    )
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode != 0
    assert "docs/b.md:3: the app name 'demo' is already used for hello.main:app in docs/a.md:3" in proc.stderr
    assert "give this app its own :name:" in proc.stderr


def test_the_same_app_on_two_pages_is_fine(tmp_path: Path) -> None:
    block = EMBED.format(title="A", target="hello.main:app", name="demo")
    mkdocs_yml = make_site(tmp_path, {"a.md": block, "b.md": block})
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    assert len(read_page(tmp_path / "site/b/index.html").embeds) == 1


def test_a_fenced_example_of_the_syntax_is_left_alone(tmp_path: Path) -> None:
    page = """\
        # Showing the syntax

        ````markdown
        ```{live-asgi} nosuch.main:app
        :name: Not_Checked
        ```
        ````

        ~~~
        ```{live-asgi} also.not:checked
        ```
        ~~~

        ```{live-asgi} hello.main:app
        :name: hello
        ```
    """
    mkdocs_yml = make_site(tmp_path, {"index.md": page})
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "site/index.html").read_text()
    assert [e["name"] for e in read_page(tmp_path / "site/index.html").embeds] == ["hello"]
    assert "```{live-asgi} nosuch.main:app\n:name: Not_Checked\n```" in html
    assert "```{live-asgi} also.not:checked" in html


def test_enabled_false_writes_nothing_and_leaves_a_note(tmp_path: Path) -> None:
    mkdocs_yml = make_site(
        tmp_path,
        {"index.md": EMBED.format(title="T", target="nosuch.main:app", name="todo")},
        plugin={"enabled": False},
    )
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "site"
    html = (site / "index.html").read_text()
    assert "Live app “todo” (nosuch.main:app): not built, the live-asgi plugin is disabled." in html
    assert read_page(site / "index.html").embeds == [] and read_page(site / "index.html").scripts == []
    assert not (site / "assets/_live_asgi").exists() and not (site / "app").exists()


def test_a_bad_setting_stops_the_build_with_the_fix(tmp_path: Path) -> None:
    mkdocs_yml = make_site(tmp_path, {"index.md": "# Home\n"}, plugin={"pyodide": ""})
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode != 0
    assert 'live-asgi: mkdocs.yml: plugins: live-asgi: pyodide must be "cdn", "npm"' in proc.stderr, (
        proc.stderr
    )


def test_app_dirs_are_relative_to_mkdocs_yml_not_the_working_directory(tmp_path: Path) -> None:
    mkdocs_yml = make_site(
        tmp_path, {"index.md": EMBED.format(title="T", target="hello.main:app", name="hello")}
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(mkdocs_yml)],
        capture_output=True,
        text=True,
        check=False,
        cwd=elsewhere,
    )
    assert proc.returncode == 0, proc.stderr


def test_a_rebuild_forgets_the_embeds_of_the_previous_build(tmp_path: Path) -> None:
    """What ``mkdocs serve`` does: build, the author edits a page, build again."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    mkdocs_yml = make_site(
        tmp_path, {"index.md": EMBED.format(title="T", target="hello.main:app", name="demo")}
    )
    config = load_config(str(mkdocs_yml), strict=True)
    mkdocs_build(config)
    # The same name now names another app: stale state would call it a duplicate.
    (tmp_path / "docs/index.md").write_text(EMBED.format(title="T", target="greet.main:app", name="demo"))
    mkdocs_build(config)
    manifest = json.loads((tmp_path / "site/assets/_live_asgi/apps/demo/manifest.json").read_text())
    assert manifest["target"] == "greet.main:app"
    (tmp_path / "docs/index.md").write_text("# No app any more\n")
    mkdocs_build(config)
    assert read_page(tmp_path / "site/index.html").scripts == []


def test_a_dirty_build_after_an_upgrade_keeps_every_page_and_app_linking_what_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mkdocs build --dirty`` (and ``serve --dirty``) with other browser code, one page edited."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    mkdocs_yml = make_site(
        tmp_path,
        {
            "index.md": EMBED.format(title="A", target="hello.main:app", name="a"),
            "b.md": EMBED.format(title="B", target="greet.main:app", name="b"),
        },
    )
    mkdocs_build(load_config(str(mkdocs_yml)))
    # Other browser code (an upgrade of live-asgi-docs); only index.md is edited.
    upgraded = "code-0123456789ab"
    monkeypatch.setattr("live_asgi_docs.site.code_folder", lambda: upgraded)
    monkeypatch.setattr("live_asgi_docs.mkdocs_plugin.code_folder", lambda: upgraded)
    page = tmp_path / "docs/index.md"
    page.write_text(page.read_text() + "\nEdited.\n")
    later = (tmp_path / "site/index.html").stat().st_mtime + 10
    os.utime(page, (later, later))
    mkdocs_build(load_config(str(mkdocs_yml)), dirty=True)
    site = tmp_path / "site"
    assert [p.name for p in (site / "assets/_live_asgi").glob("code-*")] == [upgraded]
    for html_page, url in (("index.html", ""), ("b/index.html", "b/")):
        scripts = read_page(site / html_page).scripts
        assert [s["src"] for s in scripts] == [f"{get_relative(url)}assets/_live_asgi/{upgraded}/loader.js"]
    for app in ("a", "b"):
        folder = site / "assets/_live_asgi/apps" / app
        manifest = json.loads((folder / "manifest.json").read_text())
        for key in ("wheels", "stdlib", "sources", "bundle", "lock"):
            if key in manifest:
                assert (folder / manifest[key]).exists(), (app, key, manifest[key])


def get_relative(url: str) -> str:
    """The way from a page at ``url`` back to the site's root, as MkDocs writes it."""
    return "../" * url.count("/") if url else "./"


def test_material_theme_build_with_the_sample_syntax(tmp_path: Path) -> None:
    page = "# T\n\n```{live-asgi} hello.main:app\n---\nname: hello\npath: /x\n---\n```\n"
    mkdocs_yml = make_site(
        tmp_path,
        {"index.md": page},
        theme={"name": "material", "font": False},
        markdown_extensions=["pymdownx.superfences", "admonition"],
    )
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    [embed] = read_page(tmp_path / "site/index.html").embeds
    assert (embed["name"], embed["path"]) == ("hello", "/x")


def test_a_page_in_an_apps_folder_fails_the_strict_build_saying_what_to_rename(tmp_path: Path) -> None:
    pages = {
        "index.md": EMBED.format(title="Home", target="hello.main:app", name="hello"),
        "app/hello.md": "# About the hello app\n",
    }
    proc = build(make_site(tmp_path, pages), "--strict")
    assert proc.returncode != 0
    assert "live-asgi: app/hello.md: this page is written to app/hello/index.html" in proc.stderr
    assert "rename the page or its folder, or set the plugin's app_folder" in proc.stderr


def test_the_app_folder_is_a_setting(tmp_path: Path) -> None:
    pages = {
        "index.md": EMBED.format(title="Home", target="hello.main:app", name="hello"),
        "app/hello.md": "# About the hello app\n",
    }
    proc = build(make_site(tmp_path, pages, {"app_folder": "live"}), "--strict")
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "site"
    assert "About the hello app" in (site / "app/hello/index.html").read_text()
    assert (site / "live/hello/index.html").is_file() and (site / "live/live-asgi-sw.js").is_file()
    (embed,) = read_page(site / "index.html").embeds
    assert (embed["scope"], embed["sw"]) == ("live/hello/", "live/live-asgi-sw.js")


def test_defaults_caption_width_class_and_prompt(tmp_path: Path) -> None:
    page = (
        "# Options\n\n```{live-asgi} hello.main:app\n:caption: The hello app\n:width: 30em\n"
        ":class: wide\n:prompt: Say hello\n```\n\nSee [the demo](#live-asgi-hello).\n"
    )
    mkdocs_yml = make_site(tmp_path, {"index.md": page}, {"defaults": {"height": "600px", "debug": True}})
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "site/index.html").read_text()
    assert '<figure class="live-asgi-figure" id="live-asgi-hello"><div class="live-asgi wide" ' in html
    assert "<figcaption>The hello app</figcaption></figure>" in html
    assert "--live-asgi-height: 600px; --live-asgi-width: 30em" in html
    config = json.loads(re.search(r'data-live-asgi="([^"]*)"', html)[1].replace("&quot;", '"'))  # type: ignore[index]
    assert (config["autostart"], config["prompt"]) == ("click", "Say hello")
    manifest = json.loads((tmp_path / "site/assets/_live_asgi/apps/hello/manifest.json").read_text())
    assert manifest["debug"] is True


def test_a_bad_default_stops_the_build_with_the_fix(tmp_path: Path) -> None:
    mkdocs_yml = make_site(tmp_path, {"index.md": "# Home\n"}, {"defaults": {"autostart": "hover"}})
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode != 0
    assert (
        "live-asgi: mkdocs.yml: plugins: live-asgi: defaults: autostart 'hover' is not one of" in proc.stderr
    )


def test_precompress_stores_the_archives_and_writes_their_siblings(tmp_path: Path) -> None:
    mkdocs_yml = make_site(
        tmp_path,
        {"index.md": EMBED.format(title="Hi", target="hello.main:app", name="hello")},
        {"precompress": True},
    )
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    assets = tmp_path / "site" / "assets" / "_live_asgi"
    archives = [p for p in assets.rglob("*") if p.suffix == ".zip"]
    # The standard library a start mounts, the rest of it, and the app's code.
    assert {"python_stdlib.zip", "python_stdlib_late.zip"} <= {p.name for p in archives}
    assert len(archives) == 3
    for archive in archives:
        with zipfile.ZipFile(archive) as zf:
            assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_STORED}
        sibling = archive.with_name(archive.name + ".gz")
        assert gzip.decompress(sibling.read_bytes()) == archive.read_bytes()
        assert archive.with_name(archive.name + ".br").stat().st_size < sibling.stat().st_size


def test_a_precompressed_site_announces_what_travels_and_logs_the_same(tmp_path: Path) -> None:
    mkdocs_yml = make_site(
        tmp_path,
        {"index.md": EMBED.format(title="Hi", target="hello.main:app", name="hello")},
        {"precompress": True, "pyodide": "npm"},
    )
    proc = build(mkdocs_yml, "--strict")
    assert proc.returncode == 0, proc.stderr
    (config,) = embed_configs(tmp_path / "site" / "index.html")
    fetched = cold_start_files(tmp_path / "site" / "assets" / "_live_asgi", "hello")
    sent = brotli_bytes(fetched)
    assert 0.9 * sent < config["download"] < 1.1 * sent
    # The progress bar's scale: what the browser decodes.
    assert config["decoded"] == sum(f.stat().st_size for f in fetched)
    said = re.search(r"app 'hello': a reader downloads ([\d.]+) MB, Brotli-compressed", proc.stderr)
    assert said and said[1] == f"{config['download'] / 1e6:.1f}", proc.stderr
