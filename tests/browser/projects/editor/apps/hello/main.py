"""A small Starlette app whose code the tests edit in the page."""

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def home(request):
    root = request.scope["root_path"]
    return HTMLResponse(
        f'<h1 id="title">Hello from the editor</h1><a id="second" href="{root}/second">Next</a>'
    )


async def second(request):
    return HTMLResponse('<h1 id="title">Second page</h1>')


app = Starlette(routes=[Route("/", home), Route("/second", second)])
