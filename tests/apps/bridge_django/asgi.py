"""The ASGI entry point: Django, with a lifespan that prepares the database.

Django does not speak the ASGI lifespan protocol; this wrapper does, so that the
database is migrated and the demo's superuser exists before the first request,
whichever server (uvicorn, the browser) runs the app.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridge_django.settings")

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

#: The demo's administrator (the docs say so next to the embed).
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin-password"


def prepare_database() -> None:
    """Create the tables and the superuser (sync code: Django's ORM)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    users = get_user_model()
    if not users.objects.filter(username=ADMIN_USER).exists():
        users.objects.create_superuser(ADMIN_USER, "admin@example.com", ADMIN_PASSWORD)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "lifespan":
        await django_app(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await sync_to_async(prepare_database)()
            except Exception as exc:  # the reader sees why the app did not start
                await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
