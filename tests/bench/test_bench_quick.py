"""The benchmark's short mode runs end to end (CI keeps it from rotting; it does not judge figures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def test_the_quick_benchmark_measures_every_figure_against_its_floor(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(out.read_text())
    for name in (
        "cold start",
        "revisit",
        "small request",
        "1 MB response",
        "small request, Python alone",
        "websocket round trip",
    ):
        assert summary[name]["ratio"] > 0, name
    for name in ("50 concurrent", "cold bytes transferred", "worker wasm memory", "floor cold", "floor warm"):
        assert summary[name]["median"] > 0, name
    # What a reader would notice: the stream arrives progressively, and the
    # second visit starts from the snapshot the first one left.
    assert summary["stream first chunk"]["median"] < summary["stream last chunk"]["median"] / 5
    assert summary["revisit from snapshot (1 = yes)"]["median"] == 1
    assert "| cold start |" in proc.stdout
