"""Markdown written by people and agents, as safe HTML for the web pages.

markdown-it-py renders CommonMark (with tables and strikethrough) with raw HTML switched off, so
tags in the text come out as text; nh3 (the Rust `ammonia` sanitiser) then keeps only an allow-list
of tags and attributes, only http, https and mailto links, and gives every link
`rel="noopener nofollow"`. Nothing anyone writes can add a script, a style, an event handler or a
`javascript:` link to a page. The pages' Content-Security-Policy allows no inline script either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# Generous for an issue description; longer text is shown cut, never rendered at any cost.
MAX_RENDERED_CHARS = 200_000

_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
})  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"


@cache
def _parser() -> MarkdownIt:
    # "commonmark" with html off: a `<script>` in the text is text. Tables and strikethrough
    # as people know them from GitHub; no typographer (it would change what people wrote).
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def sanitise(html: str) -> str:
    """`html` with only the allowed tags, attributes and link schemes left."""
    return nh3.clean(
        html,
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


# Rendering is most of an issue page's cost (up to 200 comments), and a text always renders to the
# same HTML: the HTML of recently shown short texts is kept, in a bounded cache.
CACHE_SIZE = 2048
CACHED_CHARS = 4000


def render(text: str | None) -> Markup:
    """The Markdown `text` as sanitised HTML, ready to put into a template unescaped."""
    if not text:
        return Markup("")
    if len(text) <= CACHED_CHARS:
        return _render_cached(text)
    return _render(text)


@lru_cache(maxsize=CACHE_SIZE)
def _render_cached(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    return Markup(sanitise(_parser().render(text[:MAX_RENDERED_CHARS])))


# Rendering costs up to ~16 µs a character for hostile Markdown (`![![![…`), so a page renders at
# most this much of it; past that, texts are shown as written (escaped), without formatting.
PAGE_BUDGET_CHARS = 300_000

RenderMarkdown = Callable[[str | None], Markup]


async def render_page(texts: Iterable[str | None]) -> RenderMarkdown:
    """Render a page's texts before its template runs, on a worker thread (one hand-off), so
    that no page's Markdown holds up the event loop; the answer is the `render_markdown` its
    template calls. Texts past the page's budget are shown unrendered."""
    chosen: list[str] = []
    budget = PAGE_BUDGET_CHARS
    for text in dict.fromkeys(text for text in texts if text):
        cost = min(len(text), MAX_RENDERED_CHARS)
        if cost <= budget:
            chosen.append(text)
            budget -= cost
    rendered = await asyncio.to_thread(lambda: {text: render(text) for text in chosen})

    def render_markdown(text: str | None) -> Markup:
        if not text:
            return Markup("")
        found = rendered.get(text)
        return found if found is not None else unrendered(text)

    return render_markdown


def unrendered(text: str) -> Markup:
    """`text` as written, escaped, its line breaks kept (the `unrendered` class)."""
    return Markup('<p class="unrendered">') + escape(text[:MAX_RENDERED_CHARS]) + Markup("</p>")
