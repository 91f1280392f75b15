"""The snippet collector: markers read as documented, and a broken block fails."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from docs.snippet_helpers import collect, compile_snippet, run_code

PAGE = """# A page

<!-- snippet setup=users,request check=logs_in -->
```python
first = 1
```

<!-- snippet continues -->
```python
second = first + 1
```

<!-- snippet skip: shows a signature, not a call -->
```python
f(a, *, b)
```

```console
$ not python
```

```python
undefined_name
```
"""


def write(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_markers_name_setups_checks_continuation_and_skips(tmp_path: Path) -> None:
    first, second, skipped, plain = collect((write(tmp_path, PAGE),))
    assert (first.setups, first.checks, first.line) == (("users", "request"), ("logs_in",), 5)
    assert second.continues is first
    assert skipped.skip == "shows a signature, not a call"
    assert (plain.setups, plain.continues, plain.skip) == ((), None, None)


async def test_a_broken_snippet_fails_naming_its_page_line(tmp_path: Path) -> None:
    broken = collect((write(tmp_path, PAGE),))[-1]
    with pytest.raises(NameError) as failure:
        await run_code(compile_snippet(broken), {})
    frame = traceback.extract_tb(failure.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno) == ("page.md:23", 23)


def test_an_unknown_marker_word_is_refused(tmp_path: Path) -> None:
    page = write(tmp_path, "<!-- snippet setpu=users -->\n```python\npass\n```\n")
    with pytest.raises(ValueError, match="unknown snippet marker 'setpu=users'"):
        collect((page,))
