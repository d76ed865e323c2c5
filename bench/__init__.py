"""Benchmarks of live-asgi-docs (``python -m bench``)."""
