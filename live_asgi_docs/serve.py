"""Serve built docs on localhost like a static host does: ``python -m live_asgi_docs.serve DIR``.

Live apps need a web server (service workers do not run on ``file://``) and
the right types for ``.mjs`` and ``.wasm``. Like GitHub Pages or Read the Docs,
this server compresses text and wasm with gzip, and sends ``ETag``,
``Last-Modified`` and ``Cache-Control: max-age=600``, answering revalidations
with 304, so what a reader downloads can be measured here as it would be there.
Like nginx with ``gzip_static``/``brotli_static`` or Caddy with
``precompressed``, it sends a file's precompressed sibling (``<file>.br``,
``<file>.gz``, the ``precompress`` setting) to a browser that accepts it.
"""

from __future__ import annotations

import argparse
import email.utils
import functools
import gzip
import http.server
import io
import os
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, cast

__all__ = ["Handler", "accepted_encodings", "main", "make_server"]

#: Types worth compressing (already-compressed archives are sent as they are).
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/wasm",
    "image/svg+xml",
    "application/xml",
)
MAX_AGE = 600
#: Precompressed siblings a file may have, best first: (suffix, Content-Encoding).
PRECOMPRESSED = ((".br", "br"), (".gz", "gzip"))


def accepted_encodings(header: str | None) -> set[str]:
    """The content codings an ``Accept-Encoding`` header accepts (``q=0`` refuses)."""
    accepted = set()
    for item in (header or "").split(","):
        coding, _, params = item.partition(";")
        q = params.strip().removeprefix("q=")
        try:
            refused = bool(params.strip()) and float(q) == 0
        except ValueError:
            refused = False
        if coding.strip():
            if not refused:
                accepted.add(coding.strip().lower())
    return accepted


class _GzipCache:
    """Compressed bodies by (path, mtime, size), so each file is compressed once."""

    def __init__(self, limit: int = 256) -> None:
        self._items: OrderedDict[tuple[str, float, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, path: str, stat: os.stat_result) -> bytes:
        key = (path, stat.st_mtime, stat.st_size)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        with open(path, "rb") as f:
            data = gzip.compress(f.read(), compresslevel=6, mtime=0)
        with self._lock:
            self._items[key] = data
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        return data


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with correct module/wasm types, gzip and cache validators."""

    extensions_map = {  # noqa: RUF012 - the base class declares it so
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".py": "text/x-python",
        ".whl": "application/zip",
        ".zip": "application/zip",
    }

    def log_message(self, format: str, *args: Any) -> None:
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)

    def _count(self, n: int) -> None:
        server = self.server
        if isinstance(server, Server):
            with server.count_lock:
                server.bytes_sent += n

    def send_head(self) -> Any:
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to the slash
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            self.send_error(404, "File not found")
            return None
        stat = os.stat(path)
        ctype = self.guess_type(path)
        accepted = accepted_encodings(self.headers.get("Accept-Encoding"))
        # A precompressed sibling as new as the file stands in for it.
        encoding = ""
        for suffix, coding in PRECOMPRESSED:
            sibling = path + suffix
            if coding in accepted and os.path.isfile(sibling) and os.stat(sibling).st_mtime >= stat.st_mtime:
                encoding, path, stat = coding, sibling, os.stat(sibling)
                break
        etag = f'"{int(stat.st_mtime_ns):x}-{stat.st_size:x}"'
        if etag in (self.headers.get("If-None-Match") or ""):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", f"max-age={MAX_AGE}")
            self.end_headers()
            return None
        compress = (
            not encoding and "gzip" in accepted and ctype.startswith(COMPRESSIBLE) and stat.st_size > 1024
        )
        if compress:
            body = cast(Server, self.server).gzip_cache.get(path, stat)
            encoding = "gzip"
        else:
            with open(path, "rb") as f:
                body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.send_header("Cache-Control", f"max-age={MAX_AGE}")
        self.end_headers()
        self._count(len(body))
        return io.BytesIO(body)


class Server(http.server.ThreadingHTTPServer):
    """The static server; says nothing when a browser drops a connection (a reader left, a
    request was cancelled)."""

    daemon_threads = True
    quiet: bool
    gzip_cache: _GzipCache
    #: Body bytes sent (compressed as sent), for measuring what a reader downloads.
    bytes_sent: int
    count_lock: threading.Lock

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # BrokenPipeError, ConnectionResetError: the browser went away, nothing is wrong
        super().handle_error(request, client_address)


def make_server(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    quiet: bool = False,
    handler: type[Handler] = Handler,
) -> Server:
    """A threading HTTP server for ``directory`` (port 0 picks a free one).

    ``server.bytes_sent`` counts the body bytes sent (compressed as sent);
    ``handler`` may be a subclass of :class:`Handler` that serves more.
    """
    server = Server((host, port), functools.partial(handler, directory=str(directory)))
    server.quiet = quiet
    server.gzip_cache = _GzipCache()
    server.bytes_sent = 0
    server.count_lock = threading.Lock()
    return server


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("directory", type=Path, help="the built HTML docs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a directory")
    server = make_server(args.directory, args.host, args.port)
    print(
        f"Serving {args.directory} on http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
