"""A second sample app: a Starlette counter (the instant-navigation round trip needs two apps)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

COUNT = {"value": 0}


async def home(request: Request) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Counter</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:1.5em;color:#222}}</style></head>
<body><h1>Counter</h1><p>A Starlette app running in your browser.</p>
<p>Count: <output id="count">{COUNT["value"]}</output></p>
<p><a id="add" href="{request.url_for("add")}">Add one</a></p></body></html>"""
    )


async def add(request: Request) -> RedirectResponse:
    COUNT["value"] += 1
    return RedirectResponse(request.url_for("home"), status_code=303)


app = Starlette(routes=[Route("/", home, name="home"), Route("/add", add, name="add")])
