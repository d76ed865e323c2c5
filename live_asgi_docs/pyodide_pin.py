"""The Pyodide release this version of live-asgi-docs is built for, in one place.

Everything that depends on it (the CDN URL, the wheel tags pip resolves for,
the lock file's ``info``, the download size shown to readers, the path of
``site-packages`` in the browser) is derived from here;
``tests/contract/test_pyodide_pin.py`` fails when the vendored runtime (the
npm package ``pyodide@VERSION``) says otherwise.
"""

from __future__ import annotations

__all__ = [
    "ABI",
    "ABI_VERSION",
    "ARCH",
    "CDN",
    "CDN_RUNTIME_BYTES",
    "EMSCRIPTEN",
    "LOCK_INFO",
    "PLATFORM_TAG",
    "PYTHON",
    "PYTHON_VERSION",
    "SITE_PACKAGES",
    "VERSION",
]

#: The Pyodide release.
VERSION = "314.0.7"
#: The CPython it runs.
PYTHON = "3.14.2"
#: Its Emscripten and its ABI (the platform tag of its wheels).
EMSCRIPTEN = "5.0.3"
ABI_VERSION = "2026_0"
ARCH = "wasm32"

#: Derived: what pip is asked for, and where packages go in the browser.
PYTHON_VERSION = ".".join(PYTHON.split(".")[:2])
ABI = "cp" + PYTHON_VERSION.replace(".", "")
PLATFORM_TAG = f"pyemscripten_{ABI_VERSION}_{ARCH}"
SITE_PACKAGES = f"/lib/python{PYTHON_VERSION}/site-packages"
#: The official home of the release (what readers with the internet get by default).
CDN = f"https://cdn.jsdelivr.net/pyodide/v{VERSION}/full/"
#: The ``info`` block of the locks a build writes: the release's own
#: ``pyodide-lock.json`` has the same, without ``version``.
LOCK_INFO = {
    "abi_version": ABI_VERSION,
    "arch": ARCH,
    "platform": "emscripten_" + EMSCRIPTEN.replace(".", "_"),
    "python": PYTHON,
    "version": VERSION,
}
#: What a page downloads of the runtime itself from the CDN (its files but the
#: lock, uncompressed, as the browser counts them).
CDN_RUNTIME_BYTES = 13_412_130
