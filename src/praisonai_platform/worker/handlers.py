"""Finding the handler a worker runs: `module:function`, sync or async, taking (run, context)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from praisonai_platform.config import ConfigurationError

Handler = Callable[[Any, Any], Any]


def load_handler(reference: str) -> Handler:
    """Import `package.module:function` (or `package.module:object.method`)."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"--handler {reference!r}: expected module:function, e.g. my_agents.review:handle"
        )
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"--handler {reference!r}: cannot import {module_name}: {exc}"
        ) from None
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ConfigurationError(f"--handler {reference!r}: {module_name} has no {attribute}")
    if not callable(target):
        raise ConfigurationError(f"--handler {reference!r}: {attribute} is not callable")
    handler: Handler = target
    try:
        inspect.signature(handler).bind(None, None)
    except TypeError:
        raise ConfigurationError(
            f"--handler {reference!r}: must accept two arguments, (run, context)"
        ) from None
    except ValueError:
        pass  # no signature to inspect (a builtin): trust it
    return handler


def is_async(handler: Handler) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 (an object with an async __call__)
    )
