"""Datasette as an ASGI app (``Datasette(files).app()``), with the two settings the browser needs."""

from __future__ import annotations

import os
from pathlib import Path

from datasette.app import Datasette

ds = Datasette(
    [str(Path(__file__).with_name("birds.db"))],
    settings={
        # No threads in the browser: Datasette's own mode for that runs SQL inline.
        "num_sql_threads": 0,
        # Datasette routes and links by base_url, not by the ASGI root_path.
        "base_url": os.environ.get("LIVE_ASGI_ROOT_PATH", "") + "/",
    },
)
app = ds.app()
