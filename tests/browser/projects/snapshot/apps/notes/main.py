"""A plain ASGI app that writes a file when imported and reads it for every page."""

from pathlib import Path

DATA = Path("/home/pyodide/notes.txt")
DATA.write_text("written when the app was imported")


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = f'<h1 id="title">Notes</h1><p id="notes">{DATA.read_text()}</p>'
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": body.encode()})
