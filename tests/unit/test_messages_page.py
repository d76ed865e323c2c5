"""Every message the code can give an author or a reader is on the messages page.

``docs/reference/messages.md`` promises every build message and every in-frame
message with its cause and fix. The messages are written where they arise (an
f-string next to the check that fails, a template literal next to the failure in
the browser), so the page cannot be generated from them without moving each into
a catalogue; instead this test finds them in the code and fails, naming the
message, when one is not on the page. What counts as a message:

- build (Python): the first argument of every ``raise OptionError/ExtensionError/
  PluginError(...)`` and every ``logger.warning/error(...)`` in the build modules,
  and what the message builders (``explain_failure``, ``*message``) return;
- in the frame (Python): the ``RuntimeError`` the bridge gives for a thread;
- in the frame (JavaScript): every string or template literal of the browser
  runtime and the service worker that starts with a capital letter and has at
  least four words, unless it continues another one (``+ "..."``). Not
  ``websocket.js``, whose errors copy the browser's own ``WebSocket`` wording.

A message is found on the page by its head: its text up to the first clause break,
with each ``{placeholder}`` matching whatever the page writes there (``'…'``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "reference" / "messages.md"
PACKAGE = REPO / "live_asgi_docs"

BUILD_MODULES = [
    "apps.py",
    "check.py",
    "diagnose.py",
    "editing.py",
    "mkdocs_plugin.py",
    "options.py",
    "packages.py",
    "runtime.py",
    "site.py",
    "sphinx_ext.py",
]
ERRORS = {"OptionError", "ExtensionError", "PluginError"}
BUILDERS = re.compile(r"^(explain_failure|message|\w+_message)$")
# Not websocket.js: its texts copy the browser's own WebSocket errors, word for word.
BROWSER_SCRIPTS = ("embed", "lifecycle", "registration", "state", "worker")
FRAME_SCRIPTS = [
    *(PACKAGE / "browser" / f"{name}.js" for name in BROWSER_SCRIPTS),
    REPO / "sw_template" / "sw.js",
]

PLACEHOLDER = "\x00"
#: Where a message's head ends: the first clause break.
CLAUSE_END = re.compile(r"\. |; |: |:\n| \(|, |\n|\?")


def _template(node: ast.AST) -> str | None:
    """A str or f-string as text, placeholders marked; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return None if left is None else left + (right if right is not None else PLACEHOLDER)
    return None


def _python_messages(path: Path, *, errors: set[str], logs: bool, builders: bool) -> list[str]:
    found = []
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if name in errors:
                found.append(_template(node.exc.args[0]))
        elif (
            logs
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("warning", "error")
            and getattr(node.func.value, "id", "") == "logger"
            and node.args
        ):
            found.append(_template(node.args[0]))
        elif builders and isinstance(node, ast.FunctionDef) and BUILDERS.match(node.name):
            found += [_template(r.value) for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
    return [f"{path.name}: {text}" for text in found if text]


#: A string or template literal of JavaScript (no nested templates in these files).
JS_LITERAL = re.compile(r"""(?P<before>[^\s])?\s*(?P<literal>"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)""")


def _js_messages(path: Path) -> list[str]:
    source = path.read_text()
    # Comments hold sentences too.
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"(?m)^\s*//.*$", "", source)
    found = []
    for match in JS_LITERAL.finditer(source):
        if match["before"] == "+":
            continue
        text = re.sub(r"\$\{(?:[^{}]|\{[^{}]*\})*\}", PLACEHOLDER, match["literal"][1:-1])
        if re.match(r"[A-Z]", text) and len(text.split()) >= 4:
            found.append(f"{path.name}: {text}")
    return found


def _all_messages() -> list[str]:
    messages = []
    for name in BUILD_MODULES:
        messages += _python_messages(PACKAGE / name, errors=ERRORS, logs=True, builders=True)
    messages += _python_messages(
        PACKAGE / "pyodide_compat.py", errors={"RuntimeError"}, logs=False, builders=False
    )
    for path in FRAME_SCRIPTS:
        messages += _js_messages(path)
    return messages


def _head(text: str) -> str:
    """The message up to its first clause break, without placeholders at either end."""
    text = re.sub(r"%[sr]", PLACEHOLDER, text)
    # The tool's prefix, and what a builder puts first (``{head}: the requirements conflict``).
    text = text.removeprefix("live-asgi: ").lstrip(PLACEHOLDER + " :;")
    head = CLAUSE_END.split(text, maxsplit=1)[0]
    return head.strip(PLACEHOLDER + " '\"`.:;,")


def _pattern(head: str) -> re.Pattern[str]:
    pieces = [re.escape(" ".join(p.split())) for p in head.split(PLACEHOLDER)]
    return re.compile(r".{0,80}?".join(pieces))


def _page_text() -> str:
    return " ".join(PAGE.read_text().replace("`", "").split())


def _is_wrapper(message: str) -> bool:
    """A message of fewer than two words of its own only wraps another (``f"{where}: {err}"``)."""
    head = _head(message.partition(": ")[2])
    return len(head.replace(PLACEHOLDER, " ").split()) < 2


MESSAGES = _all_messages()
#: What the page must list: every message but the wrappers of others.
OWN_MESSAGES = [m for m in MESSAGES if not _is_wrapper(m)]


def test_the_code_has_the_messages_the_page_lists() -> None:
    # The rules above find messages at all (a rename of a module or class would hide them).
    assert len(MESSAGES) > 60, MESSAGES
    assert any("Live apps cannot run from a file:// page" in m for m in MESSAGES)
    assert any("is not of the form module:attribute" in m for m in MESSAGES)


@pytest.mark.parametrize("message", OWN_MESSAGES, ids=lambda m: m.replace(PLACEHOLDER, "...")[:70])
def test_every_message_is_on_the_messages_page(message: str) -> None:
    where, _, text = message.partition(": ")
    head = _head(text)
    assert _pattern(head).search(_page_text()), (
        f"{where}: {head.replace(PLACEHOLDER, '…')!r} is not in docs/reference/messages.md; "
        "add it with its cause and fix"
    )
