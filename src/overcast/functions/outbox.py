"""The invocation outbox: finished invocations' log events and billing records, written in batches after the response.

Writing them one invocation at a time cost a store transaction (and an fsync) per invoke, and
made every Invoke compete with them for the store's single writer. Lambda itself delivers a
function's logs to CloudWatch asynchronously, so the outbox buffers them in memory and writes
everything buffered in one transaction, `delay_s` after the first item arrived (or at once from
`flush`). What an Invoke response acknowledges is the function's result, not its log or meter
rows: a crash of the platform (kill -9, power loss) loses the invocations that finished in the
last `delay_s` plus the duration of the write in progress. A clean shutdown flushes (`close`).

An invocation arrives as a `Finished` record, the facts as the response left them; the START,
END and REPORT lines and the billing record are made from it when the batch is written, off the
response's path. Max Memory Used is read from the instance then (once per instance per batch),
unless the instance reported it already: the instance's high-water mark a few milliseconds after
the invocation, which is what AWS's REPORT shows unless the next invocation on the same instance,
in the same few milliseconds, raised it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from overcast.billing.metering import InvocationRecord, Meter, record_statements
from overcast.clock import Clock
from overcast.functions import report
from overcast.functions.instances import Instance, LogLine
from overcast.observe.logs import LogEvent, LogStore, StreamEvents
from overcast.store import Statement, Store

log = logging.getLogger("overcast.functions.outbox")

DELAY_S = 0.005  # long enough to gather a burst of invocations into one commit, short next to a human reader

StreamKey = tuple[str, str, str, str]  # (account, region, log group, log stream)


@dataclass(frozen=True, slots=True)
class Finished:
    """One finished invocation: what its log lines and billing record are made of."""

    account: str
    region: str
    function_name: str
    version: str
    request_id: str
    instance: Instance
    started_ms: int
    end_ms: int
    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_mb: int | None  # None: read from `instance` when written
    init_ms: float | None  # REPORT's Init Duration (None when warm or provisioned)
    cold: bool
    outcome: str  # "success" | "error" | "timeout" | "crash"
    architecture: str
    log: tuple[LogLine, ...]  # what the function wrote

    def lines(self, max_memory_mb: int) -> list[LogLine]:
        """START, the function's lines, END and REPORT, in AWS's order (init output before START)."""
        started, end, request_id = self.started_ms, self.end_ms, self.request_id
        before = [line for line in self.log if line.timestamp_ms < started]
        during = [line for line in self.log if line.timestamp_ms >= started]
        report_text = report.report_line(
            request_id, self.duration_ms, self.billed_ms, self.memory_mb, max_memory_mb, self.init_ms
        )
        return [
            *before,
            LogLine(started, report.start_line(request_id, self.version)),
            *during,
            LogLine(end, report.end_line(request_id)),
            LogLine(end, report_text),
        ]

    def record(self) -> InvocationRecord:
        return InvocationRecord(
            account=self.account,
            region=self.region,
            function_name=self.function_name,
            version=self.version,
            request_id=self.request_id,
            started_ms=self.started_ms,
            duration_ms=self.duration_ms,
            billed_duration_ms=self.billed_ms,
            memory_mb=self.memory_mb,
            init_duration_ms=self.init_ms,
            cold=self.cold,
            outcome=self.outcome,
            architecture=self.architecture,
        )


class Outbox:
    def __init__(
        self, store: Store, logs: LogStore | None, meter: Meter | None, clock: Clock, delay_s: float = DELAY_S
    ) -> None:
        self.store = store
        self.logs = logs
        self.meter = meter
        self.clock = clock
        self.delay_s = delay_s
        self._finished: list[Finished] = []
        self._writer: asyncio.Task[None] | None = None  # the scheduled write, while one is pending
        self._lock = asyncio.Lock()  # one write at a time, so a stream's events are stored in order

    def add(self, finished: Finished) -> None:
        """Buffer one finished invocation; its log events and billing record are written within `delay_s`."""
        self._finished.append(finished)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_later())

    async def _write_later(self) -> None:
        try:
            await self.clock.sleep(self.delay_s)
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None  # from here on, new items schedule the next write
        await self._write()

    async def _write(self) -> None:
        async with self._lock:
            finished, self._finished = self._finished, []
            if not finished:
                return
            events: dict[StreamKey, list[LogEvent]] = {}
            records = self._materialize(finished, events)
            try:
                # One job for the store's writer, committed with whatever other writes are queued.
                statements: list[Statement] = []
                if self.logs is not None and events:
                    batches = [StreamEvents(*key, batch) for key, batch in events.items()]
                    statements += self.logs.put_statements(batches)
                if self.meter is not None and records:
                    statements += record_statements(records)
                await self.store.execute_batch(statements)  # all of them, or none
            except Exception:
                # The store refused (disk full, closed): these logs and records are lost; say so.
                count = sum(len(batch) for batch in events.values())
                log.exception("storing %d log events and %d billing records failed", count, len(records))

    def _materialize(self, finished: list[Finished], events: dict[StreamKey, list[LogEvent]]) -> list[InvocationRecord]:
        """Turn finished invocations into log events (added to `events`) and billing records."""
        peaks: dict[int, int] = {}
        records: list[InvocationRecord] = []
        for item in finished:
            if self.logs is not None:
                memory = item.max_memory_mb
                if memory is None:
                    key = id(item.instance)
                    memory = peaks.get(key)
                    if memory is None:
                        memory = peaks[key] = item.instance.max_memory_mb()
                spec = item.instance.spec
                stream = events.setdefault((item.account, item.region, spec.log_group, spec.log_stream), [])
                stream.extend(LogEvent(line.timestamp_ms, line.message) for line in item.lines(memory))
            if self.meter is not None:
                records.append(item.record())
        return records

    async def flush(self) -> None:
        """Write everything buffered so far now, and wait until it is stored."""
        if self._writer is not None:
            # Still waiting out its delay (a write in progress holds the lock, not this slot): its items
            # are written here instead.
            self._writer.cancel()
            self._writer = None
        await self._write()
