"""The per-account token bucket, on a clock the test moves."""

from __future__ import annotations

from gateway.throttle import RateLimit, Throttle


def test_bursts_then_refills_at_the_rate_per_key() -> None:
    now = [0.0]
    throttle = Throttle(RateLimit(per_second=2.0, burst=3), clock=lambda: now[0])
    assert [throttle.allow("a") for _ in range(4)] == [True, True, True, False]
    assert throttle.allow("b")  # another account has its own bucket
    now[0] += 0.5  # one token back
    assert [throttle.allow("a") for _ in range(2)] == [True, False]
    now[0] += 60  # never more than a burst
    assert [throttle.allow("a") for _ in range(4)] == [True, True, True, False]
