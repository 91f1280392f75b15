"""Every ```python block of README.md and docs/*.md runs (conventions: snippet_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from docs.snippet_helpers import (
    Context,
    Snippet,
    close_stores,
    collect,
    compile_snippet,
    run_code,
    run_defined_tests,
)
from docs.snippet_setups import STEPS

SNIPPETS = collect()


async def _run(snippet: Snippet, namespace: dict[str, Any], ctx: Context) -> None:
    if snippet.continues is not None:
        await _run(snippet.continues, namespace, ctx)
    ctx.runner = None
    for name in snippet.setups:
        await STEPS[name](namespace, ctx)
    code = compile_snippet(snippet)
    await (ctx.runner or run_code)(code, namespace)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
async def test_docs_snippet_runs(
    snippet: Snippet, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if snippet.skip is not None:
        pytest.skip(snippet.skip)
    monkeypatch.chdir(tmp_path)
    ctx = Context(tmp_path=tmp_path, setenv=monkeypatch.setenv)
    namespace: dict[str, Any] = {"__name__": "docs_snippet"}
    try:
        await _run(snippet, namespace, ctx)
        await run_defined_tests(snippet, namespace)
        for name in snippet.checks:
            await STEPS[name](namespace, ctx)
    finally:
        await close_stores(namespace)
        for cleanup in reversed(ctx.cleanups):
            await cleanup()


def test_every_marker_names_a_known_setup_or_check() -> None:
    named = {name for s in SNIPPETS for name in (*s.setups, *s.checks)}
    assert named <= set(STEPS), sorted(named - set(STEPS))


def test_skipped_snippets_stay_rare() -> None:
    skipped = [s.id for s in SNIPPETS if s.skip is not None]
    assert len(skipped) <= 2, skipped
