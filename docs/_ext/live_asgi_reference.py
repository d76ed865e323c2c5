"""The reference of every embed option and site setting, made from ``live_asgi_docs.options``.

The options model is the one source: its dataclass fields give the names and
defaults, their docstrings (Google-style ``Attributes:``) the meaning. Usage::

    ```{live-asgi-reference} options
    ```

with ``options`` (the directive's options) or ``settings`` (conf.py / mkdocs.yml).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import MISSING, fields
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from live_asgi_docs.options import EmbedOptions, Settings


def attributes(cls: type) -> dict[str, str]:
    """The ``Attributes:`` section of a class docstring, by field name."""
    doc = inspect.getdoc(cls) or ""
    section = doc.split("Attributes:", 1)[1] if "Attributes:" in doc else ""
    out: dict[str, str] = {}
    current = ""
    for line in section.splitlines():
        match = re.match(r"^    (\w+): (.*)$", line)
        if match:
            current = match[1]
            out[current] = match[2]
        elif line.startswith("        ") and current:
            out[current] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break
    return out


def _default(f: Any) -> str:
    if f.default is not MISSING:
        value = f.default
    elif f.default_factory is not MISSING:
        value = f.default_factory()
    else:
        return "required"
    if value in ((), "", None, [], {}):
        return "none" if value != [] and value != {} else repr(value)
    return repr(value)


class ReferenceDirective(SphinxDirective):
    """A table of the fields of EmbedOptions (``options``) or Settings (``settings``)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        cls = {"options": EmbedOptions, "settings": Settings}[kind]
        docs = attributes(cls)
        table = nodes.table(classes=["live-asgi-reference"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (20, 60, 20):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        body = nodes.tbody()
        group += body
        first = "option" if kind == "options" else "conf.py / mkdocs.yml"
        head += self._row([first, "meaning", "default"], literal=False)
        for f in fields(cls):
            if f.name == "target":
                continue
            name = f.metadata.get("option", f.name)
            shown = f":{name}:" if kind == "options" else f"live_asgi_{name} / {name}"
            body += self._row([shown, docs.get(f.name, ""), _default(f)], literal=True)
        return [table]

    def _row(self, cells: list[str], *, literal: bool) -> nodes.row:
        row = nodes.row()
        for i, text in enumerate(cells):
            entry = nodes.entry()
            if literal and i != 1:
                entry += nodes.paragraph("", "", nodes.literal(text, text))
            else:
                parsed, _ = self.parse_inline(text, lineno=self.lineno)
                entry += nodes.paragraph("", "", *parsed)
            row += entry
        return row


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("live-asgi-reference", ReferenceDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
