extensions = ["live_asgi_docs"]
live_asgi_app_dirs = ["apps"]
live_asgi_pyodide = "npm"
live_asgi_check = True
