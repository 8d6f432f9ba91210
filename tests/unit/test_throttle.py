"""The per-account token bucket, on a clock the test moves."""

from __future__ import annotations

import pytest

from gateway.common import RateLimit, Throttle, Throttled


def test_bursts_then_refills_at_the_rate_per_key() -> None:
    now = [0.0]
    throttle = Throttle(RateLimit(per_second=2.0, burst=3), clock=lambda: now[0])
    assert [throttle.take("a") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]
    assert throttle.take("b") == 0.0  # another account has its own bucket
    now[0] += 0.5  # one token back
    assert [throttle.take("a") for _ in range(2)] == [0.0, 0.5]
    now[0] += 60  # never more than a burst
    assert [throttle.take("a") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_admit_raises_throttled_with_the_wait() -> None:
    now = [0.0]
    throttle = Throttle(RateLimit(per_second=4.0, burst=1), clock=lambda: now[0])
    throttle.admit("a")
    now[0] += 0.125  # half a token back
    with pytest.raises(Throttled) as refused:
        throttle.admit("a")
    assert (refused.value.account, refused.value.retry_after) == ("a", 0.125)
