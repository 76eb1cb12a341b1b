"""The configuration reference, generated from the settings classes so that it cannot drift.

    python -m praisonai_platform.core.settings_reference > docs/configuration.md

writes the page; a test fails when the committed page differs from what this renders. Every
field of every class listed in SECTIONS needs a `description=`: it is the reference's text.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from praisonai_platform.core.settings import field_variable

REGENERATE = "python -m praisonai_platform.core.settings_reference > docs/configuration.md"
SECRET_MARKERS = ("secret", "password", "token", "api_key")


@dataclass(frozen=True)
class Section:
    title: str
    # "module:attribute": core is imported by every other package and imports none of them, so
    # the classes are looked up when the page is rendered.
    settings: str
    intro: str
    # Variables whose name holds a part chosen by the operator: "module:attribute" of a mapping
    # from suffix to description, and the prefix they follow.
    pattern: str | None = None
    pattern_prefix: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "Database",
        "praisonai_platform.config:Settings",
        "Read by the server, workers and the `db` commands. The URL is chosen by the first "
        "rule that applies (see above); the pool settings apply to PostgreSQL, the PRAGMAs to "
        "SQLite.",
    ),
    Section(
        "Server",
        "praisonai_platform.core.server_settings:ServerSettings",
        "Sign-in tokens and request limits of the API server.",
    ),
    Section(
        "Accounts and sessions",
        "praisonai_platform.accounts.settings:AccountSettings",
        "Password policy, email verification, what unverified accounts may do, and the mail "
        "server that sends verification and password reset links.",
    ),
    Section(
        "Public address and CORS",
        "praisonai_platform.api.http_settings:HttpSettings",
        "Where people reach the server (https turns on HSTS) and which web origins may call "
        "the API from a browser.",
    ),
    Section(
        "Listening and logging",
        "praisonai_platform.core.server_settings:ServeSettings",
        "Where `praisonai-platform serve` listens; the log level applies to workers too.",
    ),
    Section(
        "Shutdown and housekeeping",
        "praisonai_platform.core.operations_settings:OperationsSettings",
        "How a server stops on SIGTERM, and how often it deletes expired rows.",
    ),
    Section(
        "Live event stream",
        "praisonai_platform.events.settings:EventStreamSettings",
        "Open event streams of the server (see [Live events](events.md)); how long events "
        "are kept is PLATFORM_EVENTS_RETENTION_DAYS above.",
    ),
    Section(
        "Membership and invitations",
        "praisonai_platform.workspaces.members.settings:MembershipSettings",
        "How people join workspaces: by accepting an invitation to their email, or directly "
        "where the operator allows it.",
    ),
    Section(
        "Run queue",
        "praisonai_platform.runs.settings:RunSettings",
        "Timings of leases and heartbeats. The server and every worker must agree on them.",
    ),
    Section(
        "Workers",
        "praisonai_platform.worker.settings:WorkerSettings",
        "Read by `praisonai-platform worker` only.",
    ),
    Section(
        "Outgoing webhooks",
        "praisonai_platform.webhooks.settings:WebhookSettings",
        "Read by the server and by workers, which both send webhook deliveries. See "
        "[Webhooks](webhooks.md).",
    ),
    Section(
        "Credits and payments",
        "praisonai_platform.billing.settings:BillingSettings",
        "Read by the server and by workers (which charge usage). What a payment is worth is "
        "decided here, never by the payment event.",
    ),
    Section(
        "Sign-in providers (OAuth 2.0 and OpenID Connect)",
        "praisonai_platform.accounts.oauth.settings:OAuthOptions",
        "Options shared by every provider. A provider exists when "
        "`PLATFORM_OAUTH_<NAME>_CLIENT_ID` is set: `GITHUB` and `GOOGLE` are known by name, "
        "any other name is a generic OpenID Connect provider and needs "
        "`PLATFORM_OAUTH_<NAME>_ISSUER`.",
        pattern="praisonai_platform.accounts.oauth.settings:PROVIDER_VARIABLES",
        pattern_prefix="PLATFORM_OAUTH_<NAME>_",
    ),
    Section(
        "Rate limits",
        "praisonai_platform.api.rate_limits.settings:RateLimitSettings",
        "Request budgets of the API server, answered 429 with `Retry-After` when spent. "
        "Several server processes share their counters only through Redis. See "
        "[Security](security.md#rate-limits).",
    ),
    Section(
        "Admin UI",
        "praisonai_platform.api.admin.settings:AdminSettings",
        "The administrators' web interface at `/admin`.",
    ),
    Section(
        "Command line and Python SDK",
        "praisonai_platform.cli.settings:ClientSettings",
        "Read on the user's machine by `praisonai-platform` commands and by `PlatformClient`, "
        "not by the server.",
    ),
)

INTRO = f"""\
# Configuration

<!-- Generated by praisonai_platform.core.settings_reference; do not edit by hand.
     Regenerate with: {REGENERATE} -->

