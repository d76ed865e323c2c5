"""A raw ASGI app: no framework, no requirements (the tutorial's first embed)."""

import html


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[-1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    if scope["type"] != "http":
        return
    # The mount prefix is root_path; the full path keeps it (as uvicorn gives it).
    path = scope["path"][len(scope["root_path"]) :] or "/"
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hello</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:1.5em}}</style></head>
<body><h1 id="greeting">Hello from a raw ASGI app</h1>
<p>You asked for <code id="path">{html.escape(path)}</code>.
Try <a href="{scope["root_path"]}/somewhere/else">another path</a>.</p></body></html>"""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
