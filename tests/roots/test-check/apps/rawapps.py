"""Plain ASGI apps: one that starts and answers, one whose startup fails, one that raises."""


async def good(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    # The path under the mount prefix, as a server mounted at root_path gives it.
    if scope["path"][len(scope["root_path"]) :] != "/hello":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"no page here"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def connect_to_database():
    raise ConnectionError("the database at db.internal:5432 is unreachable")


async def startup_fails(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        try:
            connect_to_database()
        except ConnectionError as exc:
            await send({"type": "lifespan.startup.failed", "message": f"ConnectionError: {exc}"})
        return


def render_home():
    return {"answer": 42}["question"]


async def page_raises(scope, receive, send):
    if scope["type"] == "lifespan":
        return
    render_home()
