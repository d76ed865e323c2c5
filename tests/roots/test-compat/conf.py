"""Apps of other frameworks, written as their docs write them (``tests/apps/compat_*``).

The tests pass ``-D live_asgi_pyodide_packages=<dir>``: the stand-in distribution
built from sdists (``tests/distribution.py``) has the MarkupSafe and PyYAML they need.
"""

project = "live-asgi-docs framework tests"
extensions = ["live_asgi_docs"]
html_theme = "alabaster"
live_asgi_app_dirs = ["../../apps"]
# Vendored: the tests run without the Pyodide CDN.
live_asgi_pyodide = "npm"
