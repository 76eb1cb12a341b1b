"""Markdown as safe HTML: what the cache of short texts gives equals what rendering gives, and
pages render theirs off the event loop, within a budget."""

from __future__ import annotations

import threading

import pytest
from markupsafe import Markup

from praisonai_platform.web import markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |",
]


def test_a_cached_rendering_is_the_rendering() -> None:
    for text in HOSTILE:
        first = markdown.render(text)
        again = markdown.render(text)  # from the cache
        assert again == first == markdown._render(text)
        # Tags people typed come out as text; no link leads to a script.
        assert "<script" not in again and "<svg" not in again and "<img" not in again
        assert 'href="javascript' not in again


def test_long_texts_are_rendered_each_time_and_cut_at_the_limit() -> None:
    long_text = "word " * (markdown.CACHED_CHARS // 5 + 10)
    before = markdown._render_cached.cache_info().currsize
    assert markdown.render(long_text).startswith("<p>word word")
    assert markdown._render_cached.cache_info().currsize == before
    huge = "x" * (markdown.MAX_RENDERED_CHARS + 1000)
    assert len(markdown.render(huge)) <= markdown.MAX_RENDERED_CHARS + len("<p></p>\n")


async def test_a_page_renders_its_texts_off_the_event_loop_within_a_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hostile Markdown (`![![![…`) costs up to ~16 µs a character: a page's texts are rendered
    on a worker thread, and past the page's budget shown as written, escaped."""
    monkeypatch.setattr(markdown, "PAGE_BUDGET_CHARS", 100)
    loop_thread = threading.get_ident()
    threads: set[int] = set()
    real_render = markdown.render

    def watched(text: str | None) -> Markup:
        threads.add(threading.get_ident())
        return real_render(text)

    monkeypatch.setattr(markdown, "render", watched)
    first, second, third = "**one**", "x" * 95 + " *two*", "<b>three</b>\nline two"
    render_markdown = await markdown.render_page([first, None, second, third, first])
    assert threads and loop_thread not in threads
    assert render_markdown(first) == real_render(first) == Markup("<p><strong>one</strong></p>\n")
    # Past the budget (7 + 101 > 100): the text as written, its tags as text.
    assert render_markdown(second) == Markup(f'<p class="unrendered">{"x" * 95} *two*</p>')
    assert render_markdown(third) == real_render(third)  # fits in what is left
    assert render_markdown(None) == Markup("")
