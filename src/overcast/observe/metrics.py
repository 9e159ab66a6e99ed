"""Metrics: CloudWatch metric data — one-minute statistic sets gathered in memory, stored in batches, read by period.

A datum is (namespace, metric name, dimensions, unit, value) in an account and Region. `record`
notes it (one append: recording sits on request paths) and the notes are folded into the statistic
set of their minute (SampleCount, Sum, Minimum, Maximum, and a log-scale histogram with 1 % wide
buckets for percentiles) when they are stored or read, never on the recording caller's path; a writer
stores every set gathered so far once a second, in one transaction, and `close` stores the rest. Each write
adds rows, so several nodes can write the same minute and a read sums them; once a minute has
closed, each writer merges its own rows of that minute into one (no other writer touches them),
so a busy series keeps one row per minute per node, not sixty. `statistics` answers like
GetMetricStatistics, counting sets not yet stored too.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Statistic

What a crash of the platform can lose: the data recorded in the last second plus the write in
progress. PutMetricData (an acknowledged write, later) must `flush` before it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from overcast.clock import Clock
from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION
from overcast.store import Queries, Store

__all__ = ["FLUSH_INTERVAL_S", "STEPS", "Metrics", "StatisticSet", "bucket_of"]

log = logging.getLogger("overcast.observe.metrics")

FLUSH_INTERVAL_S = 1.0
MINUTE_MS = 60_000
_ROWS_PER_INSERT = 200  # 14 parameters a row stays far below PostgreSQL's 32767 per statement
_BASE = 1.01  # histogram buckets: values within 1 % share one
_LOG_BASE = math.log(_BASE)
_NON_POSITIVE = -(2**31)  # the bucket of zero and negative values
_FOLD_AT = 8192  # notes kept unfolded at most (memory bound between two writes)

STEPS: list[str] = [
    # One row per statistic set a writer stored: a minute (ts, epoch ms) of one metric's data.
    # dims is the JSON list of [name, value] pairs sorted by name; hist is JSON {bucket: count}.
    "CREATE TABLE metric_sets (account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL, "
    "name TEXT NOT NULL, dims TEXT NOT NULL, unit TEXT NOT NULL, ts BIGINT NOT NULL, writer TEXT NOT NULL, "
    "seq BIGINT NOT NULL, sample_count DOUBLE PRECISION NOT NULL, total DOUBLE PRECISION NOT NULL, "
    "minimum DOUBLE PRECISION NOT NULL, maximum DOUBLE PRECISION NOT NULL, hist TEXT NOT NULL, "
    "PRIMARY KEY (writer, seq));"
    "CREATE INDEX metric_sets_series ON metric_sets (account, region, namespace, name, dims, ts)",
]

Dimensions = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, str, str, str, str, str, int]  # account, region, namespace, name, dims JSON, unit, minute
# A recorded note: account, region, namespace, the dimension sets' stored forms, epoch ms, (name, value, unit)s
Note = tuple[str, str, str, tuple[str, ...], int, Iterable[tuple[str, float, str]]]


@dataclass(slots=True)
class StatisticSet:
    sample_count: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, value: float, bucket: int | None = None, count: int = 1) -> None:
        """Add a value `count` times (`bucket`: its histogram bucket, when the caller knows it)."""
        self.sample_count += count
        self.total += value if count == 1 else value * count
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        if bucket is None:
            bucket = bucket_of(value)
        self.histogram[bucket] = self.histogram.get(bucket, 0) + count

    def copy(self) -> StatisticSet:
        return StatisticSet(self.sample_count, self.total, self.minimum, self.maximum, dict(self.histogram))

    def merge(self, other: StatisticSet) -> None:
        self.sample_count += other.sample_count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        for bucket, count in other.histogram.items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + count

    def percentile(self, p: float) -> float:
        """The p-th percentile (0 < p <= 100), within 1 % of a value recorded, clamped to [Minimum, Maximum]."""
        rank = math.ceil(p / 100 * sum(self.histogram.values()))
        seen = 0
        for bucket in sorted(self.histogram):
            seen += self.histogram[bucket]
            if seen >= max(rank, 1):
                value = self.minimum if bucket == _NON_POSITIVE else _BASE ** (bucket + 0.5)
                return min(max(value, self.minimum), self.maximum)
        return self.maximum


def bucket_of(value: float) -> int:
    """The histogram bucket of a value: values within 1 % share one."""
    return math.floor(math.log(value) / _LOG_BASE) if value > 0 else _NON_POSITIVE


def dimensions_key(dimensions: Iterable[tuple[str, str]]) -> str:
    """Dimensions in their stored form: a JSON list of [name, value] pairs sorted by name."""
    return json.dumps(sorted(dimensions), separators=(",", ":"))


class Metrics:
    def __init__(self, store: Store, clock: Clock, interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.store = store
        self.clock = clock
        self.interval_s = interval_s
        self._sets: dict[SeriesKey, StatisticSet] = {}
        self._notes: list[Note] = []  # recorded, not yet folded into _sets
        self._dims: dict[Dimensions, str] = {}  # the stored form of dimension tuples seen, to skip re-encoding
        self._writer_id = os.urandom(8).hex()
        self._seq = 0
        self._rows: dict[SeriesKey, int] = {}  # rows this writer stored per series and minute, while it is open
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.store.migrate("metrics", STEPS)
        self._task = asyncio.get_running_loop().create_task(self._flush_every_interval())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    def record(
        self,
        namespace: str,
        name: str,
        dimensions: Dimensions,
        value: float,
        unit: str = "None",
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        timestamp_ms: int | None = None,
    ) -> None:
        """Add one value to its minute's statistic set (now, on the injected clock, unless `timestamp_ms`)."""
        self.record_many(
            namespace, dimensions, ((name, value, unit),), account=account, region=region, timestamp_ms=timestamp_ms
        )

    def record_many(
        self,
        namespace: str,
        dimensions: Dimensions,
        data: Iterable[tuple[str, float, str]],
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        timestamp_ms: int | None = None,
    ) -> None:
        """Add (metric name, value, unit) data of one namespace and dimension set at once."""
        keys = (self.dimensions_key(dimensions),)
        self.record_sets(namespace, keys, tuple(data), account=account, region=region, timestamp_ms=timestamp_ms)

    def dimensions_key(self, dimensions: Dimensions) -> str:
        """A dimension set's stored form (remembered: callers may keep it and pass it to `record_sets`)."""
        dims = self._dims.get(dimensions)
        if dims is None:
            dims = self._dims[dimensions] = dimensions_key(dimensions)
        return dims

    def record_sets(
        self,
        namespace: str,
        dimension_keys: tuple[str, ...],
        data: Iterable[tuple[str, float, str]],
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        timestamp_ms: int | None = None,
    ) -> None:
        """The same data under several dimension sets (in their `dimensions_key` form); `data` must not change
        afterwards. Costs one append: the data is folded into statistic sets later."""
        ts = int(self.clock.now() * 1000) if timestamp_ms is None else timestamp_ms
        notes = self._notes
        notes.append((account, region, namespace, dimension_keys, ts, data))
        if len(notes) >= _FOLD_AT:
            self._fold()

    def _fold(self) -> None:
        """Fold the notes recorded so far into their minutes' statistic sets."""
        notes, self._notes = self._notes, []
        # Request metrics repeat themselves (the same counts and whole milliseconds request after
        # request): identical notes of a minute are counted first, then added once with their count.
        alike: dict[tuple[str, str, str, tuple[str, ...], int, tuple[tuple[str, float, str], ...]], int] = {}
        for account, region, namespace, dimension_keys, ts, data in notes:
            key = (account, region, namespace, dimension_keys, ts - ts % MINUTE_MS, tuple(data))
            alike[key] = alike.get(key, 0) + 1
        sets = self._sets
        buckets: dict[float, int] = {}
        for (account, region, namespace, dimension_keys, minute, data), count in alike.items():
            for name, value, unit in data:
                bucket = buckets.get(value)
                if bucket is None:
                    bucket = buckets[value] = bucket_of(value)
                for dims in dimension_keys:
                    series = (account, region, namespace, name, dims, unit, minute)
                    statistic_set = sets.get(series)
                    if statistic_set is None:
                        statistic_set = sets[series] = StatisticSet()
                    statistic_set.add(value, bucket, count)

    async def _flush_every_interval(self) -> None:
        while True:
            await self.clock.sleep(self.interval_s)
            await self.flush()

    async def flush(self) -> None:
        """Store every statistic set gathered so far, and wait until it is stored."""
        async with self._lock:
            self._fold()
            sets, self._sets = self._sets, {}
            if not sets:
                return
            rows: list[tuple[Any, ...]] = []
            for (account, region, namespace, name, dims, unit, ts), s in sets.items():
                self._seq += 1
                hist = json.dumps(s.histogram, separators=(",", ":"))
                key = (account, region, namespace, name, dims, unit, ts, self._writer_id, self._seq)
                rows.append((*key, s.sample_count, s.total, s.minimum, s.maximum, hist))
            for series in sets:
                self._rows[series] = self._rows.get(series, 0) + 1
            closed = self._closed_minutes()
            try:
                async with self.store.transaction() as tx:
                    for series in closed:
                        await self._compact(tx, series)
                    for i in range(0, len(rows), _ROWS_PER_INSERT):
                        batch = rows[i : i + _ROWS_PER_INSERT]
                        await tx.execute(
                            "INSERT INTO metric_sets (account, region, namespace, name, dims, unit, ts, writer, seq, "
                            "sample_count, total, minimum, maximum, hist) VALUES "
                            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(batch)),
                            *[value for row in batch for value in row],
                        )
            except Exception:
                # The store refused (disk full, closed): these data points are lost; say so.
                log.exception("storing %d metric statistic sets failed", len(rows))

    def _closed_minutes(self) -> list[SeriesKey]:
        """This writer's series-minutes that have closed (a minute ago or more) and hold several rows."""
        now_ms = int(self.clock.now() * 1000)
        open_from = now_ms - now_ms % MINUTE_MS - MINUTE_MS  # the previous minute may still get late data
        closed = [series for series in self._rows if series[6] < open_from]
        several = [series for series in closed if self._rows[series] > 1]
        for series in closed:
            del self._rows[series]
        return several

    async def _compact(self, tx: Queries, series: SeriesKey) -> None:
        """Merge this writer's rows of one closed series-minute into one row."""
        where = (
            "WHERE writer = ? AND account = ? AND region = ? AND namespace = ? AND name = ? AND dims = ? "
            "AND unit = ? AND ts = ?"
        )
        params = (self._writer_id, *series)
        rows = await tx.fetch_all(
            f"SELECT sample_count, total, minimum, maximum, hist FROM metric_sets {where}", *params
        )
        if len(rows) < 2:
            return
        merged = StatisticSet()
        for row in rows:
            merged.merge(_stored_set(row))
        await tx.execute(f"DELETE FROM metric_sets {where}", *params)
        self._seq += 1
        await tx.execute(
            "INSERT INTO metric_sets (account, region, namespace, name, dims, unit, ts, writer, seq, "
            "sample_count, total, minimum, maximum, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            *series,
            self._writer_id,
            self._seq,
            merged.sample_count,
            merged.total,
            merged.minimum,
            merged.maximum,
            json.dumps(merged.histogram, separators=(",", ":")),
        )

    async def statistics(
        self,
        namespace: str,
        name: str,
        dimensions: Dimensions,
        start_ms: int,
        end_ms: int,
        period_s: int,
        *,
        unit: str | None = None,
        percentiles: Sequence[float] = (),
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
    ) -> list[dict[str, Any]]:
        """GetMetricStatistics' datapoints: one per period with data in [start_ms, end_ms), oldest first.

        Each holds Timestamp (the period's start, epoch ms), SampleCount, Sum, Minimum, Maximum,
        Average and Unit, and ExtendedStatistics {"p99": ...} for the `percentiles` asked for.
        Periods count from `start_ms`; the data has one-minute resolution. Metrics match on
        exactly the dimensions given, as CloudWatch's do.
        """
        dims = dimensions_key(dimensions)
        period_ms = period_s * 1000
        first_minute = start_ms - start_ms % MINUTE_MS
        found: list[tuple[int, str, StatisticSet]] = []
        async with self._lock:  # no write in flight: every set is either stored or still here, once
            found.extend(await self._stored_sets(account, region, namespace, name, dims, first_minute, end_ms))
            self._fold()
            for (acc, reg, ns, metric, d, set_unit, ts), s in self._sets.items():
                if (acc, reg, ns, metric, d) == (
                    account,
                    region,
                    namespace,
                    name,
                    dims,
                ) and first_minute <= ts < end_ms:
                    found.append((ts, set_unit, s.copy()))
        return _datapoints(found, start_ms, period_ms, unit, percentiles)

    async def _stored_sets(
        self, account: str, region: str, namespace: str, name: str, dims: str, first_minute: int, end_ms: int
    ) -> list[tuple[int, str, StatisticSet]]:
        found: list[tuple[int, str, StatisticSet]] = []
        rows = await self.store.fetch_all(
            "SELECT ts, unit, sample_count, total, minimum, maximum, hist FROM metric_sets WHERE account = ? "
            "AND region = ? AND namespace = ? AND name = ? AND dims = ? AND ts >= ? AND ts < ?",
            account,
            region,
            namespace,
            name,
            dims,
            first_minute,
            end_ms,
        )
        for row in rows:
            found.append((int(row["ts"]), row["unit"], _stored_set(row)))
        return found


