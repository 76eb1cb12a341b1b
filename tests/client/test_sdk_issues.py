"""Issues, comments, labels, dependencies and activity through the SDK, sync and async."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from praisonai_platform.client import Conflict, NotFound, Page, PreconditionFailed, ValidationError
from praisonai_platform.client.models import ActivityEntry, Comment, Dependency, Issue, Label
from tests.client.conftest import ClientFactory


def test_the_seed_quick_start_keywords(api: Any, workspace: Any) -> None:
    issue = api.issues.create(workspace_id=workspace.id, title="Setup database")
    assert isinstance(issue, Issue)
    assert (issue.identifier, issue.number, issue.issue_number) == ("ENG-1", 1, 1)
    assert (issue.status.value, issue.priority.value, issue.workspace_id) == (
        "backlog",
        "medium",
        workspace.id,
    )


def test_issue_by_id_and_by_key(api: Any, workspace: Any, clients: ClientFactory) -> None:
    issue = api.issues.create(workspace.id, "Find me", description="somewhere")
    assert api.issues.get(workspace.id, issue.id) == issue
    assert api.issues.get(workspace.id, "ENG-1") == issue
    assert api.issues.get_by_key("eng-1", workspace_id=workspace.id) == issue
    assert api.issues.get_by_key("ENG-1") == issue

    other = api.workspaces.create(name="Other", issue_prefix="OPS")
    in_other = api.issues.create(other.id, "Elsewhere")
    assert api.issues.get_by_key("OPS-1").id == in_other.id
    api.workspaces.update(other.id, issue_prefix="NEW")
    assert api.issues.get_by_key("OPS-1").id == in_other.id  # old keys keep working

    with pytest.raises(NotFound) as missing:
        api.issues.get_by_key("ENG-99")
    assert str(missing.value) == "no issue ENG-99 in your workspaces"
    with pytest.raises(NotFound):
        clients.signed_up("stranger").issues.get_by_key("ENG-1")
    with pytest.raises(ValidationError) as malformed:
        api.issues.get_by_key("not a key")
    assert malformed.value.code == "invalid_key"


def test_update_and_optimistic_concurrency(api: Any, workspace: Any) -> None:
    me = api.me()
    issue = api.issues.create(workspace.id, "Draft", assignee_id=me.id, priority="low")
    assert (issue.assignee_id, issue.assignee_type) == (me.id, "user")

    changed = api.issues.update(
        workspace.id, issue.identifier, status="in_progress", title="Final", if_match=issue.version
    )
    assert (changed.status.value, changed.title, changed.version) == (
        "in-progress",
        "Final",
        issue.version + 1,
    )
    assert changed.assignee_id == me.id  # untouched fields stay

    with pytest.raises(PreconditionFailed) as stale:
        api.issues.update(workspace.id, issue.id, status="done", if_match=issue.version)
    assert (stale.value.status_code, stale.value.code) == (412, "precondition_failed")

    unassigned = api.issues.update(workspace.id, issue.id, assignee_id=None, description=None)
    assert (unassigned.assignee_id, unassigned.description) == (None, None)

    api.issues.delete(workspace.id, issue.id)
    with pytest.raises(NotFound):
        api.issues.get(workspace.id, issue.id)


def test_lists_filter_search_and_page(api: Any, workspace: Any) -> None:
    me = api.me()
    bug = api.labels.create(workspace.id, "bug", color="#ff0000")
    first = api.issues.create(workspace.id, "Login fails", status="todo", assignee_id=me.id)
    api.issues.create(workspace.id, "Logout slow", priority="high")
    third = api.issues.create(workspace.id, "Docs", status="todo")
    api.issues.add_label(workspace.id, third.id, bug.id)

    def keys(page: Any) -> list[str]:
        return [issue.identifier for issue in page]

    assert keys(api.issues.list(workspace.id, status="todo")) == ["ENG-1", "ENG-3"]
    assert keys(api.issues.list(workspace.id, status=["todo", "backlog"])) == [
        "ENG-1",
        "ENG-2",
        "ENG-3",
    ]
    assert keys(api.issues.list(workspace.id, priority="high")) == ["ENG-2"]
    assert keys(api.issues.list(workspace.id, assignee_id=me.id)) == [first.identifier]
    assert keys(api.issues.list(workspace.id, assignee_id="none")) == ["ENG-2", "ENG-3"]
    assert keys(api.issues.list(workspace.id, label="bug")) == ["ENG-3"]
    assert keys(api.issues.list(workspace.id, q="log", sort="-number")) == ["ENG-2", "ENG-1"]
    assert keys(api.issues.search(workspace.id, "LOG", status="todo")) == ["ENG-1"]
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert len(api.issues.list(workspace.id, updated_since=since)) == 3

    page = api.issues.list(workspace.id, limit=2)
    assert isinstance(page, Page)
    assert (keys(page), page.total, page.has_more) == (["ENG-1", "ENG-2"], 3, True)
    rest = api.issues.list(workspace.id, limit=2, cursor=page.next_cursor)
    # the total comes with the first page only: counting costs the server a scan
    assert (keys(rest), rest.total, rest.next_cursor) == (["ENG-3"], None, None)
    assert [i.identifier for i in api.issues.iter(workspace.id, limit=1)] == [
        "ENG-1",
        "ENG-2",
        "ENG-3",
    ]
    assert [i.identifier for i in api.issues.iter(workspace.id, status="todo")] == [
        "ENG-1",
        "ENG-3",
    ]
    with pytest.raises(ValidationError) as bad_cursor:
        api.issues.list(workspace.id, cursor="garbage")
    assert bad_cursor.value.code == "invalid_cursor"


def test_children(api: Any, workspace: Any) -> None:
    parent = api.issues.create(workspace.id, "Epic")
    for title in ("One", "Two", "Three"):
        api.issues.create(workspace.id, title, parent_issue_id=parent.identifier)
    page = api.issues.children(workspace.id, parent.identifier, limit=2)
    assert ([c.title for c in page], page.total) == (["One", "Two"], 3)
    assert all(child.parent_issue_id == parent.id for child in page)
    assert [c.title for c in api.issues.iter_children(workspace.id, parent.id, limit=2)] == [
        "One",
        "Two",
        "Three",
    ]


def test_labels_on_issues(api: Any, workspace: Any) -> None:
    bug = api.labels.create(workspace.id, "bug", color="#FF0000", description="broken")
    assert isinstance(bug, Label)
    ui = api.labels.create(workspace.id, "ui")
    with pytest.raises(Conflict) as duplicate:
        api.labels.create(workspace.id, "bug")
    assert (duplicate.value.status_code, duplicate.value.code) == (409, "label_exists")

    renamed = api.labels.update(workspace.id, ui.id, name="frontend", color="#00ff00")
    assert (renamed.name, renamed.color) == ("frontend", "#00ff00")
    assert [label.name for label in api.labels.list(workspace.id)] == ["bug", "frontend"]
    assert len(list(api.labels.iter(workspace.id, limit=1))) == 2

    issue = api.issues.create(workspace.id, "Button misaligned")
    assert api.issues.add_label(workspace.id, issue.id, bug.id) is None
    api.issues.add_label(workspace.id, issue.identifier, ui.id)
    assert {label.name for label in api.issues.labels(workspace.id, issue.id)} == {
        "bug",
        "frontend",
    }
    api.issues.remove_label(workspace.id, issue.id, ui.id)
    assert [label.id for label in api.issues.labels(workspace.id, issue.id)] == [bug.id]

    api.labels.delete(workspace.id, bug.id)
    assert list(api.issues.labels(workspace.id, issue.id)) == []


def test_comments(api: Any, workspace: Any, clients: ClientFactory) -> None:
    issue = api.issues.create(workspace.id, "Discuss")
    comment = api.comments.create(workspace.id, issue.identifier, "First!")
    assert isinstance(comment, Comment)
    assert (comment.content, comment.issue_id, comment.author_type) == ("First!", issue.id, "user")
    reply = api.comments.create(workspace.id, issue.id, "Answer", parent_id=comment.id)
    assert reply.parent_id == comment.id

    edited = api.comments.update(workspace.id, issue.id, comment.id, content="First, edited")
    assert edited.content == "First, edited"
    page = api.comments.list(workspace.id, issue.id)
    assert ([c.content for c in page], page.total) == (["First, edited", "Answer"], 2)
    assert len(list(api.comments.iter(workspace.id, issue.id, limit=1))) == 2

    api.comments.delete(workspace.id, issue.id, reply.id)
    assert [c.id for c in api.comments.list(workspace.id, issue.id)] == [comment.id]
    with pytest.raises(ValidationError):
        api.comments.create(workspace.id, issue.id, "   ")


def test_dependencies(api: Any, workspace: Any) -> None:
    first = api.issues.create(workspace.id, "Schema")
    second = api.issues.create(workspace.id, "API")
    link = api.dependencies.create(workspace.id, second.identifier, first.identifier)
    assert isinstance(link, Dependency)
    assert (link.issue_id, link.depends_on_issue_id, link.type.value) == (
        second.id,
        first.id,
        "blocks",
    )
    with pytest.raises(ValidationError) as cycle:
        api.dependencies.create(workspace.id, first.id, second.id, type="blocks")
    assert cycle.value.code == "dependency_cycle"
    with pytest.raises(Conflict):
        api.dependencies.create(workspace.id, second.id, first.id)

    related = api.dependencies.create(workspace.id, first.id, second.id, type="relates_to")
    assert related.type.value == "related"
    assert [d.id for d in api.dependencies.list(workspace.id, second.id)] == [link.id]
    both = api.dependencies.list(workspace.id, second.id, direction="both")
    assert {d.id for d in both} == {link.id, related.id}
    assert len(list(api.dependencies.iter(workspace.id, first.id, direction="both"))) == 2

    api.dependencies.delete(workspace.id, second.id, link.id)
    assert list(api.dependencies.list(workspace.id, second.id)) == []


def test_activity(api: Any, workspace: Any) -> None:
    issue = api.issues.create(workspace.id, "Tracked")
    api.issues.update(workspace.id, issue.id, status="todo")
    api.comments.create(workspace.id, issue.id, "noted")

    entries = api.activity.list(workspace.id)
    assert all(isinstance(entry, ActivityEntry) for entry in entries)
    assert entries.total == len(entries) >= 4
    update = next(e for e in entries if e.action == "updated" and e.entity_type == "issue")
    assert update.details["changes"]["status"] == ["backlog", "todo"]

    on_issue = api.activity.list(workspace.id, issue_id=issue.identifier)
    assert {e.issue_id for e in on_issue} == {issue.id}
    assert {(e.entity_type, e.action) for e in on_issue} >= {
        ("issue", "created"),
        ("issue", "updated"),
        ("comment", "created"),
    }
    only_comments = api.activity.list(workspace.id, entity_type="comment", actor_type="user")
    assert [e.entity_type for e in only_comments] == ["comment"]
    assert len(list(api.activity.iter(workspace.id, limit=1))) == entries.total
