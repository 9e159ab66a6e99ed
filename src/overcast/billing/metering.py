"""Meter: every invocation's billable facts, stored durably, and the usage and cost they add up to.

Billed duration rounds the duration up to the billing granularity: 1 ms today, 100 ms until
December 2020 (https://aws.amazon.com/lambda/pricing/). Since August 1, 2025 Lambda bills the INIT
phase of on-demand invocations for every runtime and package type, managed runtimes included
(https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/), so a cold
start's billed duration covers Init Duration + Duration: `billed_ms(duration, init_ms=init)`.
"""

from __future__ import annotations

import functools
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from overcast.billing.pricing import DEFAULT_PRICES, MB_PER_GB, PriceTable, duration_cost, monthly_bill
from overcast.clock import Clock
from overcast.store import Queries, Statement, Store

OUTCOMES = ("success", "error", "timeout", "crash")
# 15 parameters a row: 200 rows stay far below PostgreSQL's 32767 parameters per statement.
_ROWS_PER_INSERT = 200

STEPS: list[str] = [
    # One row per invocation; month ("2026-01", UTC) buckets the free tier and the price tiers.
    # mb_ms = memory_mb * billed_ms, exact, so sums of GB-seconds carry no rounding.
    "CREATE TABLE billing_invocations (account TEXT NOT NULL, region TEXT NOT NULL, function_name TEXT NOT NULL, "
    "version TEXT NOT NULL, request_id TEXT NOT NULL, started_ms BIGINT NOT NULL, month TEXT NOT NULL, "
    "duration_ms DOUBLE PRECISION NOT NULL, billed_ms BIGINT NOT NULL, memory_mb BIGINT NOT NULL, "
    "mb_ms BIGINT NOT NULL, init_ms DOUBLE PRECISION, cold BIGINT NOT NULL, outcome TEXT NOT NULL, "
    "architecture TEXT NOT NULL, PRIMARY KEY (account, region, function_name, request_id, started_ms));"
    "CREATE INDEX billing_invocations_time ON billing_invocations (started_ms);"
    "CREATE INDEX billing_invocations_account_time ON billing_invocations (account, started_ms)",
    # The same key in time order: with the request id (random) before the start time, every insert
    # landed on a random page of the key's index, which grew costlier with the table (measured: 12 ->
    # 21 us a row over the first 100,000 rows, against a flat 7.5 in time order).
    "CREATE TABLE billing_invocations_v2 (account TEXT NOT NULL, region TEXT NOT NULL, "
    "function_name TEXT NOT NULL, version TEXT NOT NULL, request_id TEXT NOT NULL, started_ms BIGINT NOT NULL, "
    "month TEXT NOT NULL, duration_ms DOUBLE PRECISION NOT NULL, billed_ms BIGINT NOT NULL, "
    "memory_mb BIGINT NOT NULL, mb_ms BIGINT NOT NULL, init_ms DOUBLE PRECISION, cold BIGINT NOT NULL, "
    "outcome TEXT NOT NULL, architecture TEXT NOT NULL, "
    "PRIMARY KEY (account, region, function_name, started_ms, request_id));"
    "INSERT INTO billing_invocations_v2 (account, region, function_name, version, request_id, started_ms, month, "
    "duration_ms, billed_ms, memory_mb, mb_ms, init_ms, cold, outcome, architecture) "
    "SELECT account, region, function_name, version, request_id, started_ms, month, duration_ms, billed_ms, "
    "memory_mb, mb_ms, init_ms, cold, outcome, architecture FROM billing_invocations;"
    "DROP TABLE billing_invocations;"
    "ALTER TABLE billing_invocations_v2 RENAME TO billing_invocations;"
    "CREATE INDEX billing_invocations_time ON billing_invocations (started_ms);"
    "CREATE INDEX billing_invocations_account_time ON billing_invocations (account, started_ms)",
]


