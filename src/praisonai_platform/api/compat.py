"""praisonai-platform 0.1.9's dialect of /api/v1, for its clients (PLATFORM_API_COMPAT=0.1.9).

Our paths and fields are a superset of 0.1.9's; where the two disagree on a spelling or a status
code, the database and the services keep ours, and this module, the one place where translation
happens, rewrites requests and answers at the API edge:

| point                    | ours                                | 0.1.9's                        |
| ------------------------ | ----------------------------------- | ------------------------------ |
| issue status             | `in-progress`, `in-review`          | `in_progress`, `in_review`     |
| agent status             | `active`; new agents `idle`         | `working`; new agents `offline`|
| activity                 | `created` by a `user`               | `issue.created` by a `member`  |
| default issue prefix     | `ISSUE`                             | `ISS`                          |
| not a member / no such   | 404                                 | 403                            |
|   workspace              |                                     |                                |

Both spellings are accepted as input in either dialect (the schemas parse them leniently), so
only answers, and the two defaults that 0.1.9 left to the server, need rewriting. Adding members
by `user_id`, as 0.1.9 did, is allowed by `create_app` passing the dialect to
`workspaces.members.settings.direct_membership_allowed`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praisonai_platform.core.enums import ActorType, AgentStatus, IssueStatus
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.workspaces.permissions import WORKSPACE_NOT_FOUND

DIALECT_019 = "0.1.9"
API_PREFIX = "/api/v1"

ISSUE_STATUS_019 = {
    IssueStatus.IN_PROGRESS.value: "in_progress",
    IssueStatus.IN_REVIEW.value: "in_review",
}
# 0.1.9 has no `active`: it calls the same state `working`.
AGENT_STATUS_019 = {AgentStatus.ACTIVE.value: AgentStatus.WORKING.value}
ACTOR_TYPE_019 = {ActorType.USER.value: "member"}
DEFAULT_ISSUE_PREFIX_019 = "ISS"
DEFAULT_AGENT_STATUS_019 = AgentStatus.OFFLINE.value
NOT_A_MEMBER_019 = "Not a member of this workspace or insufficient role"

Json = Any


def api_dialect(request: Request) -> str | None:
    """The dialect this server speaks: "0.1.9", or None for our own."""
    settings: ServerSettings | None = getattr(request.app.state, "server_settings", None)
    return _dialect(settings)


def _dialect(settings: ServerSettings | None) -> str | None:
    if settings is None or settings.api_compat == "none":
        return None
    return settings.api_compat


# ── Answers ──────────────────────────────────────────────────────────────────────────────────


def issue_status(value: Json) -> Json:
    return ISSUE_STATUS_019.get(value, value) if isinstance(value, str) else value


def agent_status(value: Json) -> Json:
    return AGENT_STATUS_019.get(value, value) if isinstance(value, str) else value


def _each(translate: Callable[[dict[str, Any]], None]) -> Callable[[Json], Json]:
    """Apply `translate` to one object or to every object of a list."""

    def apply(body: Json) -> Json:
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict):
                translate(item)
        return body

    return apply


def _issue(issue: dict[str, Any]) -> None:
    if "status" in issue:
        issue["status"] = issue_status(issue["status"])


def _agent(agent: dict[str, Any]) -> None:
    if "status" in agent:
        agent["status"] = agent_status(agent["status"])


def _project_stats(stats: dict[str, Any]) -> None:
    by_status = stats.get("by_status")
    if isinstance(by_status, dict):
        stats["by_status"] = {issue_status(key): count for key, count in by_status.items()}


def _statuses_within(value: Json, translate: Callable[[Json], Json]) -> Json:
    """`value` with every value under a `status` key translated (a value, or [old, new])."""
    if isinstance(value, dict):
        return {
            key: ([translate(v) for v in item] if isinstance(item, list) else translate(item))
            if key == "status"
            else _statuses_within(item, translate)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_statuses_within(item, translate) for item in value]
    return value


def _activity(entry: dict[str, Any]) -> None:
    entity_type = entry.get("entity_type")
    action = entry.get("action")
    if isinstance(action, str) and isinstance(entity_type, str) and "." not in action:
        entry["action"] = f"{entity_type}.{action}"
    actor_type = entry.get("actor_type")
    if isinstance(actor_type, str):
        entry["actor_type"] = ACTOR_TYPE_019.get(actor_type, actor_type)
    details = entry.get("details")
    if not isinstance(details, dict):
        return
    if entity_type == "issue":
        details = _statuses_within(details, issue_status)
    elif entity_type == "agent":
        details = _statuses_within(details, agent_status)
    changes = details.get("changes")
    if action == "updated" and isinstance(changes, dict) and "fields" not in details:
        # 0.1.9 listed the fields sent and their new values.
        details["fields"] = {
            name: change[1] if isinstance(change, list) and len(change) == 2 else change
            for name, change in changes.items()
        }
    entry["details"] = details


_W = r"/workspaces/[^/]+"
ANSWERS: tuple[tuple[re.Pattern[str], Callable[[Json], Json]], ...] = tuple(
    (re.compile(f"^{API_PREFIX}{pattern}/?$"), translate)
    for pattern, translate in (
        (rf"{_W}/issues(?:/[^/]+(?:/children)?)?", _each(_issue)),
        (rf"{_W}/projects/[^/]+/stats", _each(_project_stats)),
        (rf"{_W}/agents(?:/[^/]+)?", _each(_agent)),
        (rf"{_W}(?:/issues/[^/]+)?/activity", _each(_activity)),
    )
)


def translate_answer(path: str, status: int, body: Json) -> tuple[int, Json]:
    """Our answer to `path` as 0.1.9 gives it: (status, body)."""
    if (
        status == 404
        and isinstance(body, dict)
        and body.get("detail") == WORKSPACE_NOT_FOUND
        and path.startswith(f"{API_PREFIX}/workspaces/")
    ):
        return 403, {"detail": NOT_A_MEMBER_019, "code": "forbidden"}
    if 200 <= status < 300:
        for pattern, translate in ANSWERS:
            if pattern.match(path):
                return status, translate(body)
    return status, body


def _translates(path: str) -> bool:
    return any(pattern.match(path) for pattern, _ in ANSWERS)


# ── Requests: the defaults 0.1.9 left to the server ──────────────────────────────────────────

_WORKSPACES = re.compile(f"^{API_PREFIX}/workspaces/?$")
_AGENTS = re.compile(f"^{API_PREFIX}{_W}/agents/?$")


def request_defaults(method: str, path: str) -> dict[str, str] | None:
    """The fields a 0.1.9 client leaves out of this request and 0.1.9 filled in its own way."""
    if method != "POST":
        return None
    if _WORKSPACES.match(path):
        return {"issue_prefix": DEFAULT_ISSUE_PREFIX_019}
    if _AGENTS.match(path):
        return {"status": DEFAULT_AGENT_STATUS_019}
    return None


def with_defaults(body: bytes, defaults: dict[str, str]) -> bytes:
    """The JSON object `body` with the missing (or null) `defaults` filled in; anything that is
    not a JSON object is left for the route to refuse."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    missing = {key: value for key, value in defaults.items() if data.get(key) is None}
    if not missing:
        return body
    return json.dumps({**data, **missing}).encode()


