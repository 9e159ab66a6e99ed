"""The invocation outbox: finished invocations' log events and billing records, written in batches after the response.

Writing them one invocation at a time cost a store transaction (and an fsync) per invoke, and
made every Invoke compete with them for the store's single writer. Lambda itself delivers a
function's logs to CloudWatch asynchronously, so the outbox buffers finished invocations in
memory and hands everything buffered to its writer `delay_s` after the first one arrived (or at
once from `flush`). What an Invoke response acknowledges is the function's result, not its log
or meter rows: a crash of the platform (kill -9) loses the invocations that finished in the last
`delay_s` plus the batch being written, and the writer of `overcast up` commits without waiting
for the disk (functions/outbox_process.py), so a power loss can lose its last commits as well. A
clean shutdown flushes (`close`).

An invocation arrives as a `Finished` record, the facts as the response left them. Max Memory
Used is read from the instance when the batch is handed over (once per instance per batch),
unless the instance reported it already: the instance's high-water mark a few milliseconds after
the invocation, which is what AWS's REPORT shows unless the next invocation on the same instance,
in the same few milliseconds, raised it. The writer makes the START, END and REPORT lines and the
billing record from the records: `StoreWriter` in this process, or `WriterProcess` in a process
of its own, so that neither the making nor the storing takes the server's CPU or its GIL.

An invocation's log is bounded (functions/runtime/python/logbudget.py); so is what the outbox holds
of many: past MAX_HELD_LOG not yet stored (invocations that flood their logs faster than the writer
stores them), a finished invocation's lines are dropped and counted in its LOGS line instead of held,
as Lambda drops logs when their consumer falls behind.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NamedTuple, Protocol

from overcast.billing.metering import InvocationRecord, record_statements
from overcast.clock import Clock
from overcast.functions import report
from overcast.functions.instances import Instance, LogLine
from overcast.observe.logs import LogEvent, LogStore, StreamEvents
from overcast.store import Statement, Store

log = logging.getLogger("overcast.functions.outbox")


StreamKey = tuple[str, str, str, str]  # (account, region, log group, log stream)


# A Finished record as marshal carries it to a writer process: a plain tuple of its fields, in order.
Wire = tuple[Any, ...]
MAX_MEMORY = 12  # Finished.max_memory_mb's position
LOG = 17  # Finished.log's
# What the outbox may hold of log lines not yet stored, counted as their characters plus LINE_COST each
# (its tuple, str and timestamp objects): a few invocations' worth at the ceiling per invocation.
MAX_HELD_LOG = 24 * 1024 * 1024
LINE_COST = 128


class Finished(NamedTuple):
    """One finished invocation: what its log lines and billing record are made of.

    A NamedTuple rather than a dataclass: made on every invoke's path, it costs half as much, and
    it is its own wire form (`tuple(finished)`)."""

    account: str
    region: str
    function_name: str
    version: str
    request_id: str
    log_group: str
    log_stream: str
    started_ms: int
    end_ms: int
    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_mb: int | None  # None: read from the instance when the batch is handed over
    init_ms: float | None  # REPORT's Init Duration (None when warm or provisioned)
    cold: bool
    outcome: str  # "success" | "error" | "timeout" | "crash"
    architecture: str
    log: tuple[tuple[int, str], ...]  # what the function wrote: (timestamp ms, line) pairs
    dropped_lines: int = 0  # what the function wrote past the invocation's log ceiling: lines
    dropped_bytes: int = 0  # and their bytes
    system_level: str | None = None  # LoggingConfig's SystemLogLevel with LogFormat JSON; None: Text
    error_type: str | None = None  # the invocation's, when it failed
    application_level: str = "INFO"  # LoggingConfig's ApplicationLogLevel, with LogFormat JSON

    def lines(self, max_memory_mb: int) -> list[LogLine]:
        """START, the function's lines, END and REPORT, in AWS's order (init output before START)."""
        if self.system_level is not None:
            return self.json_lines(max_memory_mb, self.system_level)
        started, end, request_id = self.started_ms, self.end_ms, self.request_id
        before = [LogLine(ts, message) for ts, message in self.log if ts < started]
        during = [LogLine(ts, message) for ts, message in self.log if ts >= started]
        report_text = report.report_line(
            request_id, self.duration_ms, self.billed_ms, self.memory_mb, max_memory_mb, self.init_ms
        )
        dropped = [LogLine(end, report.logs_dropped_line(request_id, self.dropped_lines, self.dropped_bytes))]
        return [
            *before,
            LogLine(started, report.start_line(request_id, self.version)),
            *during,
            *(dropped if self.dropped_lines else ()),
            LogLine(end, report.end_line(request_id)),
            LogLine(end, report_text),
        ]

    def json_lines(self, max_memory_mb: int, level: str) -> list[LogLine]:
        """The same in the JSON format: the platform lines as JSON records, those below `level` left out."""
        started, end, request_id = self.started_ms, self.end_ms, self.request_id
        lines: list[LogLine] = []

        def platform(event_type: str, timestamp_ms: int, record: dict[str, Any]) -> None:
            if report.shown(event_type, level):
                lines.append(LogLine(timestamp_ms, report.event(event_type, timestamp_ms, record)))

        log = self.log
        if self.application_level != "TRACE":  # TRACE keeps every line
            log = tuple(line for line in log if report.application_shown(line[1], self.application_level))
        status = report.STATUS[self.outcome]
        failure = {"errorType": self.error_type} if status != "success" and self.error_type else {}
        init = {"initializationType": "on-demand", "phase": "init"}
        if self.init_ms is not None:
            named = {**init, "functionName": self.function_name, "functionVersion": self.version}
            platform("platform.initStart", max(0, started - round(self.init_ms)), named)
        lines += [LogLine(ts, message) for ts, message in log if ts < started]
        if self.init_ms is not None:
            platform("platform.initRuntimeDone", started, {**init, "status": "success"})
        platform("platform.start", started, {"requestId": request_id, "version": self.version})
        lines += [LogLine(ts, message) for ts, message in log if ts >= started]
        if self.dropped_lines:
            platform("platform.logsDropped", end, report.logs_dropped_record(self.dropped_lines, self.dropped_bytes))
        done = {
            "requestId": request_id,
            "status": status,
            **failure,
            "metrics": {"durationMs": round(self.duration_ms, 2)},
        }
        platform("platform.runtimeDone", end, done)
        metrics = report.report_metrics(self.duration_ms, self.billed_ms, self.memory_mb, max_memory_mb, self.init_ms)
        platform("platform.report", end, {"requestId": request_id, "metrics": metrics, "status": status, **failure})
        return lines

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

    def wire(self, max_memory_mb: int) -> Wire:
        """These facts as a plain tuple, Max Memory Used settled."""
        return (*self[:MAX_MEMORY], max_memory_mb, *self[MAX_MEMORY + 1 :])

    def log_size(self) -> int:
        """What its log lines cost to hold, as MAX_HELD_LOG counts."""
        return sum(len(message) for _, message in self.log) + LINE_COST * len(self.log) if self.log else 0

    def without_log(self) -> Finished:
        """These facts with the log's lines counted as dropped instead of held."""
        size = sum(len(message.encode("utf-8", "replace")) for _, message in self.log)
        return self._replace(log=(), dropped_lines=self.dropped_lines + len(self.log),
                             dropped_bytes=self.dropped_bytes + size)  # fmt: skip


