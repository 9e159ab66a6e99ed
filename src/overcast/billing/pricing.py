"""Lambda's price table and the pure arithmetic of a monthly bill: requests, tiered GB-seconds, free tier.

Defaults are AWS's published on-demand prices for US East (N. Virginia), https://aws.amazon.com/lambda/pricing/:
$0.20 per 1M requests; duration per GB-second in monthly tiers per architecture (x86: first 6
billion GB-s $0.0000166667, next 9 billion $0.0000150000, beyond $0.0000133334; arm64: first 7.5
billion $0.0000133334, next 11.25 billion $0.0000120001, beyond $0.0000106667); and the free tier,
1M requests and 400,000 GB-seconds per month, shared by x86 and arm64 functions in aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MB_PER_GB = 1024


@dataclass(frozen=True, slots=True)
class Tier:
    """A price per GB-second for the month's GB-seconds up to `up_to` (None: no upper bound)."""

    up_to: float | None
    price: float


@dataclass(frozen=True, slots=True)
class PriceTable:
    request_price_per_million: float = 0.20
    duration_tiers: Mapping[str, tuple[Tier, ...]] = field(
        default_factory=lambda: {
            "x86_64": (Tier(6e9, 0.0000166667), Tier(15e9, 0.0000150000), Tier(None, 0.0000133334)),
            "arm64": (Tier(7.5e9, 0.0000133334), Tier(18.75e9, 0.0000120001), Tier(None, 0.0000106667)),
        }
    )
    free_requests: int = 1_000_000
    free_gb_seconds: float = 400_000.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PriceTable:
        """A table from settings, e.g. TOML `{request_price_per_million = 0.2, free_requests = 0,
        gb_second_prices = {x86_64 = 0.0000166667}}` (a flat price per architecture replaces its tiers)."""
        base = cls()
        tiers = dict(base.duration_tiers)
        for arch, price in dict(data.get("gb_second_prices", {})).items():
            tiers[arch] = (Tier(None, float(price)),)
        return cls(
            request_price_per_million=float(data.get("request_price_per_million", base.request_price_per_million)),
            duration_tiers=tiers,
            free_requests=int(data.get("free_requests", base.free_requests)),
            free_gb_seconds=float(data.get("free_gb_seconds", base.free_gb_seconds)),
        )

    def tiers(self, architecture: str) -> tuple[Tier, ...]:
        return self.duration_tiers.get(architecture) or self.duration_tiers["x86_64"]


DEFAULT_PRICES = PriceTable()


def gb_seconds(memory_mb: int, billed_ms: int) -> float:
    """Compute charged for one invocation: memory in GB times billed time in seconds."""
    return memory_mb / MB_PER_GB * billed_ms / 1000


def request_cost(requests: int, table: PriceTable = DEFAULT_PRICES) -> float:
    return requests * table.request_price_per_million / 1_000_000


def duration_cost(gb_s: float, architecture: str, table: PriceTable = DEFAULT_PRICES) -> float:
    """The month's duration charge for `gb_s` GB-seconds of one architecture, through its tiers."""
    cost, floor = 0.0, 0.0
    for tier in table.tiers(architecture):
        top = gb_s if tier.up_to is None else min(gb_s, tier.up_to)
        if top > floor:
            cost += (top - floor) * tier.price
        if tier.up_to is None or gb_s <= tier.up_to:
            break
        floor = tier.up_to
    return cost


@dataclass(frozen=True, slots=True)
class Bill:
    """One account's month: gross charges, and what the free tier takes off them."""

    requests: int
    gb_seconds: Mapping[str, float]  # by architecture
    request_cost: float
    duration_cost: float
    free_tier_credit: float

    @property
    def gross(self) -> float:
        return self.request_cost + self.duration_cost

    @property
    def net(self) -> float:
        return max(0.0, self.gross - self.free_tier_credit)


def monthly_bill(requests: int, gb_s: Mapping[str, float], table: PriceTable = DEFAULT_PRICES) -> Bill:
    """The bill for one account's month. The free GB-seconds are shared among architectures in
    proportion to their use and priced at each one's first tier (AWS applies the free tier to the
    aggregate of x86 and arm64 use without saying which price it takes off; this is our choice)."""
    total_gb_s = sum(gb_s.values())
    duration = sum(duration_cost(amount, arch, table) for arch, amount in gb_s.items())
    free_gb_s = min(total_gb_s, table.free_gb_seconds)
    credit = request_cost(min(requests, table.free_requests), table)
    if total_gb_s > 0:
        for arch, amount in gb_s.items():
            credit += free_gb_s * amount / total_gb_s * table.tiers(arch)[0].price
    return Bill(requests, dict(gb_s), request_cost(requests, table), duration, credit)
