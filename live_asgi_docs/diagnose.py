"""Turning pip's failure to resolve requirements for Pyodide into advice for an author."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections import defaultdict
from typing import TYPE_CHECKING

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from . import pyodide_pin
from .options import PYODIDE_VERSION

if TYPE_CHECKING:
    from .packages import Distribution

__all__ = ["describe_files", "explain_failure"]

PLATFORM_TAG = pyodide_pin.PLATFORM_TAG
_NO_VERSION = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>\S+)(?: \(from (?P<parent>[^)]*)\))?"
    r".*?\(from versions: (?P<versions>[^)]*)\)"
)
_FETCHING = re.compile(r"while fetching (?P<url>\S+)")
_NO_MATCH = re.compile(r"No matching distribution found for (?P<req>\S+)")
_UNREACHABLE = (
    "Could not fetch URL",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Name or service not known",
    "Temporary failure in name resolution",
    "Max retries exceeded",
    "Connection refused",
    "ConnectTimeoutError",
)


def _index_url(index_url: str | None) -> str | None:
    if index_url:
        return index_url
    env = os.environ.get("PIP_INDEX_URL")
    if env:
        return env
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    try:
        from pip._internal.models.index import PyPI  # pip's own default index

        return str(PyPI.simple_url)
    except Exception:  # pragma: no cover - pip internals moved
        return None


def _files(index: str, name: str) -> list[str] | None:
    url = index.rstrip("/") + "/" + str(canonicalize_name(name)) + "/"
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            data = json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return [f["filename"] for f in data.get("files", []) if isinstance(f, dict) and "filename" in f]


def _platform_family(platform: str) -> str:
    for family in (
        "manylinux",
        "musllinux",
        "macosx",
        "win",
        "pyodide",
        "pyemscripten",
        "emscripten",
        "linux",
        "ios",
        "android",
    ):
        if platform.startswith(family):
            return family
    return platform


def describe_files(name: str, files: list[str], newest: int = 4) -> str:
    """Say, per version, what kinds of files an index has for a package."""
    kinds: dict[Version, set[str]] = defaultdict(set)
    for filename in files:
        try:
            if filename.endswith(".whl"):
                _, version, _, tags = parse_wheel_filename(filename)
                for tag in tags:
                    if tag.platform == "any":
                        kinds[version].add(f"pure wheel for {tag.interpreter}")
                    elif tag.platform.startswith(("pyodide", "pyemscripten", "emscripten")):
                        kinds[version].add(f"Pyodide wheel for {tag.interpreter}/{tag.platform}")
                    else:
                        kinds[version].add(f"native {_platform_family(tag.platform)} wheels")
            elif filename.endswith((".tar.gz", ".zip")):
                _, version = parse_sdist_filename(filename)
                kinds[version].add("source only (sdist)")
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
    if not kinds:
        return f"the index has no files for {name}"
    versions = sorted(kinds, reverse=True)
    parts = [f"{v}: {', '.join(sorted(kinds[v]))}" for v in versions[:newest]]
    more = f" (and {len(versions) - newest} older versions)" if len(versions) > newest else ""
    return "; ".join(parts) + more


def explain_failure(
    requirements: tuple[str, ...],
    output: str,
    *,
    index_url: str | None,
    distribution: Distribution | None,
) -> str:
    """The message for a resolution pip could not do: what, why, and what to do."""
    wanted = ", ".join(requirements)
    head = f"could not resolve the requirements {wanted} for Pyodide {PYODIDE_VERSION}"
    missing = _no_wheel(output)
    if missing is None and ("ResolutionImpossible" in output or "conflict is caused by" in output):
        lines = [line.strip() for line in output.splitlines()]
        start = next((i for i, line in enumerate(lines) if "conflict is caused by" in line), None)
        detail = "\n".join(lines[start : start + 6]) if start is not None else ""
        return (
            f"{head}: the requirements conflict.\n{detail}\n"
            "Loosen or change the pins so that one version of each package satisfies all of them."
        )
    if any(marker in output for marker in _UNREACHABLE) and (
        "from versions:" not in output or "from versions: none)" in output
    ):
        fetching = _FETCHING.search(output)
        if distribution is not None and fetching and fetching.group("url").startswith(distribution.base_url):
            return (
                f"{head}: Pyodide's package distribution {distribution.base_url} could not be reached "
                f"({_last_error(output)}) to fetch {fetching.group('url').rsplit('/', 1)[-1]}, which only "
                "it has. Check the network or proxy, or set the pyodide_packages setting "
                "(live_asgi_pyodide_packages / pyodide_packages) to a reachable copy: a URL or a directory "
                f"with Pyodide {PYODIDE_VERSION}'s pyodide-lock.json and its wheels."
            )
        index = _index_url(index_url) or "the configured index"
        return (
            f"{head}: the package index {index} could not be reached ({_last_error(output)}). "
            "Check the network or proxy, or set the index setting (live_asgi_index_url / index_url) "
            "to a reachable mirror; builds with an unchanged requirement set use the download cache."
        )
    if missing is not None:
        req, parent = missing
        name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
        needed = f" (needed by {parent})" if parent else ""
        package_index = _index_url(index_url)
        files = _files(package_index, name) if package_index else None
        looked = (
            describe_files(name, files)
            if files is not None
            else "the index could not be asked which files it has"
        )
        in_distribution = (
            " Pyodide's own package distribution (which has builds of many such packages) could not "
            "be read; check the pyodide_packages setting and the network."
        )
        if distribution is not None:
            in_distribution = ""
            entry = distribution.lock.get("packages", {}).get(str(canonicalize_name(name)))
            if entry:
                in_distribution = (
                    f" Pyodide's own distribution has {name} {entry['version']} "
                    f"({distribution.base_url}{entry['file_name']}), "
                    "but the version asked for does not match it."
                )
        return (
            f"{head}: no wheel of {req}{needed} can run in Pyodide. Pyodide installs pure-Python "
            f"wheels (py3-none-any) and wheels built for {PLATFORM_TAG}; the index has {looked}."
            f"{in_distribution} What you can do: pin a version that has such a wheel; for a pure-Python "
            f"package that ships only an sdist, build its wheel ('pip wheel --no-deps {name}') and list the "
            "'.whl' file as a requirement; for compiled code, build a wheel with pyodide-build; or drop the "
            "requirement from the demo."
        )
    return f"{head}; pip said:\n{_tail(output)}"


_DEPENDS = re.compile(r"^\s*(?P<parent>\S+) \S+ depends on (?P<req>\S+)", re.MULTILINE)
_REQUESTED = re.compile(r"^\s*The user requested (?P<req>\S+)", re.MULTILINE)


def _name(requirement: str) -> str:
    return str(canonicalize_name(re.split(r"[<>=!~;\[ (]", requirement, maxsplit=1)[0]))


def _no_wheel(output: str) -> tuple[str, str | None] | None:
    """The requirement pip found no usable wheel of, and what needed it, if that is the failure.

    pip says so plainly for a requirement of the author's; for a dependency it
    backtracks through every version of the one package that needs it and
    calls the result a conflict: each version "depends on" the same package,
    and nothing else asks for it.
    """
    match = _NO_VERSION.search(output) or _NO_MATCH.search(output)
    if match:
        return match.group("req"), match.groupdict().get("parent")
    depends = list(_DEPENDS.finditer(output))
    if len({(_name(m.group("parent")), _name(m.group("req"))) for m in depends}) != 1:
        return None
    if {_name(m.group("req")) for m in _REQUESTED.finditer(output)} & {_name(depends[0].group("req"))}:
        return None
    return depends[0].group("req"), _name(depends[0].group("parent"))


def _last_error(output: str) -> str:
    for line in reversed(output.splitlines()):
        if any(marker in line for marker in _UNREACHABLE):
            return line.strip()[-200:]
    return "no answer"


def _tail(output: str, lines: int = 10) -> str:
    kept = [line for line in output.splitlines() if line.strip() and "is ignored: it is neither" not in line]
    return "\n".join(kept[-lines:])
