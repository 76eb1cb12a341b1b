"""One page of a list, read from the JSON array and the X-Total-Count and Link headers.

Counting every match costs the server a scan, so the SDK asks for the total (`Prefer:
count=exact`) only on a list's first page and never while iterating.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Generic, TypeVar, overload
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import BaseModel, TypeAdapter

from praisonai_platform.client.calls import Call

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

MAX_PAGE_SIZE = 200
COUNT_HEADERS = {"Prefer": "count=exact"}


@dataclass(frozen=True, slots=True)
class Page(Sequence[T], Generic[T]):
    """A list of results, plus how many there are in all and the cursor of the next page.

    `total` comes with a first page (no cursor) and is None on the pages after it. Use it as a
    list; pass `cursor=page.next_cursor` to the same list method for the next page,
    or call the resource's `iter(...)` to go through every item.
    """

    items: list[T]
    total: int | None = None
    next_cursor: str | None = None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


def read_page(model: type[M]) -> Callable[[httpx.Response], Page[M]]:
    adapter = _list_adapter(model)

    def read(response: httpx.Response) -> Page[M]:
        return Page(
            items=adapter.validate_json(response.content),
            total=_total(response),
            next_cursor=next_cursor(response),
        )

    return read


def next_cursor(response: httpx.Response) -> str | None:
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


def listing_call(
    path: str, read: Callable[[httpx.Response], Page[T]], params: dict[str, Any]
) -> Call[Page[T]]:
    """A list request; a first page (no cursor) asks for the total."""
    return Call(
        "GET", path, read, params=params, headers={} if "cursor" in params else COUNT_HEADERS
    )


def first_page_for_iteration(call: Call[Page[T]]) -> Call[Page[T]]:
    """Iterating fetches the largest pages the server allows unless the caller chose a size, and
    never asks for a total."""
    call = _uncounted(call)
    return call if "limit" in call.params else call.with_params(limit=MAX_PAGE_SIZE)


def following_page(call: Call[Page[T]], page: Page[T]) -> Call[Page[T]] | None:
    if page.next_cursor is None or not page.items:
        return None
    return _uncounted(call.with_params(cursor=page.next_cursor, offset=None))


def _uncounted(call: Call[Page[T]]) -> Call[Page[T]]:
    headers = {k: v for k, v in call.headers.items() if k not in COUNT_HEADERS}
    return replace(call, headers=headers)


@lru_cache(maxsize=64)
def _list_adapter(model: type[Any]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _total(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["X-Total-Count"])
    except (KeyError, ValueError):
        return None


def collect(call: Call[Page[T]]) -> Generator[Call[Page[T]], Page[T], list[T]]:
    """A flow step: every item of a list, page after page."""
    items: list[T] = []
    next_call: Call[Page[T]] | None = first_page_for_iteration(call)
    while next_call is not None:
        page = yield next_call
        items.extend(page.items)
        next_call = following_page(next_call, page)
    return items
