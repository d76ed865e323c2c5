"""Sphinx project of the browser tests of memory snapshots with the app imported."""

project = "live-asgi-docs snapshot tests"
extensions = ["live_asgi_docs"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"page_width": "1240px"}
live_asgi_app_dirs = ["apps"]
live_asgi_pyodide = "npm"
