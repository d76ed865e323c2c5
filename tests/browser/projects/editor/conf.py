"""Sphinx project of the browser tests of the code editor."""

project = "live-asgi-docs editor tests"
extensions = ["live_asgi_docs"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Wide enough for the code and the app side by side.
html_theme_options = {"page_width": "1240px"}
live_asgi_app_dirs = ["apps"]
live_asgi_pyodide = "npm"