class BatchWriter(Protocol):
    """Where the outbox hands its batches: each is stored, or its loss is logged, when `write` returns."""

    delay_s: float  # how long the outbox gathers invocations before it hands them over as one batch

    async def start(self) -> None:
        """Get ready for a batch: the outbox calls it as each batch begins to gather (cheap once ready)."""

    async def write(self, batch: list[Wire]) -> bool:
        """True once stored; False when it was lost (and logged)."""

    async def close(self) -> None: ...


class StoreWriter:
    """Makes a batch's log events and billing records and stores them in one `execute_batch`."""

    # Long enough to gather a burst of invocations into one commit, short next to a human reader.
    delay_s = 0.005

    def __init__(self, store: Store, logs: LogStore | None, metered: bool) -> None:
        self.store = store
        self.logs = logs
        self.metered = metered

    async def start(self) -> None:
        pass

    async def write(self, batch: list[Wire]) -> bool:
        return await self.store_statements(*self.statements(batch))

    def statements(self, batch: list[Wire]) -> tuple[list[Statement], str]:
        """The statements that store a batch's log events and billing records, and what they hold (for
        the message that says they were lost, if they are)."""
        events: dict[StreamKey, list[LogEvent]] = {}
        records: list[InvocationRecord] = []
        for values in batch:
            item = Finished._make(values)
            if self.logs is not None:
                stream = events.setdefault((item.account, item.region, item.log_group, item.log_stream), [])
                memory = item.max_memory_mb or 0
                stream.extend(LogEvent(line.timestamp_ms, line.message) for line in item.lines(memory))
            if self.metered:
                records.append(item.record())
        statements: list[Statement] = []
        if self.logs is not None and events:
            statements += self.logs.put_statements([StreamEvents(*key, batch) for key, batch in events.items()])
        if records:
            statements += record_statements(records)
        count = sum(len(stream) for stream in events.values())
        return statements, f"{count} log events and {len(records)} billing records"

    async def store_statements(self, statements: list[Statement], what: str) -> bool:
        """Run them in one transaction: True once committed, False (logged) when the store refused."""
        try:
            await self.store.execute_batch(statements)  # all of them, or none
        except Exception:
            # The store refused (disk full, closed): these logs and records are lost; say so.
            log.exception("storing %s failed", what)
            return False
        return True

    async def close(self) -> None:
        pass


