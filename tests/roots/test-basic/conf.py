extensions = ["live_asgi_docs"]
live_asgi_app_dirs = ["apps"]
exclude_patterns = ["_build"]
