"""A plain ASGI app that parses a form with WebOb (whose form parsing is the cgi module)."""

import webob


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    request = webob.Request.blank("/form", POST={"name": "café"})
    body = f"<!doctype html><p id='form'>name={request.POST['name']}</p>".encode()
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
