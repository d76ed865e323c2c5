"""The block reader of the Markdown extension: which fences are live-asgi blocks."""

from __future__ import annotations

import markdown

from live_asgi_docs.markdown_block import Block, LiveAsgiBlockExtension, find_blocks


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_options_in_both_myst_spellings_and_the_lines_they_span() -> None:
    text = (
        "intro\n\n```{live-asgi} a.b:app\n:name: one\n:debug:\n```\n\n"
        "~~~{live-asgi} c:app\n---\nname: two\n---\n~~~\n"
    )
    first, second = find_blocks(lines(text))
    assert (first.target, first.options, first.start, first.end) == (
        "a.b:app",
        {"name": "one", "debug": None},
        2,
        5,
    )
    assert (second.target, second.options, second.start, second.end) == ("c:app", {"name": "two"}, 7, 11)
    assert not first.error and not second.error


def test_blocks_inside_other_fences_or_indented_are_not_blocks() -> None:
    text = (
        "`````md\n````\n```{live-asgi} a:app\n```\n````\n`````\n"
        "~~~~\n```{live-asgi} b:app\n```\n~~~~\n"
        "    ```{live-asgi} c:app\n    ```\n"
        "```python\nx = 1\n```\n"
        "```{live-asgi} d:app\n```"
    )
    assert [b.target for b in find_blocks(lines(text))] == ["d:app"]


def test_an_unclosed_block_is_an_error_not_the_rest_of_the_page() -> None:
    [block] = find_blocks(lines("# T\n\n```{live-asgi} a:app\n:name: x\n\nmore text"))
    assert "no closing ``` line" in block.error


def test_the_extension_replaces_the_block_with_the_rendered_html_before_fenced_code() -> None:
    seen: list[Block] = []

    def render(block: Block) -> str:
        seen.append(block)
        return '<div class="embed">&lt;app&gt;</div>'

    md = markdown.Markdown(extensions=["fenced_code", LiveAsgiBlockExtension(render)])
    out = md.convert("# T\n\n```{live-asgi} a:app\n```\n\n````\n```{live-asgi} b:app\n```\n````\n")
    assert '<div class="embed">&lt;app&gt;</div>' in out
    assert "<pre><code>```{live-asgi} b:app\n```\n</code></pre>" in out
    assert [b.target for b in seen] == ["a:app"]
