"""The differential suite's apps, each in an embed, for tests/browser/test_differential_browser.py."""

project = "live-asgi-docs browser differential"
extensions = ["live_asgi_docs"]
html_theme = "alabaster"
live_asgi_app_dirs = ["../../apps"]
# Vendored: the tests run without the Pyodide CDN.
live_asgi_pyodide = "npm"
