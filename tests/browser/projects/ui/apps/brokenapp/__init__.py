"""An app whose import fails, as a typo in a real app would."""

raise RuntimeError("the test app refuses to import")
