"""live-asgi-docs: run real ASGI apps inside documentation, in the reader's browser.

``import live_asgi_docs`` imports neither Sphinx nor MkDocs: the Sphinx entry
point :func:`setup` imports its adapter only when Sphinx calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> Any:
    """Sphinx entry point (``extensions = ["live_asgi_docs"]``)."""
    from .sphinx_ext import setup as sphinx_setup

    return sphinx_setup(app)
