"""Building the MCP server: its tools and resources, and its errors as tool errors."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from praisonai_platform import __version__
from praisonai_platform.core.limits import MAX_BODY_JSON_DEPTH, MAX_JSON_DEPTH
from praisonai_platform.core.validation import deeper_than, unstorable
from praisonai_platform.mcp_server import issue_tools, run_tools
from praisonai_platform.mcp_server.calls import McpConfig

INSTRUCTIONS = """\
Work tracking for people and AI agents. Issues have keys like ENG-42 and live in workspaces;
tools take a `workspace` (id, slug, issue prefix or name) where one is needed, defaulting to
your only workspace. To find work: list_ready_work. To do a run: claim_run, then
report_progress while working, then complete_run or fail_run. Errors start with a stable code
(not_found, forbidden, validation_failed, conflict, ...).
"""


class PlatformMcpServer(MCPServer[Any]):
    """An MCPServer whose argument errors, like every other error of its tools, start with a
    stable code (`validation_failed: where: what`) and never echo the value sent."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        # What the API's request guard refuses before any route sees it.
        problem = unstorable(arguments)
        if problem is None and deeper_than(arguments, MAX_BODY_JSON_DEPTH):
            problem = f"JSON values may nest at most {MAX_JSON_DEPTH} levels deep"
        if problem is not None:
            raise ToolError(f"validation_failed: {problem}")
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            # Logged with its traceback by the SDK; the client learns nothing more.
            raise UnexpectedToolError(f"internal_error: the tool {name} failed") from exc
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(f"validation_failed: {_problems(cause)}") from None
            if isinstance(cause, ToolError):  # ours, already with its code
                raise ToolError(str(cause)) from None
            if str(exc).startswith("Unknown tool"):
                raise ToolError(f"not_found: {exc}") from None
            raise


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
        for problem in error.errors()
    )


def build_server(config: McpConfig) -> PlatformMcpServer:
    """The server with every tool and resource, acting as `config` says."""
    server = PlatformMcpServer(
        name="praisonai-platform",
        title="praisonai-platform",
        instructions=INSTRUCTIONS,
        version=__version__,
        website_url=None,
        log_level="WARNING",
    )
    issue_tools.register(server, config)
    run_tools.register(server, config)
    return server
