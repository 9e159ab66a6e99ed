"""The outbox's writer process: invocation logs and billing records made and stored outside the server's process.

Making the START/END/REPORT lines and billing records of a warm invoke and storing them cost the
server about as much CPU as the rest of the invoke did, and its GIL (the store's writer thread
holds it while it binds parameters): measured with 8 clients, about a third of the server's
time per request. `WriterProcess` hands each batch to a child interpreter
(`python -m overcast.functions.outbox_process`) instead: one marshal and one pipe write per batch
here, the rest there, on the other CPU. The child runs `StoreWriter` on a store of its own, opened
with `durable=False` (its commits do not wait for the disk; see store.open_store), against the
same database: SQLite (WAL, so the server's reads never wait for it) or PostgreSQL.

Frames both ways are a 4-byte big-endian length and a body. A batch frame's body is
`marshal.dumps(list of outbox.Wire)`; the child answers each batch with one byte, 0 once it is
stored, 1 if storing it failed (the child has logged why, on the stderr it shares with the server).
The child makes statements only in the CPUs' idle time and stores them at a normal priority (see
Priority), in transactions of a bounded size.
The child ends when its stdin closes: when `close` closes it, or when the server dies, so it never
outlives the server. If the child dies, the batch in flight is lost (and logged) and the next
batch starts a new one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import marshal
import os
import signal
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

from overcast.clock import SystemClock
from overcast.functions.outbox import LOG, StoreWriter, Wire
from overcast.observe.logs import LogStore
from overcast.store import open_store

log = logging.getLogger("overcast.functions.outbox")

LENGTH = struct.Struct("!I")
STORED, FAILED = b"\x00", b"\x01"
CLOSE_TIMEOUT_S = 30.0
# A batch this large means the child has fallen behind (seconds of invocations at full speed): it then
# works at a normal priority instead of only in idle time, until it has caught up.
LAGGING_BATCH = 20_000
# Invocations stored per transaction: each holds the database's write lock, which the server's own
# writes wait for, for a few milliseconds at most (~13 us of SQL an invocation).
PER_TRANSACTION = 500
# And characters of function log per transaction, so that invocations that flooded their log (up to
# the ceiling each) are made into statements and stored a few at a time, not all in memory at once.
LOG_PER_TRANSACTION = 4 * 1024 * 1024


class WriterProcess:
    """A `BatchWriter` whose batches are stored by a child process, started when the first batch begins to
    gather (`start`), so that a server that runs no function runs no writer process (~26 MB)."""

    # Each batch costs the server a hand-over and the child a commit, whose page writes the kernel does
    # at full priority, whatever the child's: with 8 clients, warm invoke throughput measured 6,365
    # req/s with a batch every 50 ms and 8,502 with one every 500 ms (p99 1.26 -> 0.52 ms). Half a
    # second is still well inside the seconds Lambda takes to deliver a function's logs to CloudWatch.
    delay_s = 0.5

    def __init__(
        self,
        store_url: str | None,
        sqlite_path: Path,
        *,
        logs: bool = True,
        metered: bool = True,
        lagging_batch: int = LAGGING_BATCH,
    ) -> None:
        self.store_url = store_url
        self.sqlite_path = sqlite_path
        self.logs = logs
        self.metered = metered
        self.lagging_batch = lagging_batch
        self._process: asyncio.subprocess.Process | None = None

    def _arguments(self) -> list[str]:
        arguments = ["-m", "overcast.functions.outbox_process", "--sqlite-path", str(self.sqlite_path),
                     "--lagging-batch", str(self.lagging_batch)]  # fmt: skip
        if self.store_url is not None:
            arguments += ["--store-url", self.store_url]
        if not self.logs:
            arguments.append("--no-logs")
        if not self.metered:
            arguments.append("--no-meter")
        return arguments

    async def start(self) -> None:
        """Start the child; it opens its store while the server goes on."""
        if self._process is None or self._process.returncode is not None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                *self._arguments(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=None,  # the server's: what the child logs appears in the server's log
                close_fds=True,
            )

    def describe(self) -> str:
        """What runs, as `overcast status` and `/_overcast/health` show it."""
        if self._process is None:
            return "not started (starts with the first invocation)"
        if self._process.returncode is not None:
            return f"exited (code {self._process.returncode}; starts again with the next invocation)"
        return f"running (pid {self._process.pid})"

    async def write(self, batch: list[Wire]) -> bool:
        data = marshal.dumps(batch)
        try:
            await self.start()
            process = self._process
            assert process is not None and process.stdin is not None and process.stdout is not None
            process.stdin.write(LENGTH.pack(len(data)) + data)
            await process.stdin.drain()
            answer = await process.stdout.readexactly(1)
        except (OSError, asyncio.IncompleteReadError) as exc:
            code = await self._ended()
            log.error(
                "the outbox's writer process ended (%s, exit code %s): the log events and billing records of "
                "%d invocations are lost; the next batch starts a new writer",
                exc,
                code,
                len(batch),
            )
            return False
        return answer == STORED  # when not, the child has logged why

    async def _ended(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return await process.wait()

    async def close(self) -> None:
        """Let the child finish and end (it stores everything it was sent before stdin closed)."""
        process, self._process = self._process, None
        if process is None or process.stdin is None:
            return
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.error("the outbox's writer process did not end within %.0f s; killed", CLOSE_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


# --- the child ------------------------------------------------------------------------------------


class Priority:
    """The child's CPU priority, on each of its threads (a change reaches only the thread it names; its
    store's writer thread does the SQL work).

    Its work waits without harm, the functions' and the server's does not: it makes statements only in
    the CPUs' idle time (SCHED_IDLE). At a normal priority, even nice 19, its batches held up the warm
    invokes running beside it for 2-4 ms (a woken instance in its own CPU cgroup could not preempt it):
    sequential warm invoke p99 ~1.0-1.3 ms, 0.49-0.78 ms in idle time. But it must not hold the
    database's write lock in idle time: on a busy host it could then keep it for seconds, and the
    server's writes, waiting for it, fail. So each transaction runs at the normal priority. Going back
    up from SCHED_IDLE takes root (CAP_SYS_NICE); without it the child stays at nice 19 throughout."""

    def __init__(self) -> None:
        self.adjustable = hasattr(os, "SCHED_IDLE") and os.geteuid() == 0
        if not self.adjustable:
            with contextlib.suppress(OSError):
                os.nice(19)

    def background(self) -> None:
        self._set(os.SCHED_IDLE if self.adjustable else None)

    def foreground(self) -> None:
        self._set(os.SCHED_OTHER if self.adjustable else None)

    def _set(self, policy: int | None) -> None:
        if policy is None:
            return
        try:
            for tid in [int(t) for t in os.listdir("/proc/self/task")]:
                os.sched_setscheduler(tid, policy, os.sched_param(0))
        except OSError as exc:  # a thread ended meanwhile, or not allowed after all
            log.debug("could not set the outbox writer's priority: %s", exc)


async def _store(writer: StoreWriter, batch: list[Wire], priority: Priority, lagging_batch: int) -> bool:
    """Store a batch, PER_TRANSACTION invocations a transaction; statements made in idle time unless
    the batch shows the child is behind."""
    lagging = len(batch) >= lagging_batch
    stored = True
    for part in _transactions(batch):
        if lagging:
            priority.foreground()
        else:
            priority.background()
        statements, what = writer.statements(part)
        priority.foreground()
        stored = await writer.store_statements(statements, what) and stored
    if not lagging:
        priority.background()  # waiting for the next batch, and making its statements
    return stored


def _transactions(batch: list[Wire]) -> Iterator[list[Wire]]:
    """The batch in parts of at most PER_TRANSACTION invocations and LOG_PER_TRANSACTION characters of log
    (or one invocation, if it alone has more)."""
    part: list[Wire] = []
    size = 0
    for item in batch:
        log_size = sum(len(message) for _, message in item[LOG]) if item[LOG] else 0
        if part and (len(part) >= PER_TRANSACTION or size + log_size > LOG_PER_TRANSACTION):
            yield part
            part, size = [], 0
        part.append(item)
        size += log_size
    if part:
        yield part


async def _serve(store_url: str | None, sqlite_path: Path, logs: bool, metered: bool, lagging_batch: int) -> None:
    priority = Priority()
    store = await open_store(store_url, sqlite_path, durable=False)
    try:
        writer = StoreWriter(store, LogStore(store, SystemClock()) if logs else None, metered)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
        answers = sys.stdout.buffer
        priority.background()
        while True:
            try:
                (length,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
                batch = marshal.loads(await reader.readexactly(length))
            except asyncio.IncompleteReadError:
                return  # stdin closed: the server is done with us
            answers.write(STORED if await _store(writer, batch, priority, lagging_batch) else FAILED)
            answers.flush()
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="overcast.functions.outbox_process")
    parser.add_argument("--sqlite-path", type=Path, required=True)
    parser.add_argument("--store-url")
    parser.add_argument("--no-logs", action="store_true")
    parser.add_argument("--no-meter", action="store_true")
    parser.add_argument("--lagging-batch", type=int, default=LAGGING_BATCH)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:%(name)s (outbox writer %(process)d):%(message)s")
    # Its life is bound to its stdin: a Ctrl-C or a SIGTERM sent to the server's process group ends
    # the server, whose shutdown flushes the outbox through this process and then closes its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    asyncio.run(_serve(args.store_url, args.sqlite_path, not args.no_logs, not args.no_meter, args.lagging_batch))


if __name__ == "__main__":
    main()
