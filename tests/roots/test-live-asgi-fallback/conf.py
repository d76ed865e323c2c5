"""A page with a live app, built by the builders that cannot run one."""

project = "fallback"
copyright = "2026, Tests"
version = "1.0"
extensions = ["live_asgi_docs"]
live_asgi_app_dirs = ["apps"]
latex_documents = [("index", "fallback.tex", "Fallback", "Tests", "howto")]
man_pages = [("index", "fallback", "Fallback", ["Tests"], 1)]
texinfo_documents = [("index", "fallback", "Fallback", "Tests", "fallback", "Fallback", "Misc")]
