"""An embed in a Sphinx theme (alabaster unless ``-D html_theme=furo``): its colour scheme."""

project = "live-asgi-docs colour schemes"
extensions = ["live_asgi_docs"]
exclude_patterns = ["_build"]
live_asgi_app_dirs = ["apps"]
live_asgi_pyodide = "npm"
