"""What a search answers: issues, comments and projects in one ranked list."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class ResultType(StrEnum):
    ISSUE = "issue"
    COMMENT = "comment"
    PROJECT = "project"


class MatchedIn(StrEnum):
    KEY = "key"  # the search is the issue's key or number
    TITLE = "title"  # every word is in the issue's title or the project's name
    TEXT = "text"  # the words are spread over the title (or name) and the description
    COMMENT = "comment"


class SearchResult(BaseModel):
    type: ResultType
    id: str = Field(description="The issue's, comment's or project's id.")
    matched_in: MatchedIn
    title: str = Field(
        description="The issue's title, the project's name, or for a comment its issue's title."
    )
    title_highlight: str = Field(
        description="`title` as HTML-escaped text with `<mark>…</mark>` around matched words."
    )
    snippet: str | None = Field(
        None,
        description="An excerpt of the description or the comment, HTML-escaped, with "
        "`<mark>…</mark>` around matched words.",
    )
    issue_id: str | None = Field(None, description="The issue, for issues and comments.")
    issue_key: str | None = None
    issue_number: int | None = None
    created_at: datetime
