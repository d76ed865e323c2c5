"""Requirement resolution for Pyodide at build time: real pip, real PyPI, a stand-in Pyodide distribution."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from live_asgi_docs import pyodide_pin
from live_asgi_docs.apps import AppSource, requirements_file
from live_asgi_docs.options import EmbedOptions, OptionError, Settings
from live_asgi_docs.packages import Distribution, make_lock, resolve
from live_asgi_docs.site import LiveSite

WASM = f"{pyodide_pin.ABI}-{pyodide_pin.ABI}-{pyodide_pin.PLATFORM_TAG}"


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    tag: str,
    modules: dict[str, str],
    requires: tuple[str, ...] = (),
) -> Path:
    """A minimal but valid wheel, as pip and Pyodide's loader read it."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = directory / f"{dist}-{tag}.whl"
    files = dict(modules)
    files[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    files[f"{dist}.dist-info/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n"
    )
    record = []
    for arcname, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{arcname},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, text in files.items():
            zf.writestr(arcname, text)
    return path


@pytest.fixture
def distribution(tmp_path: Path) -> Distribution:
    """A stand-in for Pyodide's distribution with one package PyPI does not have."""
    root = tmp_path / "pyodide-dist"
    root.mkdir()
    wheel = make_wheel(
        root, "pyodide-only-demo", "1.2.0", WASM, {"pyodide_only_demo/__init__.py": "VALUE = 42\n"}, ("idna",)
    )
    lock = {
        "info": {k: v for k, v in pyodide_pin.LOCK_INFO.items() if k != "version"},
        "packages": {
            "pyodide-only-demo": {
                "name": "pyodide-only-demo",
                "version": "1.2.0",
                "file_name": wheel.name,
                "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
                "install_dir": "site",
                "package_type": "package",
                "imports": ["pyodide_only_demo"],
                "depends": ["idna"],
            }
        },
    }
    (root / "pyodide-lock.json").write_text(json.dumps(lock))
    return Distribution(root.as_uri() + "/", lock)


def test_fastapi_resolves_to_pure_and_pyodide_wheels_with_a_pyodide_lock(tmp_path: Path) -> None:
    resolution = resolve(("fastapi",), cache_dir=tmp_path)
    names = {w.name.lower().replace("_", "-") for w in resolution.wheels}
    assert {"fastapi", "starlette", "pydantic", "pydantic-core", "anyio"} <= names
    core = next(w for w in resolution.wheels if w.name.lower().replace("_", "-") == "pydantic-core")
    assert core.file_name.endswith(f"-{WASM}.whl")
    lock = make_lock(resolution.wheels)
    assert lock["info"]["abi_version"] == pyodide_pin.ABI_VERSION  # type: ignore[index]
    for wheel in resolution.wheels:
        entry = lock["packages"][wheel.name.lower().replace("_", "-")]  # type: ignore[index]
        assert entry["sha256"] == hashlib.sha256(resolution.path(wheel).read_bytes()).hexdigest()
        assert entry["file_name"] == wheel.file_name and entry["install_dir"] == "site"
    assert "fastapi" in next(w for w in resolution.wheels if w.name.lower() == "fastapi").imports


def test_an_unchanged_requirement_set_is_not_resolved_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = resolve(("idna",), cache_dir=tmp_path)
    # With no index at all, a second resolution only works from the cache.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "nothing"))
    second = resolve(("idna",), cache_dir=tmp_path)
    assert second == first
    with pytest.raises(OptionError):
        resolve(("idna", "sniffio"), cache_dir=tmp_path)


def test_a_package_only_pyodide_provides_comes_from_its_distribution(
    tmp_path: Path, distribution: Distribution
) -> None:
    resolution = resolve(("pyodide-only-demo",), cache_dir=tmp_path / "cache", distribution=distribution)
    files = sorted(w.file_name for w in resolution.wheels)
    assert files[0] == "idna-" + files[0].split("-")[1] + "-py3-none-any.whl"  # its dependency, from PyPI
    assert files[1] == f"pyodide_only_demo-1.2.0-{WASM}.whl"
    with pytest.raises(OptionError) as without:
        resolve(("pyodide-only-demo",), cache_dir=tmp_path / "c2")
    assert "no wheel of pyodide-only-demo can run in Pyodide" in str(without.value)


def test_a_tampered_distribution_file_is_refused(tmp_path: Path, distribution: Distribution) -> None:
    entry = distribution.lock["packages"]["pyodide-only-demo"]
    entry["sha256"] = "0" * 64
    with pytest.raises(OptionError) as err:
        resolve(("pyodide-only-demo",), cache_dir=tmp_path / "cache", distribution=distribution)
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in str(err.value) or "hash" in str(err.value).lower()


def test_a_local_project_directory_is_built_into_a_wheel(tmp_path: Path) -> None:
    project = tmp_path / "mylib"
    (project / "src" / "mylib").mkdir(parents=True)
    (project / "src" / "mylib" / "__init__.py").write_text("def greet(): return 'hi'\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "mylib"\nversion = "0.3"\ndependencies = ["idna"]\n'
    )
    resolution = resolve(("./mylib",), cache_dir=tmp_path / "cache", base_dir=tmp_path)
    files = {w.file_name for w in resolution.wheels}
    assert "mylib-0.3-py3-none-any.whl" in files
    assert any(f.startswith("idna-") for f in files)
    with zipfile.ZipFile(resolution.path(next(w for w in resolution.wheels if w.name == "mylib"))) as zf:
        assert "mylib/__init__.py" in zf.namelist()
    # A change in the project gives a new wheel on the next build.
    (project / "src" / "mylib" / "__init__.py").write_text("def greet(): return 'hello'\n")
    again = resolve(("./mylib",), cache_dir=tmp_path / "cache", base_dir=tmp_path)
    mylib = next(w for w in again.wheels if w.name == "mylib")
    with zipfile.ZipFile(again.path(mylib)) as zf:
        assert "hello" in zf.read("mylib/__init__.py").decode()
    with pytest.raises(OptionError, match="not a Python project"):
        resolve(("./src",), cache_dir=tmp_path / "cache", base_dir=project)


def test_a_package_without_a_pyodide_wheel_names_what_the_index_has(tmp_path: Path) -> None:
    # pyyaml ships native wheels and an sdist on PyPI, no Pyodide wheel.
    with pytest.raises(OptionError) as err:
        resolve(("pyyaml",), cache_dir=tmp_path)
    message = str(err.value)
    assert "no wheel of pyyaml can run in Pyodide" in message
    assert "source only (sdist)" in message and "native manylinux wheels" in message
    assert "pyodide-build" in message


def test_conflicting_requirements_say_so(tmp_path: Path) -> None:
    with pytest.raises(OptionError) as err:
        resolve(("fastapi==0.110.0", "starlette==0.20.0"), cache_dir=tmp_path)
    assert "the requirements conflict" in str(err.value)
    assert "starlette" in str(err.value)


def test_an_unreachable_index_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the unreachable index: no pip configuration's extra indexes or find-links.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    with pytest.raises(OptionError) as err:
        resolve(("idna",), cache_dir=tmp_path, index_url="http://127.0.0.1:9/simple/")
    assert "could not be reached" in str(err.value) and "127.0.0.1:9" in str(err.value)


def test_an_apps_own_requirements_txt_is_resolved(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "demo"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "main.py").write_text("app = None\n")
    (app / "requirements.txt").write_text("# the app's own\nidna\n")
    assert requirements_file(AppSource(tmp_path / "apps", app)) == app / "requirements.txt"
    site = LiveSite(Settings(app_dirs=["apps"], cache_dir=str(tmp_path / "cache")), tmp_path, "assets")
    _source, resolution = site.prepare(EmbedOptions(target="demo.main:app", name="demo"))
    assert [w.name for w in resolution.wheels] == ["idna"]


def test_parallel_sphinx_builds_share_the_cache_safely(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "apps").mkdir(parents=True)
    (src / "apps" / "hello.py").write_text("async def app(scope, receive, send): pass\n")
    (src / "conf.py").write_text('extensions = ["live_asgi_docs"]\nlive_asgi_app_dirs = ["apps"]\n')
    pages = [f"p{i}" for i in range(6)]
    (src / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n" + "".join(f"   {p}\n" for p in pages))
    for p in pages:
        (src / f"{p}.rst").write_text(
            f"{p}\n====\n\n.. live-asgi:: hello:app\n   :requirements: idna, sniffio\n"
        )
    env = {**os.environ, "LIVE_ASGI_DOCS_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-j", "4", "-W", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "live-asgi: app 'hello': a reader downloads" in proc.stdout
    assert len(list((tmp_path / "cache" / "resolved").glob("*/resolution.json"))) == 1
    # The wheels are where the site ships them (with build-time bytecode, in its bytecode folder).
    wheels = sorted(p.name for p in (tmp_path / "out" / "_static/_live_asgi").rglob("*.whl"))
    assert [w.split("-")[0] for w in wheels] == ["idna", "sniffio"]
