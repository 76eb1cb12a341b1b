"""`praisonai-platform run create | list | show | stop | events | watch` and `worker list`.

Runs are addressed by id (as `run list` shows them); issues by key (ENG-42) or id.
"""

from __future__ import annotations

import json as jsonlib
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from praisonai_platform.cli import connection
from praisonai_platform.cli.options import JsonOption, UrlOption, WorkspaceOption
from praisonai_platform.cli.output import (
    CliError,
    console,
    print_fields,
    print_json,
    print_table,
    report,
    say,
)
from praisonai_platform.cli.worker_command import worker
from praisonai_platform.client import NotFound, PlatformClient
from praisonai_platform.client.models import Event, Run, RunState

app = typer.Typer(help="Agent runs: queue, follow and stop them.", no_args_is_help=True)
# `worker --handler …` starts a worker as it always has; `worker list` is a sub-command of the
# same group, whose callback (the worker command) does nothing when a sub-command follows.
worker_app = typer.Typer(
    short_help="Start a worker (--handler module:function), or list workers (worker list).",
    invoke_without_command=True,
)
worker_app.callback()(worker)

FINAL_STATES = frozenset({RunState.COMPLETED, RunState.FAILED, RunState.STOPPED})

RunArgument = Annotated[str, typer.Argument(help="The run's id (`run list` shows them).")]
AgentOption = Annotated[str | None, typer.Option("--agent", "-a", help="Agent name or id.")]
IntervalOption = Annotated[
    float, typer.Option("--interval", min=0.1, help="Seconds between checks.")
]
TimeoutOption = Annotated[
    float | None,
    typer.Option("--timeout", min=0, help="Give up (exit 1) after this many seconds."),
]


@app.command("create")
def create_run(
    issue: Annotated[
        str | None,
        typer.Argument(help="The issue to work on (ENG-42); without one, --agent is needed."),
    ] = None,
    agent: AgentOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-P", help="KEY=VALUE for the agent (VALUE as JSON, else text); repeatable."
        ),
    ] = None,
    max_attempts: Annotated[
        int | None, typer.Option(min=1, help="Attempts before the run ends failed.")
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="The most the run may be charged, in micro-credits (1 credit = 1,000,000); "
            "a step that would pass it fails the run.",
        ),
    ] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Follow the run until it ends.")] = False,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Queue a run: delegate an issue to an agent (--agent, else the agent it is assigned to),
    or give an agent work not tied to an issue."""
    parameters = _parameters(param or [])
    with connection.connect(url) as client:
        if issue is not None:
            found = connection.issue(client, issue, workspace)
            agent_id = _agent_id(client, found.workspace_id, agent) if agent else None
            run = client.runs.delegate(
                found.workspace_id,
                found.id,
                agent_id=agent_id,
                parameters=parameters,
                max_attempts=max_attempts,
                budget=budget,
            )
            about = f" on {found.identifier}"
        else:
            if agent is None:
                raise CliError("name an issue to delegate, or an agent with --agent")
            space = connection.workspace(client, workspace)
            run = client.runs.create(
                space.id,
                _agent_id(client, space.id, agent),
                parameters=parameters,
                max_attempts=max_attempts,
                budget=budget,
            )
            about = ""
        if watch:
            if not json:
                say(f"Queued run {run.id}{about}")
            _finish(_follow(client, run, 1.0, None, quiet=json), json)
            return
    report(run, f"Queued run {run.id}{about}", as_json=json)


@app.command("list")
def list_runs(
    issue: Annotated[
        str | None, typer.Option("--issue", "-i", help="Only this issue's runs (ENG-42).")
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            "-s",
            help="pending, processing, completed, failed, stopped; repeat for any of several.",
        ),
    ] = None,
    agent: AgentOption = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many to show.")] = 50,
    every: Annotated[bool, typer.Option("--all", help="Show every match.")] = False,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Runs of a workspace or of one issue, newest first."""
    with connection.connect(url) as client:
        if issue is not None:
            found = connection.issue(client, issue, workspace)
            workspace_id, issue_id, where = found.workspace_id, found.id, found.identifier
        else:
            space = connection.workspace(client, workspace)
            workspace_id, issue_id, where = space.id, None, space.slug
        filters: dict[str, Any] = {"issue_id": issue_id, "state": state}
        if agent is not None:
            filters["agent_id"] = _agent_id(client, workspace_id, agent)
        if every:
            runs, total = list(client.runs.iter(workspace_id, **filters)), None
        else:
            page = client.runs.list(workspace_id, limit=limit, **filters)
            runs, total = page.items, page.total
        if json:
            print_json(runs)
            return
        agents = _agent_names(client, workspace_id) if runs else {}
        keys = _issue_keys(client, workspace_id, runs)
    if not runs:
        say(f"No runs in {where} match.")
        return
    print_table(
        ["ID", "STATE", "PROGRESS", "AGENT", "ISSUE", "CREATED"],
        [
            (
                run.id,
                run.state.value,
                _percent(run),
                agents.get(run.agent_id, run.agent_id),
                keys.get(run.issue_id or ""),
                run.created_at,
            )
            for run in runs
        ],
    )
    if total is not None and total > len(runs):
        console.print(f"[dim]{len(runs)} of {total}; --all or --limit for more[/dim]")