# ── The middleware ───────────────────────────────────────────────────────────────────────────


class Dialect019:
    """Speak 0.1.9's dialect on /api/v1/workspaces/…: fill in its defaults on the way in,
    translate JSON answers on the way out. Every other path passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(f"{API_PREFIX}/workspaces"):
            await self.app(scope, receive, send)
            return
        defaults = request_defaults(scope["method"], path)
        if defaults is not None:
            scope, receive = await _rewritten_request(scope, receive, defaults)
        await self.app(scope, receive, _translating(path, send))


async def _rewritten_request(
    scope: Scope, receive: Receive, defaults: dict[str, str]
) -> tuple[Scope, Receive]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = with_defaults(b"".join(chunks), defaults)
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return {**scope, "headers": headers}, replay


def _translating(path: str, send: Send) -> Send:
    """A `send` that holds back a JSON answer, translates it whole, then sends it."""
    start: Message | None = None
    chunks: list[bytes] = []
    translates = _translates(path)

    async def translating_send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            is_json = content_type.startswith(b"application/json")
            if is_json and (translates or message["status"] == 404):
                start = message
                return
            await send(message)
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        status, body = start["status"], b"".join(chunks)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        if data is not None:
            new_status, translated = translate_answer(path, status, data)
            if new_status != status or translates:
                status = new_status
                body = json.dumps(translated, separators=(",", ":")).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return translating_send


def install_dialect(app: FastAPI, settings: ServerSettings) -> None:
    """Put the dialect named by PLATFORM_API_COMPAT in front of the routes (none: nothing)."""
    if _dialect(settings) == DIALECT_019:
        app.add_middleware(Dialect019)
