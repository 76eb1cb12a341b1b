"""What a search text asks for: its words, and the issue it names if it is a key or a number.

The text is never handed to a query language as it is: only its words are kept (letters and
digits; everything else separates words), each searched as a whole word, except the last one,
which is also a prefix (the word being typed, as in a search box). So quotes,
`*`, `NEAR`, `-`, `:` or parentheses in a search mean nothing special on either backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from praisonai_platform.core.errors import ValidationFailed

MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
# The last word, if this long or longer, is matched as a prefix ("webh" finds "webhook"); a
# one-letter prefix would match most of the index. The other words are whole words: an index
# answers a prefix by collecting every row of every word it starts, which for a few common
# prefixes costs far more than intersecting whole words.
MIN_PREFIX_LENGTH = 2

_WORD = re.compile(r"[^\W_]+")
_ISSUE_REF = re.compile(r"^(?:([A-Za-z][A-Za-z0-9]{0,19})-|#)?(\d{1,9})$")


@dataclass(frozen=True, slots=True)
class SearchTerms:
    words: tuple[str, ...]
    # "ENG-42", "42" or "#42": the issue with this number (a key's prefix must be the
    # workspace's, current or at the issue's birth).
    issue_number: int | None = None
    key_prefix: str | None = None

    def is_prefix(self, word: str) -> bool:
        return word == self.words[-1] and len(word) >= MIN_PREFIX_LENGTH


def parse(text: str) -> SearchTerms:
    """The terms of a search; ValidationFailed if it has no word or too many."""
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            f"a search is at most {MAX_QUERY_LENGTH} characters", code="search_query_too_long"
        )
    # Each word once, where it last occurs: the last word typed stays last (the prefix).
    typed = [word.lower() for word in _WORD.findall(text)]
    words = tuple(reversed(dict.fromkeys(reversed(typed))))
    if not words:
        raise ValidationFailed(
            "a search needs at least one word (letters or digits)", code="search_query_empty"
        )
    if len(words) > MAX_WORDS:
        raise ValidationFailed(
            f"a search has at most {MAX_WORDS} different words", code="search_query_too_long"
        )
    reference = _ISSUE_REF.match(text.strip())
    if reference is None:
        return SearchTerms(words)
    prefix = reference.group(1)
    return SearchTerms(
        words, issue_number=int(reference.group(2)), key_prefix=prefix.upper() if prefix else None
    )


def fts5_query(terms: SearchTerms, column: str | None = None) -> str:
    """An FTS5 query matching every word (the last as a prefix if long enough), in `column` only if
    given. Each word is a quoted string: FTS5 reads nothing in it as syntax."""
    scope = f"{column} : " if column else ""
    return " AND ".join(
        f'{scope}"{word}"' + ("*" if terms.is_prefix(word) else "") for word in terms.words
    )


def tsquery(terms: SearchTerms, weights: str = "") -> str:
    """A PostgreSQL tsquery (for `to_tsquery`) matching every word, only with these weights
    (e.g. "A": titles) if given. Each word is a quoted lexeme: nothing in it is syntax."""
    labels = ["*" if terms.is_prefix(word) else "" for word in terms.words]
    return " & ".join(
        f"'{word}'" + (f":{label}{weights}" if label or weights else "")
        for word, label in zip(terms.words, labels, strict=True)
    )