@dataclass(frozen=True, slots=True)
class InvocationRecord:
    account: str
    region: str
    function_name: str
    version: str
    request_id: str
    started_ms: int
    duration_ms: float
    billed_duration_ms: int
    memory_mb: int
    init_duration_ms: float | None
    cold: bool
    outcome: str  # "success" | "error" | "timeout" | "crash"
    architecture: str  # "x86_64" | "arm64"

    @property
    def gb_seconds(self) -> float:
        return self.memory_mb / MB_PER_GB * self.billed_duration_ms / 1000


@dataclass(frozen=True, slots=True)
class FunctionUsage:
    """One function's totals over a period. Costs are in USD: `cost` before the free tier,
    `cost_after_free_tier` with the account's monthly free tier shared among its functions in
    proportion to their gross cost."""

    account: str
    region: str
    function_name: str
    requests: int
    cold_starts: int
    errors: int  # outcomes other than success
    duration_ms: float
    billed_ms: int
    gb_seconds: float
    cost: float
    cost_after_free_tier: float

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def billed_duration_ms(duration_ms: float, granularity_ms: int, init_ms: float | None = None) -> int:
    """Duration (plus init, when given) rounded up to the granularity; at least one unit."""
    total = duration_ms + (init_ms or 0.0)
    # Round away float noise first (12.000000001 ms is 12 ms, not 13).
    units = math.ceil(round(total / granularity_ms, 6))
    return max(1, units) * granularity_ms


def record_statements(records: Sequence[InvocationRecord]) -> list[Statement]:
    """The statements `Meter.record_many` runs, for a caller's own `execute_batch` (so that other
    writes, such as the invocations' log events, can go in the same one)."""
    statements: list[Statement] = []
    for start in range(0, len(records), _ROWS_PER_INSERT):
        chunk = records[start : start + _ROWS_PER_INSERT]
        values: list[Any] = []
        for record in chunk:
            values += (
                record.account,
                record.region,
                record.function_name,
                record.version,
                record.request_id,
                record.started_ms,
                month_of(record.started_ms),
                float(record.duration_ms),
                record.billed_duration_ms,
                record.memory_mb,
                record.memory_mb * record.billed_duration_ms,
                None if record.init_duration_ms is None else float(record.init_duration_ms),
                1 if record.cold else 0,
                record.outcome,
                record.architecture,
            )
        statements.append((_insert_sql(len(chunk)), values))
    return statements


@functools.lru_cache(maxsize=32)
def _insert_sql(rows: int) -> str:
    return (
        "INSERT INTO billing_invocations (account, region, function_name, version, request_id, started_ms, "
        "month, duration_ms, billed_ms, memory_mb, mb_ms, init_ms, cold, outcome, architecture) VALUES "
        + ", ".join("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" for _ in range(rows))
        + " ON CONFLICT (account, region, function_name, started_ms, request_id) DO NOTHING"
    )


