"""Request throttling: a token bucket per account, so one busy client cannot starve the others.

Each account may send bursts of ``burst`` requests, refilled at ``per_second``. The buckets live
in the process: behind a load balancer each replica enforces its own share, which is what a
throttle needs (it protects the replica), so nothing here is shared state another replica
would need. Only authenticated accounts get a bucket, so unsigned noise cannot grow the table.
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


class Throttle:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self._limit.burst), now))
            tokens = min(self._limit.burst, tokens + (now - then) * self._limit.per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            return allowed
