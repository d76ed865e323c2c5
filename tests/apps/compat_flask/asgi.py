"""The same Flask app made ASGI by hand, as a2wsgi's README shows."""

from __future__ import annotations

from a2wsgi import WSGIMiddleware

from .app import app as flask_app

app = WSGIMiddleware(flask_app)
