"""A one-file Django project with Django's default USE_TZ = True and a named time zone."""

from datetime import datetime, timezone

import django
from django.conf import settings

settings.configure(
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="a demo, not a secret",
    TIME_ZONE="Europe/Paris",
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone as django_timezone  # noqa: E402


def clock(request):
    winter = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)
    summer = datetime(2026, 7, 14, 12, tzinfo=timezone.utc)
    local = [django_timezone.localtime(t) for t in (winter, summer)]
    lines = "".join(f"<li>{t.isoformat()} {t.tzname()}</li>" for t in local)
    zone = django_timezone.get_current_timezone_name()
    return HttpResponse(f"<!doctype html><p id='zone'>{zone}</p><ul>{lines}</ul>")


urlpatterns = [path("", clock)]
application = get_asgi_application()
