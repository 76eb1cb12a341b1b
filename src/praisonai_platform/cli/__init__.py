"""The `praisonai-platform` command line."""

from __future__ import annotations

from praisonai_platform.cli.app import app, main

__all__ = ["app", "main"]
