"""Precompressed copies of a site's large files: ``<file>.gz`` and ``<file>.br``.

Some static hosts send a browser that accepts gzip or Brotli the file's
precompressed sibling instead of compressing on every request (nginx
``gzip_static``/``brotli_static``, Caddy ``file_server { precompressed }``,
``python -m live_asgi_docs.serve``). A sibling is written only where it pays:
files of at least :data:`MIN_BYTES` that shrink to :data:`MAX_RATIO` of their
size or less (the wasm, JavaScript and JSON do; zips and wheels, already
deflated, do not).

gzip comes from the standard library (level 9); Brotli (quality 11) from
Node.js's ``zlib`` (``node/brotli.mjs``), so no Python dependency is added;
without Node only ``.gz`` files are written. Brotli 11 takes a minute for the
runtime's wasm, so every result is cached by the content it was made from.

The archives the build writes (the standard library with bytecode, the
wheels, the apps' bundles) are deflated file by file, which leaves nothing
for a sibling to gain. A precompressed site writes them with every entry
*stored* instead (:func:`stored_zip`): their siblings then compress across
files (FastAPI's closure: 6.5 MB of deflated zips, 4.4 MB of Brotli siblings),
the browser decodes them natively, and nothing is left to inflate after.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from .packages import publish_dir

__all__ = [
    "ENCODINGS",
    "MAX_RATIO",
    "MIN_BYTES",
    "precompress",
    "remove_siblings",
    "sent_size",
    "stored_archive",
    "stored_size",
    "stored_zip",
]

#: The siblings' suffixes, best first (what a server prefers when both are accepted).
ENCODINGS = (".br", ".gz")
#: Smaller files gain less than a request's headers.
MIN_BYTES = 1024
#: A sibling must be at most this fraction of the file, or it is not written.
MAX_RATIO = 0.9
NODE_SCRIPT = Path(__file__).parent / "node" / "brotli.mjs"
#: Brotli 11 of the 9.6 MB wasm takes up to two minutes on a busy machine.
TIMEOUT = 900


def _cached(cache: Path, data: bytes, suffix: str) -> Path:
    return cache / f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"


def _brotli(jobs: list[tuple[bytes, Path]], cache: Path) -> str:
    """Compress with Node's Brotli into the cache; return why not, or ``""``."""
    node = shutil.which("node")
    if node is None:
        return "Node.js is not on PATH: no .br files"
    with tempfile.TemporaryDirectory(dir=cache, ignore_cleanup_errors=True) as tmp:
        pairs = []
        for i, (data, target) in enumerate(jobs):
            source = Path(tmp) / f"{i}.in"
            source.write_bytes(data)
            pairs.append([str(source), str(Path(tmp) / f"{i}.br"), str(target)])
        (Path(tmp) / "job.json").write_text(json.dumps([p[:2] for p in pairs]))
        try:
            proc = subprocess.run(
                [node, str(NODE_SCRIPT), str(Path(tmp) / "job.json")],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"Brotli in Node took more than {TIMEOUT} s: no .br files"
        if proc.returncode != 0:
            return f"Brotli in Node failed: {proc.stderr.strip()[-300:]}"
        for _, made, into in pairs:
            publish_dir(Path(made), Path(into), Path.is_file)
    return ""


def precompress(files: Iterable[Path], cache_dir: Path) -> tuple[int, str]:
    """Write the siblings of ``files`` that pay; remove those that no longer do.

    Returns:
        How many siblings the files have now, and a note on what could not be
        done (``""`` when nothing was left out).
    """
    cache = cache_dir / "precompressed"
    cache.mkdir(parents=True, exist_ok=True)
    todo: list[tuple[Path, bytes]] = []
    for file in files:
        if file.suffix in ENCODINGS or not file.is_file():
            continue
        if file.stat().st_size < MIN_BYTES:
            remove_siblings([file])
            continue
        todo.append((file, file.read_bytes()))
    missing = []
    for _, data in todo:
        gz = _cached(cache, data, ".gz")
        if not gz.is_file():
            tmp = gz.with_name(gz.name + ".tmp")
            tmp.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            publish_dir(tmp, gz, Path.is_file)
        br = _cached(cache, data, ".br")
        if not br.is_file():
            missing.append((data, br))
    note = _brotli(missing, cache) if missing else ""
    written = 0
    for file, data in todo:
        for suffix in ENCODINGS:
            made = _cached(cache, data, suffix)
            sibling = file.with_name(file.name + suffix)
            if made.is_file() and made.stat().st_size <= MAX_RATIO * len(data):
                if not (sibling.is_file() and sibling.read_bytes() == made.read_bytes()):
                    shutil.copyfile(made, sibling)
                written += 1
            else:
                sibling.unlink(missing_ok=True)
    return written, note


def sent_size(file: Path) -> tuple[int, str]:
    """What ``file`` weighs as a browser that accepts Brotli gets it, and the encoding.

    Its best sibling (``.br``, else ``.gz``: as the hosts above pick), else the
    file itself (``""``: no sibling, it travels as it is).
    """
    for suffix in ENCODINGS:
        sibling = file.with_name(file.name + suffix)
        if sibling.is_file():
            return sibling.stat().st_size, suffix
    return file.stat().st_size, ""


def remove_siblings(files: Iterable[Path]) -> None:
    """Remove the precompressed siblings of ``files`` (a site built without them)."""
    for file in files:
        for suffix in ENCODINGS:
            file.with_name(file.name + suffix).unlink(missing_ok=True)


def stored_zip(data: bytes) -> bytes:
    """The zip archive ``data`` with every entry stored, its names, order and dates kept."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
        zout.comment = zin.comment
        for entry in zin.infolist():
            info = zipfile.ZipInfo(entry.filename, entry.date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = entry.create_system
            info.external_attr = entry.external_attr
            info.comment = entry.comment
            zout.writestr(info, zin.read(entry))
    return buf.getvalue()


def stored_archive(archive: Path, cache_dir: Path) -> Path:
    """:func:`stored_zip` of a file, cached by its content."""
    data = archive.read_bytes()
    cache = cache_dir / "stored"
    target = _cached(cache, data, archive.suffix)
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(stored_zip(data))
        publish_dir(tmp, target, Path.is_file)
    return target


def stored_size(archive: Path) -> int:
    """About the size of ``archive`` with its entries stored (known before writing it)."""
    with zipfile.ZipFile(archive) as zf:
        entries = zf.infolist()
    # A local header and a directory entry each (30 + 46 bytes and the name twice).
    return sum(e.file_size + 76 + 2 * len(e.filename.encode()) for e in entries) + 22
