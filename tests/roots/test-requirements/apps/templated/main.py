"""Starlette with Jinja2 templates, as Starlette's documentation writes it."""

from pathlib import Path

import yaml
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


async def home(request):
    settings = yaml.safe_dump({"served": "in the browser", "by": ["starlette", "jinja2"]})
    return templates.TemplateResponse(request, "home.html", {"name": "<b>reader</b>", "settings": settings})


app = Starlette(routes=[Route("/", home, name="home")])