Every setting is an environment variable. Names are not case-sensitive; booleans accept
`true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`). A process reads its settings once, when it
starts: restart it to apply a change. A value that cannot be used stops the start with a message
naming the variable.

**Naming.** The database settings keep their historical names: `APP_DATABASE_*` (and
`APP_ALEMBIC_DATABASE_URL`), plus `DATABASE_URL` and `RUN_DB_MIGRATIONS`, which hosting
platforms set. Every other variable starts with `PLATFORM_`, followed by its area: `PLATFORM_RUN_*`
for the run queue, `PLATFORM_WORKER_*` for workers, `PLATFORM_BILLING_*` for credits,
`PLATFORM_OAUTH_*` for sign-in providers, `PLATFORM_ADMIN_*` for the admin UI.

**Which database.** The first rule that applies wins:

1. `APP_DATABASE_URL`;
2. `DATABASE_URL`;
3. `APP_DATABASE_BACKEND`: `postgres` builds the URL from the `APP_DATABASE_POSTGRES_*`
   variables, `sqlite` uses the file `APP_DATABASE_SQLITE_PATH`, `custom` requires
   `APP_DATABASE_URL`;
4. otherwise an in-memory SQLite database, lost when the process stops.

Secrets have no default and are never shown here; they are marked "(none)".
"""


def render() -> str:
    """The whole reference page, in Markdown."""
    parts = [INTRO]
    for section in SECTIONS:
        parts.append(_render_section(section))
    return "\n".join(parts)


def settings_classes() -> list[type[BaseSettings]]:
    return [_resolve(section.settings) for section in SECTIONS]


def variables(settings_class: type[BaseSettings]) -> Iterator[tuple[str, str, FieldInfo]]:
    """(environment variable, field name, field) of every field of a settings class."""
    for name, field in settings_class.model_fields.items():
        yield field_variable(settings_class, name, field), name, field


def _render_section(section: Section) -> str:
    settings_class = _resolve(section.settings)
    if not (isinstance(settings_class, type) and issubclass(settings_class, BaseSettings)):
        raise TypeError(f"{section.settings} is not a settings class")
    lines = [
        f"## {section.title}",
        "",
        section.intro,
        "",
        "| Variable | Type | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for variable, name, field in variables(settings_class):
        if not field.description:
            raise ValueError(f"{section.settings}.{name} has no description")
        lines.append(
            f"| `{variable}` | {_type(field)} | {_default(name, field)} | "
            f"{_cell(field.description)} |"
        )
    if section.pattern is not None:
        pattern: Mapping[str, str] = _resolve(section.pattern)
        lines += [
            "",
            "Per provider, `<NAME>` being its name in capitals (letters, digits and `_`):",
            "",
            "| Variable | Description |",
            "| --- | --- |",
        ]
        lines += [
            f"| `{section.pattern_prefix}{suffix}` | {_cell(text)} |"
            for suffix, text in pattern.items()
        ]
    lines.append("")
    return "\n".join(lines)


def _resolve(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _is_secret(name: str, field: FieldInfo) -> bool:
    members = _members(field.annotation)
    return SecretStr in members or (str in members and any(m in name for m in SECRET_MARKERS))


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types of an optional or union annotation, None left out."""
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(arg for arg in get_args(annotation) if arg is not type(None))
    return (annotation,)


def _type(field: FieldInfo) -> str:
    names = [_type_name(member) for member in _members(field.annotation)]
    bounds = [_bound(constraint) for constraint in field.metadata]
    text = " or ".join(names)
    shown = [bound for bound in bounds if bound]
    return f"{text} ({', '.join(shown)})" if shown else text


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(annotation))
    if annotation is SecretStr:
        return "secret"
    origin = get_origin(annotation) or annotation
    names = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        dict: "JSON object",
        list: "JSON array",
    }
    if origin in names:
        return names[origin]
    raise TypeError(f"no reference name for the type {annotation!r}")


def _bound(constraint: object) -> str:
    if isinstance(constraint, annotated_types.Ge):
        return f"≥ {_number(constraint.ge)}"
    if isinstance(constraint, annotated_types.Gt):
        return f"> {_number(constraint.gt)}"
    if isinstance(constraint, annotated_types.Le):
        return f"≤ {_number(constraint.le)}"
    if isinstance(constraint, annotated_types.Lt):
        return f"< {_number(constraint.lt)}"
    return ""


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _default(name: str, field: FieldInfo) -> str:
    if _is_secret(name, field):
        return "(none)"
    value = field.get_default(call_default_factory=True, validated_data={})
    if value is PydanticUndefined:
        return "(required)"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict | list):
        return f"`{json.dumps(value)}`"
    return f"`{_number(value)}`"


def _cell(text: str) -> str:
    """One table cell: on one line, with `|` escaped, and `<` and `>` outside code spans too
    (Markdown would take `<name>` for an HTML tag)."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
