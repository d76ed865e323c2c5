"""ASGI config for mysite, as ``django-admin startproject`` writes it, plus a demo's data.

It exposes the ASGI callable as a module-level variable named ``application``.
"""

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

# The static files handler that runserver uses: the admin gets its CSS.
application = ASGIStaticFilesHandler(get_asgi_application())

# The demo's database, made when the app is imported (before any request, as
# uvicorn does too): the tables, a poll, and the admin user the page names.
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from mysite.polls.models import Question  # noqa: E402

call_command("migrate", interactive=False, verbosity=0)
if not Question.objects.exists():
    question = Question.objects.create(question_text="What's new?", pub_date=timezone.now())
    for text in ("Not much", "The sky", "Django in the browser"):
        question.choice_set.create(choice_text=text)
if not User.objects.filter(username="admin").exists():
    User.objects.create_superuser("admin", "admin@example.com", "admin")
