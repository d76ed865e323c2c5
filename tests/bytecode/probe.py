"""Run inside Pyodide by probe.mjs: what an app's start compiles, and how tracebacks read.

Counts every module compiled from source (by the file loader or by
``zipimport``) while importing what the build compiled bytecode for.
"""

import importlib
import importlib._bootstrap_external as external
import sys
import traceback
import zipimport

compiled = []
_source_to_code = external.SourceLoader.source_to_code
_compile_source = zipimport._compile_source


def _counting_source_to_code(self, data, path, *args, **kwargs):
    compiled.append(path)
    return _source_to_code(self, data, path, *args, **kwargs)


def _counting_compile_source(pathname, source):
    compiled.append(pathname)
    return _compile_source(pathname, source)


external.SourceLoader.source_to_code = _counting_source_to_code
zipimport._compile_source = _counting_compile_source


def probe(imports, app_dir, app_module, sources, site_packages, read_source):
    sys.path.insert(0, app_dir)
    for name in ["_live_asgi_bridge", *imports]:
        importlib.import_module(name)
    hot = list(compiled)
    app = importlib.import_module(app_module)
    # As worker.js does, with the site's sources read from the disk.
    importlib.import_module("_live_asgi_compat").show_sources(sources, site_packages, read_source)
    from starlette.routing import Router

    try:
        Router().url_path_for("nowhere")
    except Exception as exc:
        wheel_tb = "".join(traceback.format_exception(exc))
    try:
        from urllib.parse import urlsplit

        urlsplit("http://[::1")
    except ValueError as exc:
        stdlib_tb = "".join(traceback.format_exception(exc))
    return {
        "compiled_for_start": hot,
        "app_compiled": [p for p in compiled[len(hot) :] if p.startswith(app_dir)],
        "app_file": app.__file__,
        "stdlib_file": sys.modules["asyncio"].__file__,
        "wheel_file": sys.modules["starlette.routing"].__file__,
        "wheel_traceback": wheel_tb,
        "stdlib_traceback": stdlib_tb,
    }
