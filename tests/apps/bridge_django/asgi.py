"""ASGI config for bridge_django, as ``django-admin startproject`` writes it.

It exposes the ASGI callable as a module-level variable named ``application``.
For a demo, the database is prepared when the app is imported, the way many
tutorials do it: the tables, and the superuser the docs tell the reader about.
Servers import the app before they serve (uvicorn before its event loop runs;
the browser's bridge likewise), so the ORM may run here.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridge_django.settings")

application = get_asgi_application()

#: The demo's administrator (the docs say so next to the embed).
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin-password"

from django.contrib.auth import get_user_model  # noqa: E402  (needs the settings)
from django.core.management import call_command  # noqa: E402

call_command("migrate", interactive=False, verbosity=0)
if not get_user_model().objects.filter(username=ADMIN_USER).exists():
    get_user_model().objects.create_superuser(ADMIN_USER, "admin@example.com", ADMIN_PASSWORD)
