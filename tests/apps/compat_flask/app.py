"""Flask as its documentation writes it: a form, a session, flashed messages, redirects, a stream."""

from __future__ import annotations

import hashlib
import threading

from flask import (
    Flask,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)

app = Flask(__name__)
app.secret_key = "not-a-secret-test-key"


@app.get("/")
def index() -> str:
    return render_template("index.html", user=session.get("user"), notes=session.get("notes", []))


@app.post("/login")
def login() -> Response:
    session["user"] = request.form["user"]
    flash(f"Welcome, {session['user']}!")
    return redirect(url_for("index"))


@app.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("index"))


@app.post("/notes")
def add_note() -> Response:
    note = request.form.get("note", "").strip()
    if not note:
        flash("A note needs some text.")
    else:
        session["notes"] = [*session.get("notes", []), note]
        flash(f"Added {note!r}.")
    return redirect(url_for("index"))


@app.get("/stream")
def stream() -> Response:
    lines = request.args.get("lines", 5, type=int)

    def generate() -> object:
        for i in range(lines):
            yield f"line {i} of {request.args.get('lines', 5)}\n"

    return Response(stream_with_context(generate()), mimetype="text/plain")


@app.get("/where")
def where() -> dict[str, str]:
    return {
        "script_root": request.script_root,
        "path": request.path,
        "index": url_for("index"),
        "external": url_for("index", _external=True),
        "static": url_for("static", filename="style.css"),
    }


@app.post("/upload")
def upload() -> dict[str, object]:
    data = request.files["file"].read()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def deliver(note: str) -> None:
    print(f"delivering {note!r}")


@app.post("/send-later")
def send_later() -> Response:
    # Background work as many Flask apps do it: a thread (which the browser cannot run).
    threading.Thread(target=deliver, args=(request.form.get("note", ""),)).start()
    flash("Sent.")
    return redirect(url_for("index"))


@app.get("/broken")
def broken() -> str:
    request.environ["wsgi.errors"].write("compat_flask: about to fail on purpose\n")
    raise RuntimeError("failing on purpose")
