"""When SNS tries a delivery again, by protocol: the delivery policy's four phases.

https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html: retries with no delay, then
at minDelayTarget, then a backoff phase from minDelayTarget to maxDelayTarget, then at maxDelayTarget, in
all numRetries. AWS-managed endpoints (SQS, Lambda, Firehose) get 100,015 retries over 23 days: 3 at once,
2 one second apart, 10 backing off from 1 to 20 seconds, then 100,000 at 20 seconds; customer endpoints
(http, https, email, sms) follow their delivery policy (3 retries 20 seconds apart by default).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from overcast.events.topics.attributes import DEFAULT_HTTP_RETRY

DEFAULT_CUSTOMER: Mapping[str, Any] = DEFAULT_HTTP_RETRY
MANAGED: Mapping[str, Any] = {
    "numNoDelayRetries": 3,
    "numMinDelayRetries": 2,
    "minDelayTarget": 1,
    "maxDelayTarget": 20,
    "numMaxDelayRetries": 100_000,
    "numRetries": 100_015,
    "backoffFunction": "exponential",
}


def _backoff(function: str, low: float, high: float, i: int, n: int) -> float:
    """The i-th (1-based) of n backoff delays from low to high."""
    if n <= 0:
        return high
    fraction = i / (n + 1)
    match function:
        case "arithmetic":
            return low + (high - low) * fraction**2
        case "geometric":
            return low + (high - low) * fraction**0.5
        case "exponential":
            return low * (high / low) ** fraction if low > 0 else high * fraction
        case _:
            return low + (high - low) * fraction


def delays(policy: Mapping[str, Any]) -> Iterator[float]:
    """The wait before each retry, in order (as many as numRetries)."""
    total = int(policy.get("numRetries", 3))
    none = int(policy.get("numNoDelayRetries", 0))
    at_min = int(policy.get("numMinDelayRetries", 0))
    at_max = int(policy.get("numMaxDelayRetries", 0))
    low, high = float(policy.get("minDelayTarget", 20)), float(policy.get("maxDelayTarget", 20))
    backoff = max(total - none - at_min - at_max, 0)
    yield from (0.0 for _ in range(none))
    yield from (low for _ in range(at_min))
    function = str(policy.get("backoffFunction", "linear"))
    yield from (_backoff(function, low, high, i, backoff) for i in range(1, backoff + 1))
    yield from (high for _ in range(at_max))