@app.command("show")
def show_run(run_id: RunArgument, url: UrlOption = None, json: JsonOption = False) -> None:
    """A run: its state, progress, attempts, worker and result."""
    with connection.connect(url) as client:
        run = client.runs.get_by_id(run_id)
        if json:
            print_json(run)
            return
        agents = _agent_names(client, run.workspace_id)
        keys = _issue_keys(client, run.workspace_id, [run])
    console.print(f"[bold]run {escape(run.id)}[/bold]  {run.state.value}")
    print_fields(
        [
            ("agent", agents.get(run.agent_id, run.agent_id)),
            ("issue", keys.get(run.issue_id or "")),
            ("progress", _progress(run)),
            ("attempts", f"{run.attempt_count} of {run.max_attempts}"),
            ("charged", _charged(run)),
            ("worker", run.worker_id),
            ("stopping", "asked" if run.stop_requested else None),
            ("failure", _failure(run)),
            ("created", run.created_at),
            ("started", run.started_at),
            ("finished", run.finished_at),
        ]
    )
    if run.parameters:
        say("")
        say("parameters: " + jsonlib.dumps(run.parameters, ensure_ascii=False))
    if run.result is not None:
        say("")
        say("result: " + jsonlib.dumps(run.result, ensure_ascii=False))


@app.command("stop")
def stop_run(run_id: RunArgument, url: UrlOption = None, json: JsonOption = False) -> None:
    """Stop a run: a pending one at once, a processing one when its worker next checks in."""
    with connection.connect(url) as client:
        run = client.runs.get_by_id(run_id)
        stopped = client.runs.stop(run.workspace_id, run.id)
    if json:
        print_json(stopped)
    elif stopped.state is RunState.STOPPED:
        say(f"Stopped run {stopped.id}")
    else:
        say(f"Asked run {stopped.id} to stop; its worker stops it at its next check-in")


@app.command("events")
def run_events(
    run_id: RunArgument,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", help="Only events of this type; repeatable."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many of the latest.")] = 50,
    every: Annotated[bool, typer.Option("--all", help="Every event of the run.")] = False,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """What happened to a run, oldest first (the latest --limit events)."""
    with connection.connect(url) as client:
        run = client.runs.get_by_id(run_id)
        if every:
            events = list(client.runs.iter_events(run.workspace_id, run.id, event_type=event_type))
        else:
            page = client.runs.events(run.workspace_id, run.id, event_type=event_type, limit=limit)
            events = page.items
    events.reverse()  # the API answers newest first; a log reads oldest first
    if json:
        print_json(events)
    elif not events:
        say(f"No events for run {run.id}.")
    else:
        print_table(
            ["TIME", "TYPE", "MESSAGE", "WORKER"],
            [(_clock(e.created_at), e.event_type.value, e.message, e.worker_id) for e in events],
        )


