"""The precompress setting: ``.br``/``.gz`` siblings of the large files, where they pay."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import brotli_bytes, cold_start_files, embed_configs

from live_asgi_docs.site import CDN_RUNTIME_BYTES, code_folder

UNBROTLI = (
    "const fs = require('node:fs'), zlib = require('node:zlib');"
    "process.stdout.write(zlib.brotliDecompressSync(fs.readFileSync(process.argv[1])));"
)


def unbrotli(path: Path) -> bytes:
    return subprocess.run(["node", "-e", UNBROTLI, str(path)], capture_output=True, check=True).stdout


def test_a_vendored_build_has_siblings_with_the_same_bytes_where_they_pay(sample_sphinx_site: Path) -> None:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    for name in ("pyodide/pyodide.asm.wasm", "pyodide/pyodide.asm.mjs", f"{code_folder()}/worker.js"):
        file = assets / name
        data = file.read_bytes()
        br, gz = file.with_name(file.name + ".br"), file.with_name(file.name + ".gz")
        assert gzip.decompress(gz.read_bytes()) == data, name
        assert unbrotli(br) == data, name
        # Brotli beats gzip, and both pay.
        assert br.stat().st_size < gz.stat().st_size <= 0.9 * len(data), name
    assert (sample_sphinx_site / "app" / "live-asgi-sw.js.br").is_file()
    siblings = [p for p in assets.rglob("*") if p.suffix in (".br", ".gz")]
    for sibling in siblings:
        assert sibling.stat().st_size <= 0.9 * sibling.with_suffix("").stat().st_size, sibling
    # Sources that only a traceback fetches: none.
    names = [p.relative_to(assets).as_posix() for p in siblings]
    assert not [n for n in names if "/sources/" in n]


def served_archives(assets: Path) -> list[Path]:
    """The archives the build writes (not the runtime's own standard library)."""
    return [
        p for p in sorted(assets.rglob("*")) if p.suffix in (".zip", ".whl") and p.parent.name != "pyodide"
    ]


def methods(archive: Path) -> set[int]:
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None, archive
        return {info.compress_type for info in zf.infolist()}


def test_a_precompressed_sites_archives_are_stored_and_their_siblings_compress_across_files(
    sample_sphinx_site: Path,
) -> None:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    archives = served_archives(assets)
    names = [p.name for p in archives]
    assert "python_stdlib.zip" in names and any(n.startswith("pydantic_core-") for n in names)
    assert any(n.startswith("app-") for n in names)
    brotli = deflated = 0
    for archive in archives:
        # Nothing left to inflate after the browser decoded the sibling.
        assert methods(archive) == {zipfile.ZIP_STORED}, archive
        br = archive.with_name(archive.name + ".br")
        assert unbrotli(br) == archive.read_bytes(), archive
        assert gzip.decompress(archive.with_name(archive.name + ".gz").read_bytes()) == archive.read_bytes()
        brotli += br.stat().st_size
        # What the archive would be deflated file by file (level 9, as the build did).
        out = io.BytesIO()
        with (
            zipfile.ZipFile(archive) as zin,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout,
        ):
            for info in zin.infolist():
                zout.writestr(info.filename, zin.read(info))
        deflated += len(out.getvalue())
    # Brotli across files beats deflate per file by far (FastAPI's: 4.4 MB against 6.5 MB).
    assert brotli < 0.75 * deflated
    # The locks name the files served: Pyodide checks their hashes.
    for manifest_file in assets.glob("apps/*/manifest.json"):
        manifest = json.loads(manifest_file.read_text())
        lock = json.loads((manifest_file.parent / manifest["lock"]).read_text())
        for name in manifest["packages"]:
            entry = lock["packages"][name]
            wheel = (manifest_file.parent / manifest["wheels"] / entry["file_name"]).resolve()
            assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"], wheel


def test_the_size_an_embed_announces_is_what_travels_and_the_progress_bar_counts_decoded_bytes(
    sample_sphinx_site: Path,
) -> None:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    (config,) = embed_configs(sample_sphinx_site / "index.html")
    fetched = cold_start_files(assets, config["name"])
    # The big files all travel as Brotli siblings: the reader is told their size.
    assert all(f.with_name(f.name + ".br").is_file() for f in fetched if f.stat().st_size > 100_000)
    sent = brotli_bytes(fetched)
    assert 0.9 * sent < config["download"] < 1.1 * sent
    # The worker counts decoded bytes: the progress bar's scale.
    decoded = sum(p.stat().st_size for p in fetched)
    assert 0.9 * decoded < config["decoded"] < 1.1 * decoded
    assert config["decoded"] > 3 * config["download"]
    # The app's own page (its URL opened in a tab) says the same.
    (shell,) = embed_configs(sample_sphinx_site / "app" / config["name"] / "index.html")
    assert (shell["download"], shell["decoded"]) == (config["download"], config["decoded"])


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"live_asgi_precompress": True}, freshenv=True)
def test_turning_the_setting_off_removes_the_siblings(app: Any, app_params: Any, make_app: Any) -> None:
    app.build()
    out = Path(app.outdir)
    # The log says what the page announces (the runtime from the CDN counts as it is).
    for config in embed_configs(out / "index.html"):
        assert CDN_RUNTIME_BYTES - 3_000_000 < config["download"] < config["decoded"]
        said = re.search(
            rf"app '{config['name']}': a reader downloads ([\d.]+) MB \(", app._status.getvalue()
        )
        assert said and said[1] == f"{config['download'] / 1e6:.1f}", app._status.getvalue()
    worker = out / "_static" / "_live_asgi" / code_folder() / "worker.js"
    assert gzip.decompress(worker.with_name("worker.js.gz").read_bytes()) == worker.read_bytes()
    assets = out / "_static" / "_live_asgi"
    assert served_archives(assets)
    assert all(methods(p) == {zipfile.ZIP_STORED} for p in served_archives(assets))
    args, kwargs = app_params
    kwargs["confoverrides"] = {"live_asgi_precompress": False}
    make_app(*args, **kwargs).build()
    assert worker.is_file()
    assert not [p for p in out.rglob("*") if p.suffix in (".br", ".gz")]
    # Without siblings, the files travel as they are (a host may compress some on the fly).
    for config in embed_configs(out / "index.html"):
        assert config["download"] == config["decoded"]
    # Hosts that compress on the fly leave zips alone: they stay deflated.
    archives = served_archives(assets)
    assert {p.name for p in archives} >= {"python_stdlib.zip"} and len(archives) > 1
    assert all(methods(p) == {zipfile.ZIP_DEFLATED} for p in archives)
