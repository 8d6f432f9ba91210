"""A CIMI call's context and the error a handler raises: below everything else in the
package, so every module (handlers, expansion) can take them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core import Services
from core.views import Caller
from gateway.cimi.paths import Urls
from gateway.cimi.query import Query
from gateway.common import ApiRequest


class CimiError(Exception):
    def __init__(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Context:
    services: Services
    caller: Caller
    urls: Urls
    request: ApiRequest

    def query(self) -> Query:
        return Query.of(self.request)
