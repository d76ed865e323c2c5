"""Sphinx configuration of the sample docs."""

project = "live-asgi-docs sample"
extensions = ["myst_parser", "live_asgi_docs"]
html_theme = "alabaster"
exclude_patterns = ["_build"]

live_asgi_app_dirs = ["../examples"]
# "cdn" (the default) loads Pyodide from its CDN; "npm" copies it into the
# site so the docs work with no network beyond their own host.
live_asgi_pyodide = "npm"
# Write .br/.gz beside the large files: scripts/demo and the benchmark serve
# the site with live_asgi_docs.serve, which sends them as nginx's
# gzip_static/brotli_static would.
live_asgi_precompress = True
