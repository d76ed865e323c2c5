"""What a failed resolution tells the author about the versions an index has."""

from __future__ import annotations

from live_asgi_docs.diagnose import describe_files


def test_describe_files_classifies_what_each_version_ships() -> None:
    text = describe_files(
        "demo",
        [
            "demo-2.0.tar.gz",
            "demo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "demo-2.0-cp312-cp312-win_amd64.whl",
            "demo-1.0-cp312-cp312-pyodide_2024_0_wasm32.whl",
        ],
    )
    assert text.startswith("2.0: native manylinux wheels, native win wheels, source only (sdist)")
    assert "1.0: Pyodide wheel for cp312/pyodide_2024_0_wasm32" in text
