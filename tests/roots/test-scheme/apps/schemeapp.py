"""A raw ASGI app (no packages: it starts fast) whose page has light and dark styles."""

from __future__ import annotations

from typing import Any

# Light by default, dark where the page's `prefers-color-scheme` says so: as
# an app styled for both schemes does.
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Scheme</title>
<style>
body { background: rgb(250, 250, 250); color: rgb(20, 20, 20); }
@media (prefers-color-scheme: dark) {
  body { background: rgb(16, 16, 16); color: rgb(235, 235, 235); }
}
</style></head>
<body><h1>Light or dark</h1></body></html>"""


# A page with no styles at all: black on white, whatever the scheme around it.
PLAIN = b"""<!doctype html><html><head><meta charset="utf-8"><title>Plain</title></head>
<body><h1>No styles</h1></body></html>"""


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer ``/plain`` with the plain page, every other path with the styled one."""
    if scope["type"] != "http":
        return
    body = PLAIN if scope["path"].endswith("/plain") else PAGE
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": body})