def _stored_set(row: Mapping[str, Any]) -> StatisticSet:
    hist = {int(k): int(v) for k, v in json.loads(row["hist"]).items()}
    return StatisticSet(row["sample_count"], row["total"], row["minimum"], row["maximum"], hist)


def _datapoints(
    found: list[tuple[int, str, StatisticSet]],
    start_ms: int,
    period_ms: int,
    unit: str | None,
    percentiles: Sequence[float],
) -> list[dict[str, Any]]:
    periods: dict[tuple[int, str], StatisticSet] = {}
    for ts, set_unit, s in found:
        if unit is not None and set_unit != unit:
            continue
        when = max(ts, start_ms)
        period = start_ms + (when - start_ms) // period_ms * period_ms
        merged = periods.get((period, set_unit))
        if merged is None:
            merged = periods[(period, set_unit)] = StatisticSet()
        merged.merge(s)
    points: list[dict[str, Any]] = []
    for (period, set_unit), s in sorted(periods.items()):
        point: dict[str, Any] = {
            "Timestamp": period,
            "SampleCount": s.sample_count,
            "Sum": s.total,
            "Minimum": s.minimum,
            "Maximum": s.maximum,
            "Average": s.total / s.sample_count if s.sample_count else 0.0,
            "Unit": set_unit,
        }
        if percentiles:
            point["ExtendedStatistics"] = {_percentile_name(p): s.percentile(p) for p in percentiles}
        points.append(point)
    return points


def _percentile_name(p: float) -> str:
    return f"p{p:g}"
