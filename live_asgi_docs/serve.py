"""Serve built docs on localhost for a preview: ``python -m live_asgi_docs.serve DIR``.

Live apps need a web server (service workers do not run on ``file://``) and
the right types for ``.mjs`` and ``.wasm``; this small server has both.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path

__all__ = ["Handler", "make_server", "main"]


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the types browsers insist on for modules and wasm."""

    extensions_map = {  # noqa: RUF012 - the base class declares it so
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".whl": "application/zip",
        ".zip": "application/zip",
    }

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> http.server.ThreadingHTTPServer:
    """A threading HTTP server for ``directory`` (port 0 picks a free one)."""
    handler = functools.partial(Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.quiet = quiet  # type: ignore[attr-defined]
    return server


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="the built HTML docs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a directory")
    server = make_server(args.directory, args.host, args.port)
    print(f"Serving {args.directory} on http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
