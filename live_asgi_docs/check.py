"""The opt-in build-time check: every app started in Pyodide under Node.

With ``live_asgi_check = True`` (MkDocs: ``check: true``) the build boots each
app the way a reader's browser will (the same runtime, lock, wheels, bundle
and bridge, from the built site), runs its lifespan startup and requests its
first page (``:path:``), with ``node/check.mjs`` and ``node/check_probe.py``.
A failure becomes a build error at the embed with the app's own exception,
instead of a message only readers see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import protocol
from .options import EmbedOptions, OptionError
from .runtime import locate_runtime

if TYPE_CHECKING:
    from .site import LiveSite

__all__ = ["CheckResult", "check_site"]

PACKAGE_DIR = Path(__file__).parent
#: The Node side: ``check.mjs`` runs ``check_probe.py`` in Pyodide.
NODE_DIR = PACKAGE_DIR / "node"
REPORT_MARK = "live-asgi-check-report:"
#: How long one app may take to start and answer under Node. A cold Pyodide
#: start with FastAPI takes seconds; minutes mean it hangs.
TIMEOUT_S = 600


@dataclass(frozen=True)
class CheckResult:
    """How one app's build-time check went.

    Attributes:
        options: The embed that was checked.
        ok: Whether the app started and its first page answered.
        stage: Where it failed: ``install``, ``import``, ``startup``, ``request``
            or ``runtime`` (Pyodide itself).
        error: The app's exception (type and message) or what went wrong.
        where: The innermost place in the app's own code, ``path:line``.
        status: The status of the first page (0 if never answered).
        traceback: The full traceback, for the build log.
        seconds: How long the start and the request took.
    """

    options: EmbedOptions
    ok: bool
    stage: str = ""
    error: str = ""
    where: str = ""
    status: int = 0
    traceback: str = ""
    seconds: float = 0.0

    def message(self) -> str:
        """What the build says about a failure: what failed, the app's exception, the fix."""
        options = self.options
        doing = {
            "install": "installing its packages",
            "import": "importing it",
            "startup": "its lifespan startup",
            "request": f"requesting its first page GET {options.path}",
        }.get(self.stage, "starting Pyodide")
        at = f" (raised at {self.where})" if self.where else ""
        return (
            f"the app {options.name!r} ({options.target}) fails in Pyodide while {doing}: "
            f"{self.error.rstrip('.')}{at}. Readers would see this failure; fix the app or its "
            ":requirements: (a missing package is a missing requirement), or set the :path: of a page "
            "that works"
        )

    def summary(self) -> str:
        """What the build says about a success."""
        return f"GET {self.options.path} answered {self.status} ({self.seconds:.1f} s in Pyodide under Node)"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise OptionError(
            "the check setting (live_asgi_check, check: true) starts each app in Pyodide under "
            "Node.js, and node is not on PATH; install Node.js 18+ or turn the check off"
        )
    return node


def _runtime_dir(site: LiveSite, outdir: Path) -> Path:
    # The runtime the site vendors, or (a site that loads it from the CDN) the
    # same release from npm: Node cannot use the CDN's files from here.
    vendored = outdir / site.assets / "pyodide"
    if (vendored / "pyodide.mjs").is_file():
        return vendored
    directory = locate_runtime("npm", cache_dir=site.cache_dir, base_dir=site.config_dir).directory
    assert directory is not None
    return directory


def _check_one(
    node: str, runtime: Path, manifest_file: Path, options: EmbedOptions, source_root: Path
) -> CheckResult:
    manifest: protocol.Manifest = json.loads(manifest_file.read_text())
    app_dir = manifest_file.parent
    job = {
        "runtime": str(runtime),
        "lock": str(app_dir / manifest["lock"]),
        "wheels": str((app_dir / manifest["wheels"]).resolve()),
        "packages": manifest["packages"],
        "bundle": str(app_dir / manifest["bundle"]),
        # The files the site ships are copies of these.
        "bridge": str(PACKAGE_DIR / "bridge.py"),
        "compat": str(PACKAGE_DIR / "pyodide_compat.py"),
        "probe": str(NODE_DIR / "check_probe.py"),
        "target": options.target,
        "name": options.name,
        "path": options.path,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    try:
        proc = subprocess.run(
            [node, str(NODE_DIR / "check.mjs"), f.name],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return CheckResult(options, ok=False, stage="runtime", error=f"no answer within {TIMEOUT_S} s")
    finally:
        os.unlink(f.name)
    reports = [line for line in proc.stdout.splitlines() if line.startswith(REPORT_MARK)]
    if not reports:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])[-500:]
        return CheckResult(
            options, ok=False, stage="runtime", error=f"Node exited with {proc.returncode}: {tail}"
        )
    report: dict[str, Any] = json.loads(reports[-1][len(REPORT_MARK) :])
    # The bundle holds the app's files as they lie under their app directory.
    where = f"{source_root / report['file']}:{report.get('line', 0)}" if report.get("file") else ""
    return CheckResult(
        options,
        ok=bool(report.get("ok")),
        stage=str(report.get("stage", "")),
        error=str(report.get("error", "")),
        where=where,
        status=int(report.get("status", 0)),
        traceback=str(report.get("traceback", "")),
        seconds=float(report.get("total_s", 0.0)),
    )


def check_site(site: LiveSite, outdir: Path, embeds: Iterable[EmbedOptions]) -> list[CheckResult]:
    """Check every app of a written site (one check per app name), in name order.

    Raises:
        OptionError: when Node.js or the runtime cannot be had.
    """
    node = _node()
    runtime = _runtime_dir(site, outdir)
    assets = outdir / site.assets
    unique = sorted({e.name: e for e in embeds}.values(), key=lambda e: e.name)
    # Two at a time: each is a whole interpreter (hundreds of MB), and most
    # build machines have few cores.
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        return list(
            pool.map(
                lambda options: _check_one(
                    node,
                    runtime,
                    assets / protocol.manifest_path(options.name),
                    options,
                    site.prepare(options)[0].root,
                ),
                unique,
            )
        )
