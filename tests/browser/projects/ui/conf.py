"""Sphinx project of the browser tests of what the reader sees."""

project = "live-asgi-docs ui tests"
extensions = ["live_asgi_docs"]
exclude_patterns = ["_build"]
live_asgi_app_dirs = ["apps"]
live_asgi_pyodide = "npm"
