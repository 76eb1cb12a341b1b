"""Building a settings class from the environment, with errors that name the variable to fix.

Every settings class of the platform is a pydantic-settings class and is built by `load`: a bad
value raises ConfigurationError naming the environment variable, never a pydantic traceback.
Each process builds its settings once, when it starts, and passes them on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from praisonai_platform.core.errors import ConfigurationError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load(
    settings_class: type[SettingsT],
    environ: Mapping[str, str] | None = None,
    /,
    **overrides: Any,
) -> SettingsT:
    """Build `settings_class` from `environ` (default: the process environment); `overrides`
    win over both. A bad value raises ConfigurationError naming its variable."""
    try:
        if environ is None:
            return settings_class(**overrides)
        return _reading(settings_class, environ)(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(describe(exc, settings_class)) from None


def describe(exc: ValidationError, variables: type[BaseSettings] | str) -> str:
    """`invalid configuration: VARIABLE: problem; …` for every error of `exc`.

    `variables` is the settings class that failed, or the prefix of the variables a plain model
    was built from (a field `x` then being `<prefix>X`)."""
    if isinstance(variables, str):
        prefix, names = variables, {}
    else:
        prefix, names = env_prefix(variables), _variables_by_location(variables)
    problems = "; ".join(
        f"{names.get(str(error['loc'][0])) or (prefix + str(error['loc'][0])).upper()}: "
        f"{error['msg']}"
        if error["loc"]
        else str(error["msg"])
        for error in exc.errors()
    )
    return f"invalid configuration: {problems}"


def env_prefix(settings_class: type[BaseSettings]) -> str:
    return str(settings_class.model_config.get("env_prefix") or "")


def variable_name(settings_class: type[BaseSettings], field_name: str) -> str:
    """The environment variable a field is read from (its first alias, if it has any)."""
    return field_variable(settings_class, field_name, settings_class.model_fields[field_name])


def field_variable(settings_class: type[BaseSettings], field_name: str, field: FieldInfo) -> str:
    aliases = _aliases(field)
    if aliases:
        return aliases[0].upper()
    return f"{env_prefix(settings_class)}{field_name}".upper()


def _aliases(field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return []


def _variables_by_location(settings_class: type[BaseSettings]) -> dict[str, str]:
    names: dict[str, str] = {}
    for field_name, field in settings_class.model_fields.items():
        variable = field_variable(settings_class, field_name, field)
        for alias in _aliases(field):
            names.setdefault(alias, variable)
    # A field's own name wins over another field's alias spelled the same.
    for field_name, field in settings_class.model_fields.items():
        names[field_name] = field_variable(settings_class, field_name, field)
    return names


def _reading(settings_class: type[SettingsT], environ: Mapping[str, str]) -> type[SettingsT]:
    """`settings_class`, reading `environ` instead of the process environment (and no other
    source): a subclass, since pydantic-settings chooses sources per class."""

    def sources(
        cls: type[BaseSettings],
        /,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        **_: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _MappingSource(settings_cls, environ))

    namespace = {
        "__module__": settings_class.__module__,
        "__qualname__": settings_class.__qualname__,
        "__doc__": settings_class.__doc__,
        "settings_customise_sources": classmethod(sources),
    }
    return cast(type[SettingsT], type(settings_class.__name__, (settings_class,), namespace))


class _MappingSource(EnvSettingsSource):
    """The environment source of pydantic-settings, reading a given mapping instead."""

    def __init__(self, settings_class: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_class)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )
