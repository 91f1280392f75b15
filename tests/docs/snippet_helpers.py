"""Find the ```python blocks of README.md and docs/*.md, and run one.

The convention, written in the Markdown right above a block (the line before the fence):

- ``<!-- snippet setup=NAME[,NAME] -->``: the named setups from ``tests/docs/snippet_setups.py``
  give the block what a page leaves out (a ``users`` store, a ``request`` to run in).
- ``<!-- snippet continues -->``: the block runs after the page's previous block, in
  the same namespace (can be combined with ``setup=``).
- ``<!-- snippet check=NAME -->``: after the block, a check from ``snippet_setups.py`` uses
  what it built (logs in through the app it made, calls its verify callback).
- ``<!-- snippet skip: REASON -->``: not run; the test is reported as skipped with REASON.

Every block runs in its own namespace, in a fresh temporary working directory, with
top-level ``await`` allowed. Functions named ``test_*`` that a block defines are then
called (awaited if async), as pytest would.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
_MARKER = re.compile(r"<!--\s*snippet\s+(?P<body>.*?)\s*-->")
_FENCE = re.compile(r"```python\s*")
# Pages whose text is kept elsewhere get their markers here, keyed by the block's first
# line; move them into the page as comments when it is next edited.
EXTRA_MARKERS: dict[tuple[str, str], str] = {
    ("docs/social-login.md", "from gatepass.strategies import providers"): "setup=social",
    ("docs/social-login.md", "OAuth2Strategy("): (
        "skip: a signature listing (`*` and `...` stand for the parameters), not a call"
    ),
    ("docs/social-login.md", '@router.get("/auth/{provider}")'): "setup=server_router",
}


@dataclass(frozen=True)
class Snippet:
    """One ```python block and what its marker says."""

    page: str
    line: int
    source: str
    setups: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    continues: Snippet | None = None
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def first_line(self) -> str:
        return self.source.strip().splitlines()[0].strip()


@dataclass
class Context:
    """What setups and checks share with the runner for one test."""

    tmp_path: Path
    setenv: Callable[[str, str], None]
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # A setup may run the code elsewhere (inside a request handler, say).
    runner: Callable[[Any, dict[str, Any]], Awaitable[None]] | None = None


def _marker(lines: list[str], fence: int) -> str | None:
    index = fence - 1
    while index >= 0 and not lines[index].strip():
        index -= 1
    if index < 0:
        return None
    found = _MARKER.fullmatch(lines[index].strip())
    return None if found is None else found.group("body")


def _parse(
    page: str, line: int, source: str, body: str | None, previous: Snippet | None
) -> Snippet:
    if body is None:
        return Snippet(page, line, source)
    if body.startswith("skip:"):
        return Snippet(page, line, source, skip=body.removeprefix("skip:").strip())
    setups: list[str] = []
    checks: list[str] = []
    continues = None
    for word in body.split():
        key, _, value = word.partition("=")
        if key == "setup":
            setups.extend(value.split(","))
        elif key == "check":
            checks.extend(value.split(","))
        elif key == "continues" and previous is not None:
            continues = previous
        else:
            raise ValueError(f"{page}:{line}: unknown snippet marker {word!r}")
    return Snippet(page, line, source, tuple(setups), tuple(checks), continues)


def collect(pages: tuple[Path, ...] = PAGES) -> list[Snippet]:
    """Every ```python block of the pages, in page order."""
    found: list[Snippet] = []
    for path in pages:
        lines = path.read_text(encoding="utf-8").splitlines()
        page = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        previous: Snippet | None = None
        index = 0
        while index < len(lines):
            if _FENCE.fullmatch(lines[index].strip()):
                end = index + 1
                while end < len(lines) and lines[end].strip() != "```":
                    end += 1
                source = "\n".join(lines[index + 1 : end])
                first = source.strip().splitlines()[0].strip() if source.strip() else ""
                body = _marker(lines, index) or EXTRA_MARKERS.get((page, first))
                snippet = _parse(page, index + 2, source, body, previous)
                found.append(snippet)
                previous = snippet
                index = end
            index += 1
    return found


def compile_snippet(snippet: Snippet) -> Any:
    """The block compiled with its page's line numbers, top-level ``await`` allowed."""
    padded = "\n" * (snippet.line - 1) + snippet.source
    return compile(padded, snippet.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


async def run_code(code: Any, namespace: dict[str, Any]) -> None:
    """Run compiled code in ``namespace``, awaiting it if it awaits."""
    # The code is the project's own documentation, compiled from this repository.
    result = eval(code, namespace)  # noqa: S307
    if inspect.isawaitable(result):
        await result


async def run_defined_tests(snippet: Snippet, namespace: dict[str, Any]) -> int:
    """Call the ``test_*`` functions the block itself defined; return how many ran."""
    ran = 0
    for name, value in list(namespace.items()):
        code = getattr(value, "__code__", None)
        if name.startswith("test_") and code is not None and code.co_filename == snippet.id:
            result = value()
            if inspect.isawaitable(result):
                await result
            ran += 1
    return ran


async def close_stores(namespace: dict[str, Any]) -> None:
    """Close the gatepass stores a block opened, and those held by its objects."""
    seen: set[int] = set()
    candidates = list(namespace.values())
    for value in list(candidates):
        if type(value).__module__.startswith("gatepass."):
            candidates.extend(getattr(value, "__dict__", {}).values())
    for value in candidates:
        if id(value) in seen or not type(value).__module__.startswith("gatepass."):
            continue
        seen.add(id(value))
        for name in ("aclose", "close"):
            method = getattr(value, name, None)
            if method is not None and inspect.iscoroutinefunction(method):
                await method()
                break
