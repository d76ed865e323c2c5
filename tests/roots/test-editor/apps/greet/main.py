"""A plain ASGI app with a template file, for the editor's build tests."""

from pathlib import Path

PAGE = (Path(__file__).parent / "templates" / "home.html").read_text()


async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": PAGE.encode()})
