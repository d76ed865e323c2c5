"""Sphinx project of the tests of the code editor option and apps written in the page."""

project = "live-asgi-docs editor"
extensions = ["myst_parser", "live_asgi_docs"]
exclude_patterns = ["_build"]
live_asgi_app_dirs = ["apps"]