def month_of(epoch_ms: int) -> str:
    return _month_of_day(epoch_ms // 86_400_000)  # months begin at a UTC midnight


@functools.lru_cache(maxsize=64)
def _month_of_day(day: int) -> str:
    return time.strftime("%Y-%m", time.gmtime(day * 86_400))


class Meter:
    def __init__(self, store: Store, clock: Clock, granularity_ms: int, prices: PriceTable = DEFAULT_PRICES) -> None:
        if granularity_ms < 1:
            raise ValueError("billing granularity must be at least 1 ms")
        self.store = store
        self.clock = clock
        self.granularity_ms = granularity_ms
        self.prices = prices

    async def start(self) -> None:
        await self.store.migrate("billing", STEPS)

    def billed_ms(self, duration_ms: float, init_ms: float | None = None) -> int:
        """Duration (plus init, when given) rounded up to the billing granularity."""
        return billed_duration_ms(duration_ms, self.granularity_ms, init_ms)

    async def record(self, record: InvocationRecord) -> None:
        """Store one invocation; recording the same one twice keeps one row."""
        await self.record_many([record])

    async def record_many(self, records: Sequence[InvocationRecord], tx: Queries | None = None) -> None:
        """Store invocations with multi-row INSERTs (one `execute_batch`), in the caller's transaction
        `tx` when given."""
        statements = record_statements(records)
        if statements:
            await (self.store if tx is None else tx).execute_batch(statements)

    async def records(self, account: str | None = None, since_ms: int | None = None) -> list[InvocationRecord]:
        sql, params = _where(account, since_ms)
        rows = await self.store.fetch_all(
            "SELECT account, region, function_name, version, request_id, started_ms, duration_ms, billed_ms, "
            f"memory_mb, init_ms, cold, outcome, architecture FROM billing_invocations{sql} ORDER BY started_ms",
            *params,
        )
        return [
            InvocationRecord(
                r["account"],
                r["region"],
                r["function_name"],
                r["version"],
                r["request_id"],
                int(r["started_ms"]),
                float(r["duration_ms"]),
                int(r["billed_ms"]),
                int(r["memory_mb"]),
                None if r["init_ms"] is None else float(r["init_ms"]),
                bool(r["cold"]),
                r["outcome"],
                r["architecture"],
            )
            for r in rows
        ]

    async def usage(self, account: str | None = None, since_ms: int | None = None) -> list[FunctionUsage]:
        """Totals per function (sorted by account, region, name) of the invocations since `since_ms`.

        Prices apply per account and calendar month (UTC): price tiers to the month's aggregate
        GB-seconds per architecture, the free tier to the month's aggregate use. A function's share
        of a month's duration charge is its share of that architecture's GB-seconds.
        """
        sql, params = _where(account, since_ms)
        rows = await self.store.fetch_all(
            "SELECT account, region, function_name, month, architecture, COUNT(*) AS requests, "
            "SUM(cold) AS cold_starts, SUM(CASE WHEN outcome = 'success' THEN 0 ELSE 1 END) AS errors, "
            "SUM(duration_ms) AS duration_ms, SUM(billed_ms) AS billed_ms, SUM(mb_ms) AS mb_ms "
            f"FROM billing_invocations{sql} GROUP BY account, region, function_name, month, architecture",
            *params,
        )
        # Per account-month aggregates: requests, GB-seconds per architecture.
        month_requests: dict[tuple[str, str], int] = defaultdict(int)
        month_gb_s: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in rows:
            key = (r["account"], r["month"])
            month_requests[key] += int(r["requests"])
            month_gb_s[key][r["architecture"]] += int(r["mb_ms"]) / MB_PER_GB / 1000
        bills = {key: monthly_bill(month_requests[key], month_gb_s[key], self.prices) for key in month_requests}
        totals: dict[tuple[str, str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in rows:
            key = (r["account"], r["month"])
            bill = bills[key]
            arch = r["architecture"]
            gb_s = int(r["mb_ms"]) / MB_PER_GB / 1000
            arch_total = month_gb_s[key][arch]
            arch_cost = duration_cost(arch_total, arch, self.prices)
            gross = int(r["requests"]) * self.prices.request_price_per_million / 1_000_000
            gross += arch_cost * gb_s / arch_total if arch_total else 0.0
            net = gross * bill.net / bill.gross if bill.gross else 0.0
            t = totals[(r["account"], r["region"], r["function_name"])]
            t["requests"] += int(r["requests"])
            t["cold_starts"] += int(r["cold_starts"] or 0)
            t["errors"] += int(r["errors"] or 0)
            t["duration_ms"] += float(r["duration_ms"] or 0.0)
            t["billed_ms"] += int(r["billed_ms"] or 0)
            t["gb_seconds"] += gb_s
            t["cost"] += gross
            t["cost_after_free_tier"] += net
        return [
            FunctionUsage(
                account,
                region,
                name,
                requests=int(t["requests"]),
                cold_starts=int(t["cold_starts"]),
                errors=int(t["errors"]),
                duration_ms=t["duration_ms"],
                billed_ms=int(t["billed_ms"]),
                gb_seconds=t["gb_seconds"],
                cost=t["cost"],
                cost_after_free_tier=t["cost_after_free_tier"],
            )
            for (account, region, name), t in sorted(totals.items())
        ]


def _where(account: str | None, since_ms: int | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if account is not None:
        clauses.append("account = ?")
        params.append(account)
    if since_ms is not None:
        clauses.append("started_ms >= ?")
        params.append(since_ms)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