class Outbox:
    def __init__(self, writer: BatchWriter, clock: Clock, delay_s: float | None = None) -> None:
        self.writer = writer
        self.clock = clock
        self.delay_s = writer.delay_s if delay_s is None else delay_s
        self._finished: list[tuple[Finished, Instance]] = []
        self._held = 0  # log_size() of the invocations added and not yet stored
        self._writer: asyncio.Task[None] | None = None  # the scheduled write, while one is pending
        self._lock = asyncio.Lock()  # one write at a time, so a stream's events are stored in order

    def add(self, finished: Finished, instance: Instance) -> None:
        """Buffer one finished invocation (and the instance it ran on, for its peak memory); its log
        events and billing record are handed to the writer within `delay_s`."""
        if finished.log:
            size = finished.log_size()
            if self._held + size > MAX_HELD_LOG:
                finished = finished.without_log()
            else:
                self._held += size
        self._finished.append((finished, instance))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_later())

    async def _write_later(self) -> None:
        try:
            await self._start_writer()
            await self.clock.sleep(self.delay_s)
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None  # from here on, new items schedule the next write
        await self._write()

    async def _start_writer(self) -> None:
        """Start the writer, if this is the first batch (or its process has died): not earlier, so that a
        server that runs no function runs no writer process; and not later, so that it gets ready while
        the batch gathers."""
        try:
            await self.writer.start()
        except Exception:
            log.exception("the outbox's writer could not start; writing the batch tries again")

    async def _write(self) -> None:
        async with self._lock:
            finished, self._finished = self._finished, []
            if not finished:
                return
            peaks: dict[int, int] = {}
            batch: list[Wire] = []
            held = 0
            for item, instance in finished:
                held += item.log_size()
                memory = item.max_memory_mb
                if memory is None:
                    memory = peaks.get(id(instance))
                    if memory is None:
                        memory = peaks[id(instance)] = instance.max_memory_mb()
                batch.append(item.wire(memory))
            del finished
            try:
                await self.writer.write(batch)
            finally:
                self._held -= held

    async def flush(self) -> None:
        """Write everything buffered so far now, and wait until it is stored."""
        if self._writer is not None:
            # Still waiting out its delay (a write in progress holds the lock, not this slot): its items
            # are written here instead.
            self._writer.cancel()
            self._writer = None
        await self._write()

    async def close(self) -> None:
        await self.flush()
        await self.writer.close()
