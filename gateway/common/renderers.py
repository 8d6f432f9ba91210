"""An API's error renderers, chosen by exception class.

The lookup walks ``type(exc).__mro__`` the way starlette's ``_exception_handler.py`` does, so
one renderer registered for a base class (``CoreError``) covers its whole family, and the one
for ``Exception`` catches whatever nothing closer claims: that API's internal-error envelope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from starlette.responses import Response

from gateway.common.incoming import ApiRequest

E = TypeVar("E", bound=Exception)
Renderer = Callable[[Exception, ApiRequest], Response]


class ErrorRenderers:
    """Immutable: ``on`` returns a new set, so a set built once can be shared safely.

    >>> ErrorRenderers().on(CoreError, core_error).on(Exception, internal_error)
    """

    def __init__(
        self,
        by_class: Mapping[type[Exception], Callable[[Any, ApiRequest], Response]] | None = None,
    ) -> None:
        self._by_class = MappingProxyType(dict(by_class or {}))

    def on(self, cls: type[E], render: Callable[[E, ApiRequest], Response]) -> ErrorRenderers:
        return ErrorRenderers({**self._by_class, cls: render})

    def missing(self, *classes: type[Exception]) -> list[type[Exception]]:
        """Which of ``classes`` have no renderer of their own (not one inherited)."""
        return [cls for cls in classes if cls not in self._by_class]

    def find(self, exc: Exception) -> tuple[type[Exception], Renderer]:
        """The nearest class along the MRO that has a renderer, and that renderer."""
        for cls in type(exc).__mro__:
            if cls in self._by_class:
                return cls, self._by_class[cls]
        raise LookupError(f"no renderer for {type(exc).__name__}") from exc
