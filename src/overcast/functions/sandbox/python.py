"""The Python instance: a sandboxed process running the Python runtime loop, over the lean channel.

Invocations travel as frames on a Unix socketpair (no HTTP). Failures are reported as AWS does
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html): a timeout kills the
instance ("Sandbox.Timedout"), an OOM kill reports "Runtime.OutOfMemory", any other death
"Runtime.ExitError"; each loses the instance.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
import os
import select
import time
from typing import Any

from overcast.functions.instances import InstanceSpec, Invocation, InvocationResult, LogLine
from overcast.functions.runtime.python import frames
from overcast.functions.runtime.python.logbudget import LogBudget, PipeLines
from overcast.functions.sandbox.processes import SandboxedProcess, describe_exit

MB = 1024 * 1024
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib
INIT_LIMIT_S = 10.0
# Errors the platform (not the runtime) reports: the message names the request.
_PLATFORM_ERRORS = ("Runtime.ExitError", "Runtime.OutOfMemory", "Sandbox.Timedout")
# How long the server polls an instance's channel for the answer before it waits on the event loop,
# while that invocation is the only one in flight. A server with nothing else to do goes idle, and
# where the CPU then halts (a VM without guest halt polling, as the one Overcast is benchmarked on:
# guest_halt_poll_ns 0), the instance's answer has to wake it: ~50 us of the instance hop's ~120 us,
# against ~20 us when the server was still polling. Only while invocations come one at a time
# (the last CALM_AFTER started with none other in flight): under concurrent load the server has
# other work, and polling whenever a single invocation happened to be in flight cost throughput.
SPIN_S = 120e-6
READ_SIZE = 256 * 1024
CALM_AFTER = 8
PIPE_CHUNK = 64 * 1024


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


Frame = tuple[dict[str, Any], bytes]


class Channel(asyncio.Protocol):
    """Overcast's end of the lean channel: frames parsed as they arrive, handed to one reader at a time.

    A protocol, not a StreamReader: a warm invoke on streams cost three readexactly awaits and a
    task-cancelling asyncio.timeout, ~60 us of the server's CPU per invoke here, more than the
    rest of the instance round trip. A read's deadline is a timer that fails the waiting future."""

    def __init__(self, max_header: int = 1 << 30, max_body: int = 1 << 30) -> None:
        self.max_header = max_header  # a longer frame header breaks the protocol: the channel closes
        # A longer body (a response past what Invoke may return) is read into nothing: its frame arrives
        # with an empty body and its length as header["oversize"], so memory never holds it.
        self.max_body = max_body
        self._skip = 0  # bytes of an oversize body still to read into nothing
        self._skipped: dict[str, Any] | None = None  # the header of that frame
        self.transport: asyncio.WriteTransport | None = None
        self._buffer = bytearray()
        self._frames: collections.deque[Frame] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop
        self._poll: select.poll | None = None
        self._fd = -1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.WriteTransport subclass
        self._loop = asyncio.get_running_loop()  # once: each call costs a getpid() system call
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._fd = sock.fileno()
            self._poll = select.poll()
            self._poll.register(self._fd, select.POLLIN)

    def data_received(self, data: bytes) -> None:
        if self._skip:
            data = self._skip_body(data)
        buffer = self._buffer
        buffer += data
        while len(buffer) >= frames.PREFIX.size:
            head_len, body_len = frames.PREFIX.unpack_from(buffer)
            if head_len > self.max_header:  # more log than the budget lets through: not our runtime speaking
                buffer.clear()
                self._closed = True
                self._wake(ConnectionError("the instance broke the channel's protocol"))
                self.close()
                return
            head_end = frames.PREFIX.size + head_len
            end = head_end + body_len
            if body_len > self.max_body and len(buffer) >= head_end:
                header = frames.decode_header(buffer[frames.PREFIX.size : head_end])
                header["oversize"] = body_len
                self._skipped, self._skip = header, body_len
                rest = bytes(buffer[head_end:])
                buffer.clear()
                buffer += self._skip_body(rest)
                continue
            if len(buffer) < end:
                break
            header = frames.decode_header(buffer[frames.PREFIX.size : head_end])
            self._frames.append((header, bytes(buffer[head_end:end])))
            del buffer[:end]
        if self._frames:
            self._wake(None)

    def _skip_body(self, data: bytes) -> bytes:
        """Read what is left of an oversize body out of `data` into nothing; queue its frame once whole."""
        taken = min(self._skip, len(data))
        self._skip -= taken
        if not self._skip and self._skipped is not None:
            self._frames.append((self._skipped, b""))
            self._skipped = None
            self._wake(None)
        return data[taken:]

    def eof_received(self) -> bool | None:
        self._closed = True
        self._wake(ConnectionError("the instance closed its channel"))
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._wake(ConnectionError("the instance's channel is lost"))

    def _wake(self, error: BaseException | None) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def spin(self, seconds: float) -> bool:
        """Poll the channel (without the event loop) until it has something to read or `seconds` have
        passed: whether it had. What it had is read at once, here: a turn of the event loop fewer
        (the end of the stream, or an error, is left to the event loop's own read)."""
        if self._poll is None or self._closed:
            return False
        until = time.perf_counter() + seconds
        while not self._poll.poll(0):
            if time.perf_counter() >= until:
                return False
        with contextlib.suppress(BlockingIOError, InterruptedError):
            data = os.read(self._fd, READ_SIZE)
            if data:
                self.data_received(data)
        return True

    async def read(self, timeout_s: float, *, spin_s: float = 0.0) -> Frame:
        """The next frame; TimeoutError after `timeout_s`, ConnectionError once the channel is closed.
        `spin_s`: poll for it that long before waiting on the event loop (see SPIN_S)."""
        if not self._frames and spin_s:
            self.spin(spin_s)
        if not self._frames:
            if self._closed:
                raise ConnectionError("the instance's channel is closed")
            loop = self._loop
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout_s, self._expire, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        return self._frames.popleft()

    @staticmethod
    def _expire(waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(TimeoutError())

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class PythonInstance:
    """One initialized (or failed-to-initialize) Python instance. See instances.Instance."""

    # Invocations running on Python instances in this process, and how many in a row started alone
    # (up to CALM_AFTER): see SPIN_S.
    in_flight = 0
    calm = 0

    def __init__(
        self,
        instance_id: str,
        spec: InstanceSpec,
        process: SandboxedProcess,
        log_budget: LogBudget | None = None,
        max_response_bytes: int = 6 * 1024 * 1024,
    ) -> None:
        self.id = instance_id
        self.spec = spec
        self.process = process
        self._busy = False
        # Everything the instance writes, its runtime's frames and its pipes, goes through one budget.
        self._budget = log_budget or LogBudget()
        # A JSON string takes at most 6 bytes per byte of its text (\u00XX): a header past that carries more
        # log than the budget lets the runtime send.
        self._channel = Channel(max_header=6 * self._budget.invocation_bytes + READ_SIZE, max_body=max_response_bytes)
        self._connected = False
        self._init_error: dict[str, Any] | None = None
        self._init_error_type: str | None = None
        self._init_ms: float | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._stopped = False

    async def initialize(self, started: float) -> None:
        """Wait for the runtime's `ready` frame (the handler imported, or not)."""
        self._pumps = [asyncio.create_task(self._pump(s)) for s in (self.process.stdout, self.process.stderr)]
        # (the init frame's lines join the first invocation's log)
        self.process.channel.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.create_unix_connection(lambda: self._channel, sock=self.process.channel)
        self._connected = True
        try:
            header, _body = await self._channel.read(max(INIT_LIMIT_S, self.spec.timeout_s))
        except (TimeoutError, ConnectionError) as exc:
            await self._lost_at_init(exc)
            return
        self._init_ms = (time.monotonic() - started) * 1000
        self._budget_frame(header)
        self.process.note_peak(int(header.get("maxrss", 0)))
        if header.get("op") == "failed":
            self._init_error = {"errorMessage": header.get("message", ""), "errorType": "Runtime.ExitError"}
            self._init_error_type = "Runtime.ExitError"
        elif header.get("error"):
            self._init_error = header["error"]
            self._init_error_type = header["error"].get("errorType") or "Runtime.Unknown"

    async def _lost_at_init(self, exc: BaseException) -> None:
        self._init_ms = None
        if isinstance(exc, asyncio.TimeoutError):
            await self.process.kill()
            message = f"Init timed out after {max(INIT_LIMIT_S, self.spec.timeout_s):.2f} seconds"
            self._init_error, self._init_error_type = (
                {"errorType": "Sandbox.Timedout", "errorMessage": message},
                "Sandbox.Timedout",
            )
            return
        code = await self._exit_code()
        kind = "Runtime.OutOfMemory" if self.process.oom_killed() else "Runtime.ExitError"
        self._init_error = {"errorType": kind, "errorMessage": f"Runtime exited with error: {describe_exit(code)}"}
        self._init_error_type = kind

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        """Output written straight to fd 1/2 (child processes, C code) joins the log as it comes, in chunks:
        the budget holds no more than a log event of a line in progress."""
        pipe = PipeLines(self._budget)
        with contextlib.suppress(Exception):
            while chunk := await stream.read(PIPE_CHUNK):
                pipe.feed(chunk, _now_ms())
        pipe.close(_now_ms())

    def _budget_frame(self, header: dict[str, Any]) -> None:
        """The lines a runtime frame carries into the budget, and those the runtime's own budget dropped."""
        budget = self._budget
        for ts, msg in header.get("log") or ():
            budget.add(int(ts), str(msg))
        dropped = header.get("dropped")
        if dropped:
            budget.drop(int(dropped[0]), int(dropped[1]))

    async def _exit_code(self) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            await self.process.kill()
            return await self.process.wait()

    def _take_log(self) -> tuple[tuple[LogLine, ...], int, int]:
        """The invocation's log lines in time order, and the lines dropped and their bytes."""
        lines, dropped_lines, dropped_bytes = self._budget.take()
        log = [LogLine(ts, message) for ts, message in lines]
        log.sort(key=lambda line: line.timestamp_ms)
        return tuple(log), dropped_lines, dropped_bytes

    def max_memory_mb(self) -> int:
        return math.ceil(self.process.max_memory_bytes() / MB)

    def freeze(self) -> None:
        self.process.freeze()

    def thaw(self) -> None:
        self.process.thaw()

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        # The pool hands an instance to one invocation at a time; a second one at once is a bug.
        if self._busy:
            raise RuntimeError(f"instance {self.id} is already running an invocation")
        self._busy = True
        PythonInstance.calm = 0 if PythonInstance.in_flight else min(PythonInstance.calm + 1, CALM_AFTER)
        PythonInstance.in_flight += 1
        try:
            init_ms, self._init_ms = self._init_ms, None
            if self._init_error is not None or self._stopped:
                return await self._init_failure(invocation, init_ms)
            started = time.monotonic()
            frame = frames.encode_invoke(
                invocation.request_id,
                invocation.deadline_ms,
                invocation.invoked_function_arn,
                invocation.trace_id,
                invocation.client_context,
                invocation.cognito_identity,
                invocation.payload,
            )
            remaining = max(0.0, invocation.deadline_ms / 1000 - time.time())
            try:
                self._channel.write(frame)
                alone = PythonInstance.in_flight == 1 and PythonInstance.calm == CALM_AFTER
                spin = SPIN_S if alone else 0.0
                reply, body = await self._channel.read(remaining, spin_s=spin)
            except TimeoutError:
                return await self._timed_out(invocation, started, init_ms)
            except ConnectionError:
                return await self._died(invocation, started, init_ms)
            duration = (time.monotonic() - started) * 1000
            self.process.note_peak(reply["maxrss"])
            # Output written straight to fd 1/2 (C code, child processes) joins the log when its pipe is
            # read: with this invocation if it came in first, else with the next one (no extra loop turn
            # per invoke to wait for it).
            if reply["log"] or "dropped" in reply:
                self._budget_frame(reply)
            budget = self._budget
            log, dropped_lines, dropped_bytes = self._take_log() if budget.lines or budget.dropped_lines else ((), 0, 0)
            error_type = reply["error_type"]
            return InvocationResult(
                body,  # empty when the response was over the bound: `oversize` says how long it was
                "Unhandled" if error_type else None,
                error_type,
                duration,
                None,  # Max Memory Used: read when the outbox hands the REPORT line over, off the response's path
                init_ms,
                log,
                dropped_log_lines=dropped_lines,
                dropped_log_bytes=dropped_bytes,
                oversize=reply.get("oversize", 0),
            )
        finally:
            self._busy = False
            PythonInstance.in_flight -= 1

    async def _init_failure(self, invocation: Invocation, init_ms: float | None) -> InvocationResult:
        document = dict(self._init_error or {"errorType": "Runtime.ExitError", "errorMessage": "instance stopped"})
        error_type = document.get("errorType") or self._init_error_type
        if error_type in _PLATFORM_ERRORS:
            document["errorMessage"] = f"RequestId: {invocation.request_id} Error: {document['errorMessage']}"
        await self.process.kill()
        log, dropped_lines, dropped_bytes = self._take_log()
        await self.stop()
        return InvocationResult(
            payload=json.dumps(document).encode(),
            function_error="Unhandled",
            error_type=error_type,
            duration_ms=0.0,
            max_memory_used_mb=self.max_memory_mb(),
            init_duration_ms=init_ms,
            log=log,
            instance_lost=True,
            dropped_log_lines=dropped_lines,
            dropped_log_bytes=dropped_bytes,
        )

    async def _timed_out(self, invocation: Invocation, started: float, init_ms: float | None) -> InvocationResult:
        await self.process.kill()
        duration = (time.monotonic() - started) * 1000
        seconds = f"{self.spec.timeout_s:.2f}"
        # The Invoke response and the log line of a timed-out invocation, as the Lambda service words them.
        document = {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {invocation.request_id} Error: Task timed out after {seconds} seconds",
        }
        now = _now_ms()
        self._budget.note(now, f"{_iso(now)} {invocation.request_id} Task timed out after {seconds} seconds")
        return await self._lost(document, duration, init_ms)

    async def _died(self, invocation: Invocation, started: float, init_ms: float | None) -> InvocationResult:
        code = await self._exit_code()
        duration = (time.monotonic() - started) * 1000
        kind = "Runtime.OutOfMemory" if self.process.oom_killed() else "Runtime.ExitError"
        message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: {describe_exit(code)}"
        self._budget.note(_now_ms(), f"{message}\n{kind}")
        return await self._lost({"errorType": kind, "errorMessage": message}, duration, init_ms)

    async def _lost(self, document: dict[str, Any], duration: float, init_ms: float | None) -> InvocationResult:
        memory = self.max_memory_mb()
        await asyncio.sleep(0)
        log, dropped_lines, dropped_bytes = self._take_log()
        await self.stop()
        return InvocationResult(
            payload=json.dumps(document).encode(),
            function_error="Unhandled",
            error_type=document["errorType"],
            duration_ms=duration,
            max_memory_used_mb=memory,
            init_duration_ms=init_ms,
            log=log,
            instance_lost=True,
            dropped_log_lines=dropped_lines,
            dropped_log_bytes=dropped_bytes,
        )

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._connected:
            with contextlib.suppress(Exception):
                self._channel.close()
        await self.process.release()
        for pump in self._pumps:
            pump.cancel()