@app.command("watch")
def watch_run(
    run_id: RunArgument,
    interval: IntervalOption = 1.0,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Follow a run until it ends, showing its state, progress and new events. Exits 0 when it
    completes, 1 when it fails or is stopped (or --timeout passes)."""
    with connection.connect(url) as client:
        run = client.runs.get_by_id(run_id)
        _finish(_follow(client, run, interval, timeout, quiet=json), json)


@worker_app.command("list")
def list_workers(
    status: Annotated[
        str | None, typer.Option("--status", "-s", help="online, stale or offline")
    ] = None,
    url: UrlOption = None,
    json: JsonOption = False,
) -> None:
    """Your workers (administrators: every worker), newest first, with their status."""
    with connection.connect(url) as client:
        workers = list(client.workers.iter(status=status))
    if json:
        print_json(workers)
    elif not workers:
        say("No workers." if status is None else f"No {status} workers.")
    else:
        print_table(
            ["ID", "NAME", "STATUS", "HOST", "RUN", "LAST HEARTBEAT"],
            [
                (w.id, w.name, w.status, w.host, w.current_run_id, w.last_heartbeat_at)
                for w in workers
            ],
        )


def _follow(
    client: PlatformClient, run: Run, interval: float, timeout: float | None, *, quiet: bool
) -> Run:
    """Poll the run until it ends, printing its new events as they arrive (unless quiet)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    seen: set[str] = set()
    since: datetime | None = None
    with console.status(_status(run), spinner="dots") as spinner:
        while True:
            for event in _new_events(client, run, since, seen):
                since = event.created_at
                if not quiet:
                    _print_event(event)
            spinner.update(_status(run))
            if run.state in FINAL_STATES:
                return run
            if deadline is not None and time.monotonic() >= deadline:
                raise CliError(
                    f"run {run.id} is still {run.state.value} after {timeout:g} seconds "
                    f"({_percent(run)} done)"
                )
            time.sleep(interval)
            run = client.runs.get(run.workspace_id, run.id)


def _new_events(
    client: PlatformClient, run: Run, since: datetime | None, seen: set[str]
) -> list[Event]:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    # `since` is inclusive: events of that very moment come again and are skipped by id.
    found = list(client.runs.iter_events(run.workspace_id, run.id, since=since))
    fresh = [event for event in reversed(found) if event.id not in seen]
    seen.update(event.id for event in fresh)
    return fresh


def _finish(run: Run, json: bool) -> None:
    if json:
        print_json(run)
    elif run.state is RunState.COMPLETED:
        message = run.result.get("message") if run.result else None
        say(f"Run {run.id} completed" + (f": {message}" if isinstance(message, str) else ""))
    elif run.state is RunState.FAILED:
        say(f"Run {run.id} failed: {_failure(run)}")
    else:
        say(f"Run {run.id} stopped")
    if run.state is not RunState.COMPLETED:
        raise typer.Exit(1)


def _status(run: Run) -> str:
    parts = [f"[bold]{run.state.value}[/bold]", _progress(run)]
    if run.progress_message:
        parts.append(escape(run.progress_message))
    return f"run {escape(run.id)}  " + "  ".join(parts)


def _print_event(event: Event) -> None:
    text = f"{_clock(event.created_at)}  {event.event_type.value:<14}  {event.message or ''}"
    say(text.rstrip())


def _progress(run: Run) -> str:
    steps = ""
    if run.steps_total:
        steps = f" (step {run.steps_completed} of {run.steps_total})"
    elif run.steps_completed:
        steps = f" ({run.steps_completed} steps)"
    current = f", {run.current_step}" if run.current_step else ""
    return f"{_percent(run)}{steps}{current}"


def _percent(run: Run) -> str:
    return f"{run.progress_percentage:g}%"


def _charged(run: Run) -> str | None:
    """What the run was charged, in micro-credits, against its budget if it has one."""
    if run.budget is not None:
        return f"{run.spent} of a budget of {run.budget} micro-credits"
    return f"{run.spent} micro-credits" if run.spent else None


def _failure(run: Run) -> str | None:
    if run.failure_reason is None and run.failure_message is None:
        return None
    return ": ".join(part for part in (run.failure_reason, run.failure_message) if part)


def _clock(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%H:%M:%S")


def _parameters(pairs: list[str]) -> dict[str, Any] | None:
    if not pairs:
        return None
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        if not equals or not key.strip():
            raise CliError(f"--param {pair!r}: expected KEY=VALUE")
        try:
            parameters[key.strip()] = jsonlib.loads(text)
        except ValueError:
            parameters[key.strip()] = text
    return parameters


def _agent_id(client: PlatformClient, workspace_id: str, value: str) -> str:
    wanted = value.strip()
    agents = list(client.agents.iter(workspace_id))
    for matches in (lambda a: a.id == wanted, lambda a: a.name.lower() == wanted.lower()):
        found = [agent for agent in agents if matches(agent)]
        if len(found) == 1:
            return found[0].id
        if len(found) > 1:
            raise CliError(f"{wanted!r} names several agents; use the id")
    names = ", ".join(agent.name for agent in agents) or "none yet"
    raise CliError(f"no agent {wanted!r} in this workspace (agents: {names})")


def _agent_names(client: PlatformClient, workspace_id: str) -> dict[str, str]:
    return {agent.id: agent.name for agent in client.agents.iter(workspace_id)}


def _issue_keys(client: PlatformClient, workspace_id: str, runs: list[Run]) -> dict[str, str]:
    """The keys (ENG-42) of the runs' issues, fetched once each."""
    keys: dict[str, str] = {}
    for issue_id in dict.fromkeys(run.issue_id for run in runs if run.issue_id):
        try:
            keys[issue_id] = client.issues.get(workspace_id, issue_id).identifier
        except NotFound:  # deleted since: its runs stay
            keys[issue_id] = issue_id
    return keys
