"""Sphinx project of the browser tests of the standard library fetched on its first import."""

project = "live-asgi-docs late standard library tests"
extensions = ["live_asgi_docs"]
exclude_patterns = ["_build"]
live_asgi_app_dirs = ["apps"]
live_asgi_pyodide = "npm"
