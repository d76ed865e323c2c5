"""The MyST ```` ```{live-asgi} ```` block for Python-Markdown (used by the MkDocs plugin).

A preprocessor that runs before the fenced-code preprocessors (Python-Markdown's
``fenced_code`` and pymdownx ``superfences``), so the block becomes HTML before
they would render it as code. It follows the fences of the page itself: a
fence that is not ``{live-asgi}`` is copied untouched with everything inside
it, so a page can *show* the syntax inside an outer fence of four backticks or
of tildes.

The block, as MyST writes it (so one Markdown file works in Sphinx and MkDocs)::

    ```{live-asgi} todo.main:app
    :name: todo
    :requirements: fastapi
    ```

Options are ``:name: value`` lines, or a ``---`` delimited ``name: value``
block; the lines after them (the body) are an app written in the page. Only
blocks at the top level of a page are recognised (indented by at
most three spaces), as CommonMark fences are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

__all__ = ["Block", "BlockError", "LiveAsgiBlockExtension", "find_blocks"]

DIRECTIVE = "live-asgi"
FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
OPTION_RE = re.compile(r"^:(?P<key>[A-Za-z][\w-]*):(?:\s+(?P<value>.*?))?\s*$")
YAML_OPTION_RE = re.compile(r"^(?P<key>[A-Za-z][\w-]*):(?:\s+(?P<value>.*?))?\s*$")


class BlockError(ValueError):
    """A ``live-asgi`` block is not written the way the tool reads it."""


@dataclass(frozen=True)
class Block:
    """One ``live-asgi`` block of a page.

    Attributes:
        target: The argument after ``{live-asgi}`` (``module:attr``).
        options: The options as written; ``None`` for an option with no value.
        start: The 0-based index of the opening fence line.
        end: The 0-based index of the closing fence line (or the last line).
        error: Why the block cannot be read, or ``""``.
        body: The lines after the options: an app written in the page, or ``""``.
    """

    target: str
    options: dict[str, str | None]
    start: int
    end: int
    error: str = ""
    body: str = ""


def _closes(line: str, fence: str) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    run = len(stripped) - len(stripped.lstrip(fence[0]))
    return run >= len(fence) and not stripped[run:].strip()


def _parse_body(body: list[str]) -> tuple[dict[str, str | None], str, str]:
    options: dict[str, str | None] = {}
    lines = list(body)
    # MyST's other spelling: a front-matter-like block of "key: value" lines.
    if lines and lines[0].strip() == "---":
        try:
            close = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
        except StopIteration:
            return options, "the options block opened with '---' is not closed with '---'", ""
        for line in lines[1:close]:
            match = YAML_OPTION_RE.match(line.strip())
            if not line.strip():
                continue
            if not match:
                return options, f"cannot read the option line {line.strip()!r}; write 'name: value'", ""
            options[match["key"]] = match["value"] or None
        lines = lines[close + 1 :]
    # As in MyST: option lines first; the first other line starts the body.
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        match = OPTION_RE.match(line.strip())
        if not match:
            return options, "", "\n".join(lines[i:])
        options[match["key"]] = match["value"] or None
    return options, "", ""


def find_blocks(lines: list[str]) -> list[Block]:
    """The ``live-asgi`` blocks of a page, skipping every other fenced block."""
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE_RE.match(lines[i])
        if not match or (match["fence"][0] == "`" and "`" in match["info"]):
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        end = i + 1
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        directive = re.match(r"^\{" + re.escape(DIRECTIVE) + r"\}(?:\s+(?P<arg>.*))?$", info)
        if directive:
            if end >= len(lines):
                blocks.append(
                    Block("", {}, i, len(lines) - 1, f"the {DIRECTIVE} block has no closing {fence} line")
                )
            else:
                options, error, body = _parse_body(lines[i + 1 : end])
                blocks.append(Block((directive["arg"] or "").strip(), options, i, end, error, body))
        i = end + 1
    return blocks


#: ``render(block) -> HTML``: what the page shows for a block.
Renderer = Callable[[Block], str]


class _BlockPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, render: Renderer) -> None:
        super().__init__(md)
        self.render = render

    def run(self, lines: list[str]) -> list[str]:
        blocks = find_blocks(lines)
        if not blocks:
            return lines
        out: list[str] = []
        done = 0
        for block in blocks:
            out.extend(lines[done : block.start])
            placeholder = self.md.htmlStash.store(self.render(block))
            # Blank lines around the placeholder make it a block of its own.
            out.extend(["", placeholder, ""])
            done = block.end + 1
        out.extend(lines[done:])
        return out


class LiveAsgiBlockExtension(Extension):
    """Turn ``live-asgi`` blocks into the HTML ``render`` returns.

    Args:
        render: Called for each block, in page order; its HTML is inserted
            as is (it must escape what came from the author).
    """

    def __init__(self, render: Renderer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.render = render

    def extendMarkdown(self, md: Markdown) -> None:
        """Register the preprocessor before every fenced-code one."""
        md.registerExtension(self)
        # After normalize_whitespace (30), which would strip the stash
        # placeholder's STX/ETX marks, and after pymdownx.snippets (32), so
        # included files may embed apps; before fenced_code_block and
        # pymdownx.superfences (both 25), which must never see the block.
        md.preprocessors.register(_BlockPreprocessor(md, self.render), "live_asgi_block", 29)
