"""A plain ASGI app that imports standard-library modules no start imports, while it serves.

The build leaves those modules out of the standard library a start downloads;
the first import of one fetches the rest of the standard library.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/``: nothing late; ``/xml``: a package and its submodules; ``/toml``: an error raised in one."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"][len(scope["root_path"]) :] or "/"
    if path == "/xml":
        import xml.etree.ElementTree as ET

        root = ET.fromstring("<list><item>parsed by ElementTree</item></list>")
        package = hasattr(sys.modules["xml.etree"], "__path__")
        text = f"{root[0].text} from {ET.__file__}; xml.etree is a package: {package}"
    elif path == "/toml":
        import tomllib

        try:
            tomllib.loads("answer = ")
        except tomllib.TOMLDecodeError:
            text = traceback.format_exc()
    else:
        text = "ready"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    await send({"type": "http.response.body", "body": f"<pre id='out'>{text}</pre>".encode()})
