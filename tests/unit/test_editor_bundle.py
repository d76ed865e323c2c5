"""The vendored editor (live_asgi_docs/browser/codemirror.js) matches the versions it was made from."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "live_asgi_docs" / "browser" / "codemirror.js"
SOURCE = REPO / "vendor" / "codemirror"


def header() -> str:
    text = BUNDLE.read_text(encoding="utf-8")
    return text[: text.index("*/")]


def test_bundle_was_made_from_the_current_lock_and_entry() -> None:
    inputs = hashlib.sha256()
    for name in ("package-lock.json", "entry.js"):
        inputs.update((SOURCE / name).read_bytes())
    recorded = re.search(r"inputs-sha256: ([0-9a-f]{64})", header())
    assert recorded, "codemirror.js has no inputs-sha256 header: run scripts/vendor-editor"
    assert recorded[1] == inputs.hexdigest(), (
        "codemirror.js is stale: vendor/codemirror/package-lock.json or entry.js changed since it was "
        "made; run scripts/vendor-editor and commit the result"
    )


def test_recorded_versions_are_those_of_the_lock() -> None:
    lock = json.loads((SOURCE / "package-lock.json").read_text())["packages"]
    listed = re.findall(r"^ \* ((?:@[\w.-]+/)?[\w.-]+) (\d[\w.+-]*) \((\w+)\)$", header(), re.M)
    assert {name for name, _, _ in listed} >= {
        "@codemirror/view",
        "@codemirror/state",
        "@codemirror/lang-python",
    }
    for name, version, licence in listed:
        assert lock[f"node_modules/{name}"]["version"] == version, name
        assert licence == "MIT", name
    # Every package the entry imports is pinned by the lock.
    for name in set(re.findall(r'from "([^"]+)"', (SOURCE / "entry.js").read_text())):
        assert f"node_modules/{name}" in lock, name
