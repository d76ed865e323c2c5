"""An app whose import never ends: it computes forever, and its worker can report nothing."""

while True:
    pass

app = None  # never reached; the build's check of the target sees it defined
