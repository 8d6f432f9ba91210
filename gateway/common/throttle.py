"""Request throttling: a token bucket per account, so one busy client cannot starve the others.

Each account may send bursts of ``burst`` requests, refilled at ``per_second``. The buckets live
in the process: behind a load balancer each replica enforces its own share, which is what a
throttle needs (it protects the replica), so nothing here is shared state another replica
would need. Only authenticated accounts get a bucket, so unsigned noise cannot grow the table.
One ``Throttle`` serves every API, so an account's budget is the same whichever API it speaks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_second: float = 100.0
    burst: int = 200


class Throttled(Exception):
    """``account`` has spent its budget; a token comes back in ``retry_after`` seconds.

    Raised by ``ApiRequest.admit``; each API registers a renderer for it, so the refusal
    leaves in that API's own envelope.
    """

    def __init__(self, account: str, retry_after: float) -> None:
        super().__init__(f"account {account} is over its request rate")
        self.account = account
        self.retry_after = retry_after


class Throttle:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token from ``key``'s bucket: 0.0 when there was one, else the seconds
        until there is (nothing is taken then)."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self._limit.burst), now))
            tokens = min(self._limit.burst, tokens + (now - then) * self._limit.per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._limit.per_second

    def admit(self, key: str) -> None:
        """Take one token or raise ``Throttled``."""
        wait = self.take(key)
        if wait:
            raise Throttled(key, wait)
