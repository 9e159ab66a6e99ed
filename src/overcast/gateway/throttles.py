"""Throttles: API Gateway's token buckets, keyed by what they limit (account, stage route, usage-plan key).

API Gateway throttles with the token bucket algorithm: a token per request, `rate` tokens a
second refilled, at most `burst` tokens held; a request that finds no token gets 429.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html

A bucket starts full. A rate of 0 blocks every request (AWS's way to switch a method off), and
so does a burst of 0 (the bucket can never hold a token). Buckets run on the injected clock's
monotonic time, so tests drive them with a FakeClock.
"""

from __future__ import annotations

from collections.abc import Sequence

from overcast.apis.deployed import DeployedApi, KeyPlan, Route, Throttle
from overcast.clock import Clock

__all__ = ["ACCOUNT_DEFAULT", "Bucket", "Throttles", "request_limits"]

# The account-level default per Region: 10,000 requests per second, a burst of 5,000.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
ACCOUNT_DEFAULT = Throttle(rate=10_000.0, burst=5_000)


class Bucket:
    """One token bucket. Mutable, so admitting a request allocates nothing."""

    __slots__ = ("burst", "last", "limit", "rate", "tokens")

    def __init__(self, limit: Throttle, now: float) -> None:
        self.reset(limit, now)

    def reset(self, limit: Throttle, now: float) -> None:
        self.limit = limit
        self.rate = float(limit.rate)
        self.burst = float(limit.burst)
        self.tokens = self.burst  # a new (or reconfigured) bucket starts full
        self.last = now

    def refill(self, now: float) -> float:
        """Add the tokens earned since the last look; the tokens now held."""
        elapsed = now - self.last
        if elapsed > 0:
            self.last = now
            tokens = self.tokens + elapsed * self.rate
            self.tokens = tokens if tokens < self.burst else self.burst
        return self.tokens


class Throttles:
    """Token buckets by key. `admit` and `check` are synchronous and O(1) per bucket."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[str, Bucket] = {}

    def _bucket(self, key: str, limit: Throttle, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(limit, now)
        elif bucket.limit is not limit and (bucket.limit.rate != limit.rate or bucket.limit.burst != limit.burst):
            bucket.reset(limit, now)  # a redeployed stage or an updated usage plan: start afresh
        return bucket

    def admit(self, key: str, limit: Throttle) -> bool:
        """Take a token from `key`'s bucket (created full on first use); False if it has none."""
        now = self.clock.monotonic()
        bucket = self._bucket(key, limit, now)
        if bucket.rate <= 0:
            return False
        if bucket.refill(now) >= 1.0:
            bucket.tokens -= 1.0
            return True
        return False

    def check(self, keys_and_limits: Sequence[tuple[str, Throttle]]) -> bool:
        """Admit only if every bucket holds a token, and then take one from each (none otherwise)."""
        now = self.clock.monotonic()
        buckets = [self._bucket(key, limit, now) for key, limit in keys_and_limits]
        for bucket in buckets:
            if bucket.rate <= 0 or bucket.refill(now) < 1.0:
                return False
        for bucket in buckets:
            bucket.tokens -= 1.0
        return True

    def tokens(self, key: str) -> float | None:
        """The tokens `key`'s bucket holds now (None if it was never used): for tests and status pages."""
        bucket = self._buckets.get(key)
        return None if bucket is None else bucket.refill(self.clock.monotonic())

    def forget(self, prefix: str) -> None:
        """Drop the buckets whose key starts with `prefix` (a deleted API or stage)."""
        for key in [k for k in self._buckets if k.startswith(prefix)]:
            del self._buckets[key]


def request_limits(
    api: DeployedApi, route: Route, key_plan: KeyPlan | None = None, account_limit: Throttle = ACCOUNT_DEFAULT
) -> list[tuple[str, Throttle]]:
    """The buckets one request must find a token in, in the order AWS applies them.

    1. Per-client limits of a usage plan (the plan's per-method throttle for this method if it
       sets one, else the plan's throttle), counted per API key;
    2. per-method (REST) / per-route (HTTP) limits of the stage: the route's own throttle, else the
       stage's default, which AWS applies to each method separately;
    3. the account's limit for the Region, shared by every API of the account.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html#apigateway-how-throttling-limits-are-applied
    """
    stage_key = f"{api.account_id}/{api.region}/{api.api_id}/{api.stage}"
    limits: list[tuple[str, Throttle]] = []
    if key_plan is not None:
        method_key = f"{route.path}/{route.method}"  # usage plans name methods "/pets/{id}/GET"
        plan_limit = next((t for m, t in key_plan.method_throttles if m == method_key), None)
        if plan_limit is not None:
            limits.append((f"plan/{key_plan.plan_id}/{key_plan.key_id}/{stage_key}/{method_key}", plan_limit))
        elif key_plan.throttle is not None:
            limits.append((f"plan/{key_plan.plan_id}/{key_plan.key_id}", key_plan.throttle))
    method_limit = route.throttle if route.throttle is not None else api.throttle
    if method_limit is not None:
        limits.append((f"stage/{stage_key}/{route.id}", method_limit))
    limits.append((f"account/{api.account_id}/{api.region}", account_limit))
    return limits
