"""An app whose import fails, as a typo or a missing requirement in a real app would.

Its message spans lines, as FastAPI's "python-multipart" message does.
"""

raise RuntimeError("the test app refuses to import.\nInstall what it needs with:\n\npip install nothing")

app = None  # never reached; the build's check of the target sees it defined
