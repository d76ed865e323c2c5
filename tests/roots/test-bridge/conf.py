"""The bridge's browser tests: the test apps of tests/apps embedded in a docs project."""

project = "live-asgi-docs bridge tests"
extensions = ["live_asgi_docs"]
html_theme = "alabaster"
live_asgi_app_dirs = ["../../apps"]
# Vendored: the tests run without the Pyodide CDN.
live_asgi_pyodide = "npm"
