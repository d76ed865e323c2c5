"""Requirements locked as the reader's Pyodide would resolve them, whatever the build host.

Real pip against the real package index, real wheels, the stand-in Pyodide
distribution built from sdists (``tests/distribution.py``), and real Pyodide
(in Node) to say how it evaluates environment markers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import packaging
import pytest

from live_asgi_docs.options import EmbedOptions, OptionError, Settings
from live_asgi_docs.packages import MARKER_ENVIRONMENT, Distribution, cache_root, load_distribution, resolve
from live_asgi_docs.runtime import locate_runtime
from live_asgi_docs.site import LiveSite


def names(resolution: object) -> set[str]:
    return {w.name.lower().replace("_", "-") for w in resolution.wheels}  # type: ignore[attr-defined]


@pytest.fixture
def distribution(pyodide_distribution: Path, tmp_path: Path) -> Distribution:
    found = load_distribution(str(pyodide_distribution), cache_dir=tmp_path, base_dir=tmp_path)
    assert found is not None
    return found


PYODIDE_MARKERS = """
import json, sys
sys.path.insert(0, "/host")
from packaging.markers import default_environment
json.dumps(default_environment())
"""


def test_the_marker_environment_is_what_pyodide_itself_reports(tmp_path: Path) -> None:
    # packaging's own default_environment(), run inside the pinned Pyodide.
    runtime = locate_runtime("npm", cache_dir=cache_root(None), base_dir=tmp_path).directory
    assert runtime is not None
    script = tmp_path / "markers.mjs"
    script.write_text(
        f"import {{ loadPyodide }} from {json.dumps((runtime / 'pyodide.mjs').as_uri())};\n"
        f"const py = await loadPyodide({{ indexURL: {json.dumps(str(runtime) + '/')} }});\n"
        "py.FS.mkdirTree('/host');\n"
        "py.FS.mount(py.FS.filesystems.NODEFS, { root: process.argv[2] }, '/host');\n"
        f"console.log(py.runPython({json.dumps(PYODIDE_MARKERS)}));\n"
    )
    proc = subprocess.run(
        ["node", str(script), str(Path(packaging.__file__).parent.parent)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    reported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert reported == MARKER_ENVIRONMENT
    assert reported["sys_platform"] != sys.platform  # not the build host's


def test_a_dependency_for_new_pythons_is_locked_on_an_old_build_host(tmp_path: Path) -> None:
    # webob needs legacy-cgi on Python >= 3.13 (the cgi module left the stdlib);
    # the build host is older, the reader's Pyodide is 3.14.
    resolution = resolve(("webob",), cache_dir=tmp_path)
    assert {"webob", "legacy-cgi"} <= names(resolution)


def test_markers_follow_pyodide_not_the_build_host(tmp_path: Path) -> None:
    project = tmp_path / "markerdemo"
    (project / "markerdemo").mkdir(parents=True)
    (project / "markerdemo" / "__init__.py").write_text("")
    pyodide_only = (
        'sys_platform == "emscripten" and platform_system == "Emscripten" and platform_machine == "wasm32"'
        ' and python_version == "3.14" and python_full_version == "3.14.2"'
        ' and implementation_name == "cpython" and os_name == "posix"'
    )
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "markerdemo"\nversion = "1.0"\n'
        f"dependencies = [{json.dumps('idna; ' + pyodide_only)}, "
        '"sniffio; sys_platform != \\"emscripten\\"", "six; platform_system == \\"Linux\\""]\n'
    )
    resolution = resolve(("./markerdemo",), cache_dir=tmp_path / "cache", base_dir=tmp_path)
    assert names(resolution) == {"markerdemo", "idna"}


def test_a_package_only_the_distribution_has_is_found_deep_in_the_closure(
    tmp_path: Path, distribution: Distribution, pyodide_distribution: Path
) -> None:
    # starlette and jinja2 come from the index; jinja2 needs MarkupSafe, which
    # the index has no Pyodide wheel of: it comes from the distribution.
    resolution = resolve(("starlette", "jinja2"), cache_dir=tmp_path, distribution=distribution)
    assert {"starlette", "jinja2", "markupsafe"} <= names(resolution)
    markupsafe = next(w for w in resolution.wheels if w.name.lower() == "markupsafe")
    shipped = pyodide_distribution / markupsafe.file_name
    assert shipped.is_file() and resolution.path(markupsafe).read_bytes() == shipped.read_bytes()
    jinja2 = next(w for w in resolution.wheels if w.name.lower() == "jinja2")
    assert not (pyodide_distribution / jinja2.file_name).exists()


def test_without_the_distribution_the_missing_dependency_is_named(tmp_path: Path) -> None:
    with pytest.raises(OptionError) as err:
        resolve(("jinja2",), cache_dir=tmp_path)
    message = str(err.value)
    assert "no wheel of MarkupSafe" in message and "(needed by jinja2)" in message
    assert "conflict" not in message
    assert "pyodide_packages" in message


def test_an_unreachable_distribution_is_named_with_the_setting_to_change(
    tmp_path: Path, distribution: Distribution
) -> None:
    # The index answers; the distribution's host (the CDN, here a closed port) does not.
    unreachable = Distribution("http://127.0.0.1:9/pyodide/", distribution.lock)
    with pytest.raises(OptionError) as err:
        resolve(("jinja2",), cache_dir=tmp_path, distribution=unreachable)
    message = str(err.value)
    assert "Pyodide's package distribution http://127.0.0.1:9/pyodide/ could not be reached" in message
    assert "markupsafe-3.0.3-py3-none-any.whl" in message
    assert "live_asgi_pyodide_packages" in message
    assert "package index" not in message


def test_django_gets_a_time_zone_database(tmp_path: Path) -> None:
    # Django asks for tzdata on Windows only; Pyodide has no zoneinfo files either.
    django = resolve(("django",), cache_dir=tmp_path)
    assert {"django", "tzdata"} <= names(django)
    plain = resolve(("starlette",), cache_dir=tmp_path)
    assert "tzdata" not in names(plain)


def test_an_app_that_uses_zoneinfo_gets_a_time_zone_database(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    (apps / "clock").mkdir(parents=True)
    (apps / "clock" / "__init__.py").write_text("")
    (apps / "clock" / "main.py").write_text(
        "from zoneinfo import ZoneInfo\n\nPARIS = ZoneInfo('Europe/Paris')\napp = None\n"
    )
    (apps / "plain.py").write_text("import datetime\n\napp = None\n")
    site = LiveSite(Settings(app_dirs=["apps"], cache_dir=str(tmp_path / "cache")), tmp_path, "assets")
    _source, clock = site.prepare(EmbedOptions(target="clock.main:app", name="clock"))
    assert names(clock) == {"tzdata"}
    _source, plain = site.prepare(EmbedOptions(target="plain:app", name="plain"))
    assert plain.wheels == ()


def test_the_stand_in_distribution_is_pure_python_built_from_sdists(pyodide_distribution: Path) -> None:
    lock = json.loads((pyodide_distribution / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == {"markupsafe", "pyyaml"}
    for entry in lock["packages"].values():
        assert entry["file_name"].endswith("-py3-none-any.whl")
        with zipfile.ZipFile(pyodide_distribution / entry["file_name"]) as zf:
            assert not [n for n in zf.namelist() if n.endswith((".so", ".pyd"))]


def test_an_unsatisfiable_requirement_fails_the_build_at_its_line(
    tmp_path: Path, pyodide_distribution: Path
) -> None:
    src = tmp_path / "src"
    (src / "apps").mkdir(parents=True)
    (src / "apps" / "hello.py").write_text("async def app(scope, receive, send): pass\n")
    (src / "conf.py").write_text('extensions = ["live_asgi_docs"]\nlive_asgi_app_dirs = ["apps"]\n')
    (src / "index.rst").write_text(
        "Index\n=====\n\nText.\n\n.. live-asgi:: hello:app\n   :requirements: jinja2, uvloop\n"
    )
    env = {**os.environ, "LIVE_ASGI_DOCS_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "-b",
            "html",
            "-D",
            f"live_asgi_pyodide_packages={pyodide_distribution}",
            str(src),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode != 0
    assert "index.rst:6" in proc.stderr
    assert "no wheel of uvloop can run in Pyodide" in proc.stderr
    assert "pyodide-build" in proc.stderr
