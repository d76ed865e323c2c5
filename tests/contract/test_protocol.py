"""The browser reads what Python writes: a real build's embed settings and
manifests go through ``browser/protocol.js`` (in Node), and the key tables on
both sides are the same."""

from __future__ import annotations

import json
import re
import subprocess
import typing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from live_asgi_docs import protocol
from live_asgi_docs.bridge import NULL_BODY_STATUSES

PROTOCOL_JS = Path(protocol.__file__).parent / "browser" / "protocol.js"

# Reads {configs: [json text], manifests: [object]} on stdin and answers what
# protocol.js makes of them, with its key tables.
READ = """
const protocol = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { configs, manifests } = JSON.parse(input);
process.stdout.write(JSON.stringify({
  configs: configs.map((text) => protocol.readEmbedConfig(text)),
  manifests: manifests.map((value) => protocol.readManifest(value)),
  configKeys: protocol.EMBED_CONFIG_KEYS,
  manifestKeys: protocol.MANIFEST_KEYS,
  nullBody: [...protocol.NULL_BODY],
}));
"""

JSON_TYPES = {str: "string", int: "number", bool: "boolean", list[str]: "string[]"}


def read_in_node(configs: list[str], manifests: list[object]) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", READ, PROTOCOL_JS.as_uri()],
        input=json.dumps({"configs": configs, "manifests": manifests}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


class _Embeds(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.configs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        value = dict(attrs).get("data-live-asgi")
        if value is not None:
            self.configs.append(value)


def embeds_of(site: Path) -> list[tuple[Path, str]]:
    """Every embed's ``data-live-asgi`` text, with its page."""
    found = []
    for page in sorted(site.rglob("*.html")):
        parser = _Embeds()
        parser.feed(page.read_text(encoding="utf-8"))
        found += [(page, text) for text in parser.configs]
    return found


def key_table(typed_dict: Any) -> dict[str, dict[str, object]]:
    """A TypedDict as protocol.js writes its key tables."""
    table: dict[str, dict[str, object]] = {}
    for key, hint in typing.get_type_hints(typed_dict).items():
        # A nested TypedDict travels as a JSON object.
        entry: dict[str, object] = {"type": "object" if typing.is_typeddict(hint) else JSON_TYPES[hint]}
        if key in typed_dict.__optional_keys__:
            entry["optional"] = True
        table[key] = entry
    return table


@pytest.fixture(scope="module")
def mkdocs_site(tmp_path_factory: pytest.TempPathFactory, build_sample_mkdocs: Any) -> Path:
    out = tmp_path_factory.mktemp("contract-mkdocs")
    build_sample_mkdocs(out, "http://127.0.0.1:8000/docs/")
    return out


@pytest.fixture(params=["sphinx", "mkdocs"])
def site(request: pytest.FixtureRequest) -> Path:
    name = "sample_sphinx_site" if request.param == "sphinx" else "mkdocs_site"
    built: Path = request.getfixturevalue(name)
    return built


def test_the_key_tables_of_both_sides_are_the_same() -> None:
    read = read_in_node([], [])
    assert read["configKeys"] == key_table(protocol.EmbedConfig)
    assert read["manifestKeys"] == key_table(protocol.Manifest)
    assert sorted(read["nullBody"]) == sorted(NULL_BODY_STATUSES)


def test_what_a_build_writes_is_what_the_browser_reads(site: Path) -> None:
    embeds = embeds_of(site)
    manifests = sorted(site.rglob(protocol.MANIFEST_NAME))
    assert embeds and manifests
    written = [json.loads(text) for _, text in embeds]
    loaded = [json.loads(m.read_text()) for m in manifests]
    read = read_in_node([text for _, text in embeds], loaded)
    # Read without an error, and nothing lost on the way.
    assert read["configs"] == written
    assert read["manifests"] == loaded
    assert all(set(c) <= set(read["configKeys"]) for c in written)
    assert all(set(m) <= set(read["manifestKeys"]) for m in loaded)


def test_every_url_in_the_settings_leads_to_a_written_file(site: Path) -> None:
    for page, text in embeds_of(site):
        config = json.loads(text)
        root = (page.parent / config["root"]).resolve()
        assets = (page.parent / config["assets"]).resolve()
        assert (root / config["sw"]).is_file()
        assert (root / config["scope"] / "index.html").is_file()
        assert (assets / config["manifest"]).is_file()
        if not config["runtime"].startswith("https:"):
            assert (assets / config["runtime"] / "pyodide.mjs").is_file()


def test_the_service_worker_imports_the_modules_of_the_build(site: Path) -> None:
    sw = site / protocol.sw_path()
    imports = re.findall(r'^(?:import .*|}) from "([^"]+)";$', sw.read_text(), re.MULTILINE)
    assert "protocol.js" in {Path(i).name for i in imports}
    for specifier in imports:
        module = (sw.parent / specifier).resolve()
        assert module.read_bytes() == (PROTOCOL_JS.parent / module.name).read_bytes()
