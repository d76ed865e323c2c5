"""The local static server (``python -m live_asgi_docs.serve``, ``scripts/demo``, the benchmark)."""

from __future__ import annotations

import socket
import struct
import threading
import urllib.request
from pathlib import Path

import pytest

from live_asgi_docs.serve import make_server


def test_a_reader_who_leaves_mid_download_prints_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A large file (not gzipped on the fly: .bin), so the server is still writing when the
    # browser drops the connection, as when a reader leaves while the runtime downloads.
    (tmp_path / "big.bin").write_bytes(bytes(64 * 1024 * 1024))
    (tmp_path / "index.html").write_text("<p>still here</p>")
    server = make_server(tmp_path, port=0, quiet=True)
    done = threading.Event()
    handle = server.process_request_thread

    def process_request_thread(request: socket.socket, client_address: object) -> None:
        try:
            handle(request, client_address)
        finally:
            done.set()

    server.process_request_thread = process_request_thread  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.0 200")
            # Close with a reset, as a browser that cancels does.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        assert done.wait(30), "the server never finished the dropped request"
        # The server goes on serving.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            assert response.read() == b"<p>still here</p>"
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capsys.readouterr().err
