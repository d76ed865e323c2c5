"""An app whose import fails inside the standard library (the site ships that module as bytecode only)."""

from urllib.parse import urlsplit

urlsplit("http://[::1")  # ValueError("Invalid IPv6 URL"), raised in urllib/parse.py

app = None  # never reached; the build's check of the target sees it defined
