"""Finding the handler a worker runs: `module:function`, sync or async, taking (run, context)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from praisonai_platform.config import ConfigurationError

Handler = Callable[[Any, Any], Any]


def load_handler(reference: str) -> Handler:
    """Import `package.module:function` (or `package.module:object.method`), looking in the
    current directory first, as `python -m` and uvicorn do."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"--handler {reference!r}: expected module:function, e.g. my_agents.review:handle"
        )
    target: Any = _import(reference, module_name)
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ConfigurationError(f"--handler {reference!r}: {module_name} has no {attribute}")
    if not callable(target):
        raise ConfigurationError(
            f"--handler {reference!r}: {module_name}.{attribute} is not callable"
        )
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


def _import(reference: str, module_name: str) -> Any:
    here = os.getcwd()
    if here not in sys.path:
        # A console script's sys.path starts with its own bin directory, not the current one.
        sys.path.insert(0, here)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and _is_part_of(exc.name, module_name):
            searched = ", ".join(entry or "." for entry in sys.path if os.path.isdir(entry or "."))
            raise ConfigurationError(
                f"--handler {reference!r}: cannot import {module_name}: no module named "
                f"{exc.name!r} in the current directory ({here}) or on the Python path; "
                f"searched: {searched}"
            ) from None
        raise _failed_import(reference, module_name, exc) from None
    except (Exception, SystemExit) as exc:  # the module's own code failed
        raise _failed_import(reference, module_name, exc) from None


def _is_part_of(missing: str, module_name: str) -> bool:
    """True when `missing` is the handler's module or one of its packages (the reference is
    wrong), not something the module imports (the module is broken)."""
    return module_name == missing or module_name.startswith(missing + ".")


def _failed_import(reference: str, module_name: str, exc: BaseException) -> ConfigurationError:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    detail = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    return ConfigurationError(f"--handler {reference!r}: importing {module_name} failed: {detail}")


def is_async(handler: Handler) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 (an object with an async __call__)
    )
