"""Apps whose requirements need Pyodide's markers, its distribution, or a time zone database.

The tests pass ``-D live_asgi_pyodide_packages=<dir>``: the stand-in distribution
built from sdists (``tests/distribution.py``).
"""

project = "live-asgi-docs requirement tests"
extensions = ["live_asgi_docs"]
html_theme = "alabaster"
live_asgi_app_dirs = ["apps"]
# Vendored: the tests run without the Pyodide CDN.
live_asgi_pyodide = "npm"
