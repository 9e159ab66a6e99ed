"""The invocation outbox: finished invocations' log events and billing records, written in batches after the response.

Writing them one invocation at a time cost a store transaction (and an fsync) per invoke, and
made every Invoke compete with them for the store's single writer. Lambda itself delivers a
function's logs to CloudWatch asynchronously, so the outbox buffers them in memory and writes
everything buffered in one transaction, `delay_s` after the first item arrived (or at once from
`flush`). What an Invoke response acknowledges is the function's result, not its log or meter
rows: a crash of the platform (kill -9, power loss) loses the invocations that finished in the
last `delay_s` plus the duration of the write in progress. A clean shutdown flushes (`close`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from overcast.billing.metering import InvocationRecord, Meter
from overcast.clock import Clock
from overcast.observe.logs import LogEvent, LogStore, StreamEvents
from overcast.store import Store

log = logging.getLogger("overcast.functions.outbox")

DELAY_S = 0.005  # long enough to gather a burst of invocations into one commit, short next to a human reader

StreamKey = tuple[str, str, str, str]  # (account, region, log group, log stream)


class Outbox:
    def __init__(
        self, store: Store, logs: LogStore | None, meter: Meter | None, clock: Clock, delay_s: float = DELAY_S
    ) -> None:
        self.store = store
        self.logs = logs
        self.meter = meter
        self.clock = clock
        self.delay_s = delay_s
        self._events: dict[StreamKey, list[LogEvent]] = {}
        self._records: list[InvocationRecord] = []
        self._writer: asyncio.Task[None] | None = None  # the scheduled write, while one is pending
        self._lock = asyncio.Lock()  # one write at a time, so a stream's events are stored in order

    def add(self, stream: StreamKey, events: Sequence[LogEvent], record: InvocationRecord | None) -> None:
        """Buffer one invocation's log events (for `stream`) and billing record; written within `delay_s`."""
        if self.logs is not None and events:
            self._events.setdefault(stream, []).extend(events)
        if self.meter is not None and record is not None:
            self._records.append(record)
        if self._writer is None and (self._events or self._records):
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
            events, self._events = self._events, {}
            records, self._records = self._records, []
            if not events and not records:
                return
            try:
                async with self.store.transaction() as tx:
                    if self.logs is not None and events:
                        batches = [StreamEvents(*key, batch) for key, batch in events.items()]
                        await self.logs.put_many(batches, tx)
                    if self.meter is not None and records:
                        await self.meter.record_many(records, tx)
            except Exception:
                # The store refused (disk full, closed): these logs and records are lost; say so.
                count = sum(len(batch) for batch in events.values())
                log.exception("storing %d log events and %d billing records failed", count, len(records))

    async def flush(self) -> None:
        """Write everything buffered so far now, and wait until it is stored."""
        if self._writer is not None:
            # Still waiting out its delay (a write in progress holds the lock, not this slot): its items
            # are written here instead.
            self._writer.cancel()
            self._writer = None
        await self._write()
