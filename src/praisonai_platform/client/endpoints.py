"""Resource methods written once for both clients.

A resource method builds an operation (a `Call`, a `Local` result or a flow of calls). The
`endpoint` decorator turns it into a method that hands the operation to the client's executor:
the sync executor returns the result, the async one a coroutine. `iterate(list)` derives a method
that goes through every page. The overloads of `__get__` give both clients exact types.
"""

from __future__ import annotations

import functools
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from praisonai_platform.client.calls import Call, Operation
from praisonai_platform.client.pages import Page
from praisonai_platform.client.transport import Credentials

P = ParamSpec("P")
T = TypeVar("T")


class SyncRunner(ABC):
    credentials: Credentials

    @abstractmethod
    def run(self, operation: Operation[T]) -> T: ...

    @abstractmethod
    def iterate(self, call: Call[Page[T]]) -> Iterator[T]: ...


class AsyncRunner(ABC):
    credentials: Credentials

    @abstractmethod
    async def run(self, operation: Operation[T]) -> T: ...

    @abstractmethod
    def iterate(self, call: Call[Page[T]]) -> AsyncIterator[T]: ...


R = TypeVar("R", bound=SyncRunner | AsyncRunner)


class Resource(Generic[R]):
    """A namespace of methods (client.issues, client.labels, …) bound to one executor."""

    _runner: R

    def __init__(self, runner: R) -> None:
        self._runner = runner


class Endpoint(Generic[P, T]):
    def __init__(self, build: Callable[Concatenate[Any, P], Operation[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__

    @overload
    def __get__(self, resource: None, owner: type[Any]) -> Endpoint[P, T]: ...
    @overload
    def __get__(self, resource: Resource[SyncRunner], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, resource: Resource[AsyncRunner], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any]) -> Any:
        if resource is None:
            return self
        build, runner = self.build, resource._runner

        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            return runner.run(build(resource, *args, **kwargs))

        method.__name__ = method.__qualname__ = self.__name__
        method.__doc__ = self.__doc__
        method.__signature__ = self.bound_signature()  # type: ignore[attr-defined]
        return method

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.__name__ = name

    @functools.cache  # noqa: B019  (one entry per endpoint and pattern; endpoints live forever)
    def bound_signature(
        self, pattern: str = r"^(?:Call|Local|Operation|Flow)\[(.*)\]$", result: str = r"\1"
    ) -> inspect.Signature:
        """The builder's signature without `self`, returning what the caller gets."""
        signature = inspect.signature(self.build)
        returned = re.sub(pattern, result, str(signature.return_annotation))
        return signature.replace(
            parameters=list(signature.parameters.values())[1:], return_annotation=returned
        )


class Iterating(Generic[P, T]):
    def __init__(self, listing: Endpoint[P, Page[T]]) -> None:
        self.listing = listing
        self.__name__ = "iter"
        self.__doc__ = (
            f"Every item of `{listing.__name__}(...)`, fetching the pages as needed "
            "(same arguments; `limit` sets the page size)."
        )

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.__name__ = name

    @overload
    def __get__(self, resource: None, owner: type[Any]) -> Iterating[P, T]: ...
    @overload
    def __get__(
        self, resource: Resource[SyncRunner], owner: type[Any]
    ) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(
        self, resource: Resource[AsyncRunner], owner: type[Any]
    ) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any]) -> Any:
        if resource is None:
            return self
        build, runner = self.listing.build, resource._runner

        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            call = build(resource, *args, **kwargs)
            if not isinstance(call, Call):
                raise TypeError(f"{self.listing.__name__} does not build a single request")
            return runner.iterate(call)

        method.__name__ = method.__qualname__ = self.__name__
        method.__doc__ = self.__doc__
        signature = self.listing.bound_signature(r"^Call\[Page\[(.*)\]\]$", r"Iterator[\1]")
        method.__signature__ = signature  # type: ignore[attr-defined]
        return method


def endpoint(build: Callable[Concatenate[Any, P], Operation[T]]) -> Endpoint[P, T]:
    return Endpoint(build)


def iterate(listing: Endpoint[P, Page[T]]) -> Iterating[P, T]:
    return Iterating(listing)
