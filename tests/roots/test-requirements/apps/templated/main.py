"""Starlette with Jinja2 templates, as Starlette's documentation writes it."""

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


async def home(request):
    settings = yaml.safe_dump({"served": "in the browser", "by": ["starlette", "jinja2"]})
    tokyo = datetime(2026, 1, 15, 12, tzinfo=timezone.utc).astimezone(ZoneInfo("Asia/Tokyo"))
    context = {"name": "<b>reader</b>", "settings": settings, "tokyo": tokyo.isoformat()}
    return templates.TemplateResponse(request, "home.html", context)


app = Starlette(routes=[Route("/", home, name="home")])
