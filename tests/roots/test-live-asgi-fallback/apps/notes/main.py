"""The smallest ASGI app: it is never run by these builds."""


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    """Answer nothing (the builds only need it to exist)."""
