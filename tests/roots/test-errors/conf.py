extensions = ["live_asgi_docs"]
live_asgi_app_dirs = ["apps"]
