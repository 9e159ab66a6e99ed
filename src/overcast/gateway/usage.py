"""Usage: usage-plan quotas — durable per-(plan, key, day) request counts, GetUsage's report, UpdateUsage.

A quota allows `limit` requests per period, in UTC: a DAY; a WEEK starting on day `offset` of the
week (0 = Sunday, 1 = Monday, ...); a MONTH starting on day `offset` after the 1st.
https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
(The current API reference words `offset` as "requests subtracted from the limit in the initial
period"; its SDK documentation and CloudFormation describe the starting day, which is what we do.)

The hot path (`consume`) never waits for the disk: counts live in memory and are written behind,
`delay_s` after the first unwritten count, as increments in one transaction (like
functions/outbox.py), and loaded back at `start`. What a crash of the platform (kill -9, power
loss) can lose is the counts of the last `delay_s` plus the write in progress — a few
milliseconds of requests, which then do not count against their quota. No acknowledged API write
is involved: UpdateUsage (`adjust_remaining`) is written before it returns. Nodes sharing a store
each enforce the quota with the counts they have seen, and their increments add up in the store.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from datetime import UTC, date, datetime, timedelta

from overcast.apis.deployed import KeyPlan, Quota
from overcast.clock import Clock
from overcast.store import Store

__all__ = ["DELAY_S", "STEPS", "Usage", "period_start"]

log = logging.getLogger("overcast.gateway.usage")

DELAY_S = 0.005
_LOAD_DAYS = 70  # counts loaded at start: enough for the current period of any quota (a month at most)
_ROWS_PER_INSERT = 500

STEPS: list[str] = [
    # Requests counted per usage plan, API key and UTC day ("YYYY-MM-DD").
    "CREATE TABLE apigw_usage (plan_id TEXT NOT NULL, key_id TEXT NOT NULL, day TEXT NOT NULL, "
    "used BIGINT NOT NULL, PRIMARY KEY (plan_id, key_id, day));"
    # UpdateUsage: what a quota period counts beyond (or below, if negative) its requests.
    "CREATE TABLE apigw_usage_adjustments (plan_id TEXT NOT NULL, key_id TEXT NOT NULL, period TEXT NOT NULL, "
    "period_start TEXT NOT NULL, adjustment BIGINT NOT NULL, PRIMARY KEY (plan_id, key_id, period, period_start))",
]

KeyId = tuple[str, str]  # (plan id, key id)
Period = tuple[str, str, str, date]  # (plan id, key id, quota period, period start)


def period_start(quota: Quota, day: date) -> date:
    """The first day of the quota period that holds `day`."""
    if quota.period == "WEEK":
        weekday = (day.weekday() + 1) % 7  # 0 = Sunday, as `offset` counts
        return day - timedelta(days=(weekday - quota.offset) % 7)
    if quota.period == "MONTH":
        first = _month_day(day.year, day.month, quota.offset)
        if day >= first:
            return first
        year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
        return _month_day(year, month, quota.offset)
    return day  # DAY


def _month_day(year: int, month: int, offset: int) -> date:
    return date(year, month, min(1 + offset, calendar.monthrange(year, month)[1]))


class Usage:
    def __init__(self, store: Store, clock: Clock, delay_s: float = DELAY_S) -> None:
        self.store = store
        self.clock = clock
        self.delay_s = delay_s
        self._days: dict[KeyId, dict[date, int]] = {}  # counts known here: loaded plus counted since
        self._pending: dict[tuple[str, str, date], int] = {}  # counted, not yet written
        self._adjustments: dict[Period, int] = {}
        self._consumed: dict[Period, int] = {}  # a period's requests plus its adjustment
        self._day_number = -1
        self._today = date(1970, 1, 1)
        self._writer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.store.migrate("apigw_usage", STEPS)
        since = (self.today() - timedelta(days=_LOAD_DAYS)).isoformat()
        for row in await self.store.fetch_all(
            "SELECT plan_id, key_id, day, used FROM apigw_usage WHERE day >= ?", since
        ):
            days = self._days.setdefault((row["plan_id"], row["key_id"]), {})
            days[date.fromisoformat(row["day"])] = int(row["used"])
        for row in await self.store.fetch_all(
            "SELECT plan_id, key_id, period, period_start, adjustment FROM apigw_usage_adjustments "
            "WHERE period_start >= ?",
            since,
        ):
            period = (row["plan_id"], row["key_id"], row["period"], date.fromisoformat(row["period_start"]))
            self._adjustments[period] = int(row["adjustment"])

    async def close(self) -> None:
        await self.flush()

    def today(self) -> date:
        """The current UTC day on the injected clock."""
        number = int(self.clock.now() // 86_400)
        if number != self._day_number:
            self._day_number = number
            self._today = datetime.fromtimestamp(number * 86_400, UTC).date()
        return self._today

    def _period_consumed(self, period: Period) -> int:
        consumed = self._consumed.get(period)
        if consumed is None:
            plan_id, key_id, _, start = period
            days = self._days.get((plan_id, key_id), {})
            today = self.today()
            consumed = sum(n for d, n in days.items() if start <= d <= today) + self._adjustments.get(period, 0)
            self._consumed[period] = consumed
        return consumed

    async def consume(self, plan: KeyPlan) -> bool:
        """Count one request against the key's quota for today's period; False (nothing counted) once used up."""
        today = self.today()
        quota = plan.quota
        if quota is not None:
            period = (plan.plan_id, plan.key_id, quota.period, period_start(quota, today))
            consumed = self._period_consumed(period)
            if consumed >= quota.limit:
                return False
            self._consumed[period] = consumed + 1
        days = self._days.get((plan.plan_id, plan.key_id))
        if days is None:
            days = self._days[(plan.plan_id, plan.key_id)] = {}
        days[today] = days.get(today, 0) + 1
        pending_key = (plan.plan_id, plan.key_id, today)
        self._pending[pending_key] = self._pending.get(pending_key, 0) + 1
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_later())
        return True

    async def _write_later(self) -> None:
        try:
            await self.clock.sleep(self.delay_s)
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None
        await self._write()

    async def _write(self) -> None:
        async with self._lock:
            pending, self._pending = self._pending, {}
            if not pending:
                return
            rows = [(plan_id, key_id, day.isoformat(), used) for (plan_id, key_id, day), used in pending.items()]
            try:
                async with self.store.transaction() as tx:
                    for i in range(0, len(rows), _ROWS_PER_INSERT):
                        batch = rows[i : i + _ROWS_PER_INSERT]
                        await tx.execute(
                            "INSERT INTO apigw_usage (plan_id, key_id, day, used) VALUES "
                            + ", ".join(["(?, ?, ?, ?)"] * len(batch))
                            + " ON CONFLICT (plan_id, key_id, day) "
                            "DO UPDATE SET used = apigw_usage.used + excluded.used",
                            *[value for row in batch for value in row],
                        )
            except Exception:
                # The store refused (disk full, closed): these counts are lost for good; say so.
                log.exception("storing %d usage-plan request counts failed", sum(pending.values()))

    @property
    def unwritten(self) -> int:
        """Requests counted but not yet handed to the store (what a crash now would lose)."""
        return sum(self._pending.values())

    async def flush(self) -> None:
        """Write every count made so far, and wait until it is stored."""
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        await self._write()

    async def report(
        self, plan_id: str, key_ids: list[str], quota: Quota | None, start: date, end: date
    ) -> dict[str, list[list[int]]]:
        """GetUsage's `items`: per key id, `[used, remaining]` for each day from `start` to `end` inclusive.

        `remaining` is what the quota period holding that day had left at the end of the day (0 for a
        plan without a quota). https://docs.aws.amazon.com/apigateway/latest/api/API_GetUsage.html
        """
        await self.flush()
        first = period_start(quota, start) if quota is not None else start
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        items: dict[str, list[list[int]]] = {}
        for key_id in key_ids:
            rows = await self.store.fetch_all(
                "SELECT day, used FROM apigw_usage WHERE plan_id = ? AND key_id = ? AND day >= ? AND day <= ?",
                plan_id,
                key_id,
                first.isoformat(),
                end.isoformat(),
            )
            used = {date.fromisoformat(row["day"]): int(row["used"]) for row in rows}
            adjustments: dict[date, int] = {}
            if quota is not None:
                for row in await self.store.fetch_all(
                    "SELECT period_start, adjustment FROM apigw_usage_adjustments WHERE plan_id = ? AND key_id = ? "
                    "AND period = ? AND period_start >= ? AND period_start <= ?",
                    plan_id,
                    key_id,
                    quota.period,
                    first.isoformat(),
                    end.isoformat(),
                ):
                    adjustments[date.fromisoformat(row["period_start"])] = int(row["adjustment"])
            entries: list[list[int]] = []
            for day in days:
                count = used.get(day, 0)
                if quota is None:
                    entries.append([count, 0])
                    continue
                begin = period_start(quota, day)
                consumed = adjustments.get(begin, 0) + sum(
                    used.get(begin + timedelta(days=i), 0) for i in range((day - begin).days + 1)
                )
                entries.append([count, max(0, quota.limit - consumed)])
            items[key_id] = entries
        return items

    async def adjust_remaining(self, plan_id: str, key_id: str, quota: Quota, remaining: int) -> None:
        """UpdateUsage's `replace /remaining`: the key's current quota period has `remaining` requests left.

        https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateUsage.html
        """
        await self.flush()  # the stored counts then match the ones the adjustment is measured against
        start = period_start(quota, self.today())
        period = (plan_id, key_id, quota.period, start)
        days = self._days.get((plan_id, key_id), {})
        counted = sum(n for d, n in days.items() if start <= d <= self.today())
        adjustment = quota.limit - remaining - counted
        await self.store.execute(
            "INSERT INTO apigw_usage_adjustments (plan_id, key_id, period, period_start, adjustment) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (plan_id, key_id, period, period_start) "
            "DO UPDATE SET adjustment = excluded.adjustment",
            plan_id,
            key_id,
            quota.period,
            start.isoformat(),
            adjustment,
        )
        self._adjustments[period] = adjustment
        self._consumed[period] = counted + adjustment
