"""Instances: the contract between the invoke service and the sandboxes that run function code.

The invoke service (functions/invoke.py, functions/pool.py) decides *which* instance runs an
invocation; a `Sandboxes` implementation (functions/sandbox/) starts instances and runs code in
them. An instance is one process tree, in its own sandbox, that runs one invocation at a time,
as in AWS Lambda (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from overcast.host import Isolation


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """Everything a sandbox needs to start an instance of one function version."""

    account_id: str
    region: str
    function_name: str
    function_arn: str  # unqualified
    version: str  # "$LATEST" or a published version number
    runtime: str  # e.g. "python3.12", "nodejs20.x", "provided.al2023"
    handler: str
    memory_mb: int
    timeout_s: int
    code_dir: Path  # the extracted deployment package (or a hot-reload directory), mounted read-only
    code_sha256: str  # identifies the code, e.g. to key a zygote
    log_group: str  # "/aws/lambda/<name>"
    log_stream: str  # "2026/11/26/[$LATEST]<32 hex>", one per instance
    ephemeral_storage_mb: int = 512
    environment: Mapping[str, str] = field(default_factory=dict)  # the function's own variables
    layer_dirs: tuple[Path, ...] = ()  # extracted layers, in the function's order, merged under /opt
    architecture: str = "x86_64"
    log_format: str = "Text"  # LoggingConfig's: "Text" or "JSON"
    log_level: str | None = None  # its ApplicationLogLevel (set with JSON only)


@dataclass(frozen=True, slots=True)
class Invocation:
    request_id: str
    payload: bytes
    deadline_ms: int  # epoch milliseconds at which the invocation times out
    invoked_function_arn: str  # as the caller named it (qualified when a qualifier was used)
    trace_id: str | None = None  # X-Amzn-Trace-Id header value, becomes _X_AMZN_TRACE_ID
    client_context: str | None = None  # base64 JSON, as in the Invoke API's X-Amz-Client-Context
    cognito_identity: str | None = None  # JSON
    # Where a streamed response goes as the runtime sends it (InvokeWithResponseStream, RESPONSE_STREAM
    # function URLs); None: the response is returned whole, streamed or not.
    stream: ResponseSink | None = None


class ResponseSink(Protocol):
    """Takes a response the runtime streams: the version that runs, its content type when it starts
    streaming, then each chunk as it arrives. `write` answers False when the runtime should be paused
    until the sink calls what `when_drained` was given (functions/streams.py)."""

    def running(self, executed_version: str) -> None: ...
    def begin(self, content_type: str) -> None: ...
    def write(self, chunk: bytes) -> bool: ...
    def when_drained(self, resume: Callable[[], None]) -> None: ...


@dataclass(frozen=True, slots=True)
class LogLine:
    timestamp_ms: int
    message: str  # one line as the function wrote it, without the trailing newline


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """What one invocation produced. A function error is a result, not an exception."""

    payload: bytes  # the response, or AWS's error document {"errorMessage", "errorType", ...}
    function_error: str | None  # None, or "Unhandled" (the X-Amz-Function-Error header's value)
    error_type: str | None  # e.g. "Runtime.ImportModuleError", "Sandbox.Timedout", "Runtime.OutOfMemory"
    duration_ms: float  # handler time only, as REPORT's Duration
    # the instance's peak so far, as REPORT's Max Memory Used; None: ask `Instance.max_memory_mb()` later
    max_memory_used_mb: int | None
    init_duration_ms: float | None = None  # set on the first invocation of a fresh instance
    log: tuple[LogLine, ...] = ()  # what the instance wrote for this invocation (plus init, when cold)
    instance_lost: bool = False  # the instance died or was killed (timeout, OOM, crash): not reusable
    # Lines past the invocation's log ceiling, and their bytes (functions/runtime/python/logbudget.py)
    dropped_log_lines: int = 0
    dropped_log_bytes: int = 0
    oversize: int = 0  # the length of a response too long to be held, which `payload` then leaves out


class Instance(Protocol):
    id: str
    spec: InstanceSpec

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        """Run one invocation. Never raises for function failures; see InvocationResult. Returns by the
        invocation's deadline: past it, the instance kills itself and reports "Sandbox.Timedout"."""

    def max_memory_mb(self) -> int:
        """The instance's peak memory so far, in whole MB (the last one measured once it is stopped)."""

    def freeze(self) -> None:
        """Stop every process of the instance while it is idle, so that no code runs between invocations,
        as AWS freezes the execution environment (lambda-runtime-environment.html). Cheap (the pool calls
        it on the invoke path) and asynchronous: the kernel finishes freezing after it returns."""

    def thaw(self) -> None:
        """Undo `freeze`, before the next invocation is handed over. A no-op on an instance not frozen."""

    async def stop(self) -> None:
        """Kill the instance's whole process tree and release its sandbox. Idempotent."""


class Sandboxes(Protocol):
    """Starts instances. One per Overcast process, built by server.py from Settings."""

    isolation: Isolation

    async def start(self, spec: InstanceSpec) -> Instance:
        """A new, initialized instance (cold start). An init failure (import error, crashing
        bootstrap) does not raise: the instance reports it on its first invoke, as AWS does."""

    async def close(self) -> None:
        """Stop every instance this factory started."""
