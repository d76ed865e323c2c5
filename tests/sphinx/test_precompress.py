"""The precompress setting: ``.br``/``.gz`` siblings of the large files, where they pay."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from typing import Any

import pytest

from live_asgi_docs.site import code_folder

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
    # Already deflated (the standard library, pydantic-core): a sibling would not pay.
    # Sources that only a traceback fetches: none.
    names = [p.relative_to(assets).as_posix() for p in siblings]
    assert not [n for n in names if "python_stdlib.zip" in n or "pydantic_core" in n or "/sources/" in n]


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"live_asgi_precompress": True}, freshenv=True)
def test_turning_the_setting_off_removes_the_siblings(app: Any, app_params: Any, make_app: Any) -> None:
    app.build()
    out = Path(app.outdir)
    worker = out / "_static" / "_live_asgi" / code_folder() / "worker.js"
    assert gzip.decompress(worker.with_name("worker.js.gz").read_bytes()) == worker.read_bytes()
    args, kwargs = app_params
    kwargs["confoverrides"] = {"live_asgi_precompress": False}
    make_app(*args, **kwargs).build()
    assert worker.is_file()
    assert not [p for p in out.rglob("*") if p.suffix in (".br", ".gz")]
