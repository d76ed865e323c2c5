extensions = ["live_asgi_docs"]
live_asgi_app_dirs = ["apps"]
live_asgi_defaults = {"height": "600px", "autostart": "click"}
numfig = True
