"""Bookmarks: a JSON API as Falcon's tutorial writes resources, and a page that calls it."""

import falcon

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bookmarks</title>
<style>:root{color-scheme:light dark;font:16px/1.5 system-ui,sans-serif}body{margin:1.5em}</style></head>
<body><h1>Bookmarks</h1>
<p>This page's script reads and writes <a href="bookmarks">the JSON resource</a>.</p>
<form id="add"><input name="title" placeholder="Title" required>
<input name="url" type="url" placeholder="https://" required><button>Add</button></form>
<ul id="bookmarks"></ul>
<script>
const list = document.getElementById("bookmarks");
async function show() {
  const bookmarks = await (await fetch("bookmarks")).json();
  list.replaceChildren(...bookmarks.map((b) => {
    const item = document.createElement("li");
    const link = Object.assign(document.createElement("a"),
      {href: b.url, textContent: b.title, target: "_blank"});
    item.append(link);
    return item;
  }));
}
document.getElementById("add").onsubmit = async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  await fetch("bookmarks", {method: "POST", headers: {"content-type": "application/json"},
                            body: JSON.stringify(Object.fromEntries(form))});
  event.target.reset();
  show();
};
show();
</script></body></html>"""


class BookmarksResource:
    def __init__(self):
        self.bookmarks = [{"title": "Falcon", "url": "https://falconframework.org/"}]

    def on_get(self, req, resp):
        resp.media = self.bookmarks

    def on_post(self, req, resp):
        bookmark = req.get_media()
        if not {"title", "url"} <= bookmark.keys():
            raise falcon.HTTPBadRequest(title="A bookmark needs a title and a url")
        self.bookmarks.append({"title": bookmark["title"], "url": bookmark["url"]})
        resp.media = bookmark
        resp.status = falcon.HTTP_201


class PageResource:
    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_HTML
        resp.text = PAGE


app = falcon.App()
app.add_route("/", PageResource())
app.add_route("/bookmarks", BookmarksResource())
