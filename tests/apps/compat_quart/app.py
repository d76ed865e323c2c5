"""Quart, Flask's async twin: templates, a form with a redirect, a session, JSON."""

from __future__ import annotations

from quart import Quart, redirect, render_template_string, request, session, url_for
from werkzeug.wrappers.response import Response

app = Quart(__name__)
app.secret_key = "not-a-secret-test-key"

PAGE = """<!doctype html>
<title>Quart guestbook</title>
<h1>Quart guestbook</h1>
<form id="sign" method="post" action="{{ url_for('sign') }}">
  <input name="name" required><button>Sign</button>
</form>
<ul id="names">{% for name in names %}<li>{{ name }}</li>{% endfor %}</ul>
<p id="api-link"><a href="{{ url_for('api') }}">as JSON</a></p>
"""


@app.get("/")
async def index() -> str:
    return await render_template_string(PAGE, names=session.get("names", []))


@app.post("/sign")
async def sign() -> Response:
    form = await request.form
    session["names"] = [*session.get("names", []), form["name"]]
    return redirect(url_for("index"))


@app.get("/api")
async def api() -> dict[str, object]:
    return {"names": session.get("names", []), "root_path": request.root_path}
