"""A guestbook: visitors sign it with a form; Flask (WSGI), nothing changed for the browser."""

from flask import Flask, flash, redirect, render_template, request, session, url_for

app = Flask(__name__)
app.secret_key = "a-demo-key-in-the-docs"

# Kept in memory: in the browser, as long as the page is open.
ENTRIES = [("Ada", "Lovely to run Flask without a server.")]


@app.get("/")
def index():
    return render_template("index.html", entries=reversed(ENTRIES), name=session.get("name", ""))


@app.post("/sign")
def sign():
    name = request.form["name"].strip()
    message = request.form["message"].strip()
    if not name or not message:
        flash("Please give your name and a message.", "error")
    else:
        ENTRIES.append((name, message))
        session["name"] = name  # remembered for the next visit, in the session cookie
        flash(f"Thank you for signing, {name}!")
    return redirect(url_for("index"))
