"""Markdown as safe HTML: what the cache of short texts gives equals what rendering gives."""

from __future__ import annotations

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
