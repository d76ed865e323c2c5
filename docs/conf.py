"""The documentation of live-asgi-docs, built with live-asgi-docs itself (scripts/docs)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import live_asgi_docs

project = "live-asgi-docs"
copyright = "2026, The live-asgi-docs authors"
release = live_asgi_docs.__version__
extensions = ["myst_parser", "live_asgi_docs", "live_asgi_reference"]
html_theme = "furo"
html_title = f"live-asgi-docs {release}"
exclude_patterns = ["_build", "apps", "screenshots"]
myst_heading_anchors = 3
numfig = True

# The framework pages' apps are in apps/; the to-do, counter and chat apps are the sample
# docs' own (one copy). scripts/docs says where MarkupSafe and PyYAML come from.
live_asgi_app_dirs = ["apps", "../sample-docs/examples"]
# The runtime is copied into the site: the docs work offline and in CI.
live_asgi_pyodide = "npm"
