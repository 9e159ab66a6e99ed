"""Custom-runtime instances: provided.* and nodejs* functions, whose runtime process speaks the Runtime API.

`start_custom_instance` starts a RuntimeApi for the instance, spawns the runtime in a sandbox
(`bootstrap` from the code or a layer for provided.*, the host's node with Overcast's runtime
client for nodejs*) with the environment AWS gives it, and waits for its first /next (Init Duration)
or its failure. AWS's behaviour on failures (https://docs.aws.amazon.com/lambda/latest/dg/
lambda-runtime-environment.html, https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html):
an init failure is reported on the first invoke; a timeout kills the instance; a runtime that exits
fails the invocation with Runtime.ExitError (Runtime.OutOfMemory when the kernel killed it for memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import json
import math
import os
import shutil
import signal
import socket
import uuid
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from overcast.clock import Clock, SystemClock
from overcast.functions.instances import Instance, InstanceSpec, Invocation, InvocationResult, LogLine
from overcast.functions.runtime.api import MAX_RESPONSE_BYTES, InitOutcome, Reply, RuntimeApi, RuntimeExited
from overcast.functions.runtime.python.logbudget import LogBudget, PipeLines

T = TypeVar("T")

NODE_BOOTSTRAP = Path(__file__).resolve().parent / "node" / "bootstrap.cjs"
TASK_ROOT = "/var/task"
OPT = "/opt"
RUNTIME_DIR = "/var/runtime"
# The init phase's limit; a runtime still initializing after it goes on within the first invoke.
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib
INIT_TIMEOUT_S = 10.0
PIPE_CHUNK = 64 * 1024
_MIB = 1024 * 1024

# Go's names for signals: AWS's runtime supervisor reports "signal: killed" and the like.
_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
    signal.SIGPIPE: "broken pipe",
    signal.SIGQUIT: "quit",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
}


class Process(Protocol):
    """What `spawn` gives back (functions/sandbox/processes.py SandboxedProcess)."""

    pid: int
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader

    async def wait(self) -> int: ...
    async def kill(self) -> None: ...
    def max_memory_bytes(self) -> int: ...
    def oom_killed(self) -> bool: ...
    def freeze(self) -> None: ...
    def thaw(self) -> None: ...
    def take_listener(self, name: str) -> socket.socket | None: ...


class Spawner(Protocol):
    """The part of LocalSandboxes a custom runtime needs."""

    async def spawn(
        self, spec: InstanceSpec, argv: list[str], env: dict[str, str], cwd: Path, *, reveal: Sequence[Path] = ()
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class InitFailure:
    """Why an instance could not initialize; reported on its first invoke."""

    error_type: str
    message: str = ""  # AWS's text after "RequestId: <id> Error: " (synthesized failures)
    payload: bytes | None = None  # the runtime's own /init/error document, returned as it posted it


@functools.cache
def node_binary() -> str | None:
    """The host's node, resolved once to an absolute path."""
    found = shutil.which("node") or ("/usr/bin/node" if os.access("/usr/bin/node", os.X_OK) else None)
    return os.path.realpath(found) if found else None


def exit_status(code: int) -> str:
    """A return code as Go's os.ProcessState prints it, the way AWS words Runtime.ExitError."""
    if code >= 0:
        return f"exit status {code}"
    try:
        number = signal.Signals(-code)
    except ValueError:
        return f"signal: signal {-code}"
    return "signal: " + _SIGNAL_NAMES.get(number, number.name.lower())


def _iso(epoch_s: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_s, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _error_document(message: str, error_type: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


@dataclass(frozen=True, slots=True)
class Launch:
    """How to start the runtime process, as seen inside the sandbox."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    reveal: tuple[Path, ...] = ()


def launch(
    spec: InstanceSpec,
    runtime_api: str,
    *,
    confined: bool,
    network: Mapping[str, str] | None = None,
    runtime_dir: str | None = None,
) -> Launch | InitFailure:
    """The runtime's command line and AWS's environment for it, or why it cannot start. `network`:
    the variables of where the instance reaches Overcast and the internet (sandbox/network.py).
    `runtime_dir`: where the instance sees the runtime's SDK (sandbox/sdks.py), if not at /var/runtime."""
    task_root = TASK_ROOT if confined else str(spec.code_dir)
    env = _environment(spec, task_root, runtime_api, confined=confined, network=network, runtime_dir=runtime_dir)
    if spec.runtime.startswith("nodejs"):
        node = node_binary()
        if node is None:
            return InitFailure("Runtime.InvalidEntrypoint", "fork/exec /var/lang/bin/node: no such file or directory")
        # As AWS's nodejs bootstrap: the old space sized to the function's memory.
        heap = max(16, int(spec.memory_mb * 0.9))
        argv = [node, "--expose-gc", "--max-http-header-size", "81920", f"--max-old-space-size={heap}"]
        argv.append(str(NODE_BOOTSTRAP))
        wrapper = env.get("AWS_LAMBDA_EXEC_WRAPPER")
        if wrapper:  # https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper
            argv.insert(0, wrapper)
        return Launch(argv, env, Path(task_root), (NODE_BOOTSTRAP.parent,))
    bootstrap = _bootstrap(spec, confined)
    if isinstance(bootstrap, InitFailure):
        return bootstrap
    return Launch([bootstrap], env, Path(task_root))


def _bootstrap(spec: InstanceSpec, confined: bool) -> str | InitFailure:
    """provided.*: /var/task/bootstrap, else /opt/bootstrap from the layers (the last one wins)."""
    candidates: list[tuple[Path, str]] = [(spec.code_dir / "bootstrap", f"{TASK_ROOT}/bootstrap")]
    for layer in reversed(spec.layer_dirs):
        candidates.append((layer / "bootstrap", f"{OPT}/bootstrap"))
    for host_path, seen in candidates:
        if host_path.is_file():
            shown = seen if confined else str(host_path)
            if not host_path.stat().st_mode & 0o111:
                return InitFailure("Runtime.InvalidEntrypoint", f"fork/exec {seen}: permission denied")
            return shown
    return InitFailure(
        "Runtime.InvalidEntrypoint", f"Couldn't find valid bootstrap(s): [{TASK_ROOT}/bootstrap {OPT}/bootstrap]"
    )


def _environment(
    spec: InstanceSpec,
    task_root: str,
    runtime_api: str,
    *,
    confined: bool,
    network: Mapping[str, str] | None,
    runtime_dir: str | None = None,
) -> dict[str, str]:
    """AWS's variables for custom and Node.js runtimes (lambda-runtime-environment defaults).

    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
    """
    from overcast.functions.sandbox.environment import lambda_environment

    env = lambda_environment(spec, task_root=task_root, runtime_api=runtime_api, network=network)
    libraries = f"/lib64:/usr/lib64:{RUNTIME_DIR}:{RUNTIME_DIR}/lib:{task_root}:{task_root}/lib:{OPT}/lib"
    if spec.runtime.startswith("nodejs"):
        runtime = runtime_dir or RUNTIME_DIR
        major = spec.runtime.removeprefix("nodejs").split(".")[0]
        modules = [f"{OPT}/nodejs/node{major}/node_modules", f"{OPT}/nodejs/node_modules"]
        if not confined:  # no /opt mount: the layers' own directories, last layer first
            for layer in reversed(spec.layer_dirs):
                modules += [
                    str(layer / "nodejs" / f"node{major}" / "node_modules"),
                    str(layer / "nodejs" / "node_modules"),
                ]
        defaults = {
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LD_LIBRARY_PATH": "/var/lang/lib:" + libraries,
            # The runtime's AWS SDK for JavaScript is in <runtime dir>/node_modules: after the function's own
            # node_modules (Node looks there first) and the layers', so a packaged SDK wins, as on AWS.
            "NODE_PATH": ":".join([*modules, f"{runtime}/node_modules", runtime, task_root]),
        }
    else:
        env.pop("AWS_EXECUTION_ENV", None)  # AWS sets none for OS-only runtimes
        defaults = {"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LD_LIBRARY_PATH": libraries}
    for name, value in defaults.items():
        if name not in spec.environment:
            env[name] = value
    return env


class CustomInstance:
    """One runtime process and its Runtime API; runs one invocation at a time."""

    def __init__(self, sandboxes: Spawner, spec: InstanceSpec, clock: Clock, reveal: tuple[Path, ...] = ()) -> None:
        self.id = f"{spec.function_name}-{uuid.uuid4().hex[:12]}"
        self.spec = spec
        self._sandboxes = sandboxes
        self._clock = clock
        self._api: RuntimeApi | None = None
        self._process: Process | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._exit_code: asyncio.Future[int] | None = None
        # What the runtime writes to its pipes, and the platform's own lines, in order, within the log budget.
        self._log = LogBudget(*getattr(sandboxes, "log_limits", ()))
        self._failure: InitFailure | None = None
        self._init_ms: float | None = None
        self._initialized = False
        self._stopped = False
        self._reveal = reveal

    # --- lifecycle ---
    async def boot(self) -> None:
        """Start the runtime and wait (up to AWS's init limit) for the end of its init."""
        self._initialized = False
        self._failure = None
        started = self._clock.monotonic()
        api = self._api = RuntimeApi(self._clock, MAX_RESPONSE_BYTES)
        # With a network namespace of its own, the instance's Runtime API is its 127.0.0.1:9001 (served
        # on the listener the sandbox made there, once spawned); else a free port of the host's loopback.
        private: str | None = getattr(self._sandboxes, "private_runtime_api", None)
        if private is None:
            await api.listen()
        notices = getattr(self._sandboxes, "notices", None)
        if callable(notices):
            now = int(self._clock.now() * 1000)
            for line in notices(self.spec):
                self._log.note(now, line)
        locate = getattr(self._sandboxes, "runtime_dir", None)
        plan = launch(
            self.spec,
            private or api.address,
            confined=bool(getattr(self._sandboxes, "confined", False)),
            network=getattr(self._sandboxes, "network_environment", None),
            runtime_dir=locate(self.spec) if callable(locate) else None,
        )
        if isinstance(plan, InitFailure):
            self._fail_init(plan, started)
            return
        process: Process = await self._sandboxes.spawn(
            self.spec, plan.argv, plan.env, plan.cwd, reveal=plan.reveal + self._reveal
        )
        self._process = process
        listener = process.take_listener("runtime") if private is not None else None
        if listener is not None:  # None: the sandbox could not be set up, and the runtime exits at once
            await api.listen(sock=listener)
        self._exit_code = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.ensure_future(self._pump(process.stdout)),
            asyncio.ensure_future(self._pump(process.stderr)),
            asyncio.ensure_future(self._watch(process, api, self._exit_code)),
        ]
        try:
            self._settle(await api.wait_initialized(INIT_TIMEOUT_S), started)
        finally:
            finish_init = getattr(process, "finish_init", None)
            if callable(finish_init):
                finish_init()  # the init phase's CPU burst ends (sandbox/processes.py)

    def _settle(self, outcome: InitOutcome, started: float) -> None:
        if outcome.status == "timeout":
            return  # still initializing: the first invoke waits on, within its own deadline
        if outcome.status == "ready":
            self._initialized = True
            self._init_ms = (outcome.at - started) * 1000.0
        elif outcome.status == "error":
            self._fail_init(InitFailure(outcome.error_type or "Runtime.Unknown", payload=outcome.payload), started)
        else:
            code = self._exit_code.result() if self._exit_code is not None and self._exit_code.done() else -9
            self._fail_init(
                InitFailure(self._exit_error_type(), f"Runtime exited with error: {exit_status(code)}"), started
            )

    def _fail_init(self, failure: InitFailure, started: float) -> None:
        self._failure = failure
        self._init_ms = (self._clock.monotonic() - started) * 1000.0

    async def stop(self) -> None:
        self._stopped = True
        await self._teardown()

    async def _teardown(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            release = getattr(process, "release", None)
            with contextlib.suppress(Exception):
                await (release() if callable(release) else process.kill())
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        api, self._api = self._api, None
        if api is not None:
            await api.close()

    # --- invocations ---
    async def invoke(self, invocation: Invocation) -> InvocationResult:
        started = self._clock.monotonic()
        for _attempt in range(2):
            if not self._stopped and self._failure is None and self._runtime_gone():
                await self._teardown()  # the runtime exited between invocations: a fresh init, as AWS does
                await self.boot()
            api = self._api
            if api is None:
                return self._lost_result(invocation, "Runtime.ExitError", "Runtime exited with error: signal: killed")
            try:
                if not self._initialized and self._failure is None:
                    remaining = invocation.deadline_ms / 1000.0 - self._clock.now()
                    self._settle(await self._within(api.wait_initialized(), remaining), started)
                if self._failure is not None:
                    return await self._init_failed(invocation, started)
                remaining = invocation.deadline_ms / 1000.0 - self._clock.now()
                reply = await self._within(api.invoke(invocation), remaining)
            except TimeoutError:
                return await self._timed_out(invocation, started)
            except RuntimeExited as exited:
                if not exited.delivered and self._initialized:
                    continue  # it died before taking the event (e.g. right after the last one): retry fresh
                return await self._crashed(invocation, started)
            return await self._answered(reply)
        return await self._crashed(invocation, started)

    async def _within(self, awaitable: Awaitable[T], seconds: float) -> T:
        if isinstance(self._clock, SystemClock):
            async with asyncio.timeout(max(0.0, seconds)):
                return await awaitable
        task = asyncio.ensure_future(awaitable)
        timer = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, RuntimeExited):
            await task
        raise TimeoutError

    async def _answered(self, reply: Reply) -> InvocationResult:
        await self._drain()
        return InvocationResult(
            payload=reply.payload,
            function_error="Unhandled" if reply.error_type is not None else None,
            error_type=reply.error_type,
            duration_ms=reply.duration_ms,
            max_memory_used_mb=self.max_memory_mb(),
            init_duration_ms=self._take_init_ms(),
            **self._take_log(),
        )

    async def _init_failed(self, invocation: Invocation, started: float) -> InvocationResult:
        failure = self._failure
        assert failure is not None
        if failure.payload is not None:
            payload = failure.payload
        else:
            text = f"RequestId: {invocation.request_id} Error: {failure.message}"
            payload = _error_document(text, failure.error_type)
            return await self._lose(payload, failure.error_type, started, text, failure.error_type)
        return await self._lose(payload, failure.error_type, started)

    async def _timed_out(self, invocation: Invocation, started: float) -> InvocationResult:
        seconds = f"{self.spec.timeout_s:.2f}"
        line = f"{_iso(self._clock.now())} {invocation.request_id} Task timed out after {seconds} seconds"
        text = f"RequestId: {invocation.request_id} Error: Task timed out after {seconds} seconds"
        return await self._lose(_error_document(text, "Sandbox.Timedout"), "Sandbox.Timedout", started, line)

    async def _crashed(self, invocation: Invocation, started: float) -> InvocationResult:
        code = await self._exit_code if self._exit_code is not None else -9
        error_type = self._exit_error_type()
        text = f"RequestId: {invocation.request_id} Error: Runtime exited with error: {exit_status(code)}"
        return await self._lose(_error_document(text, error_type), error_type, started, text, error_type)

    def _lost_result(self, invocation: Invocation, error_type: str, message: str) -> InvocationResult:
        text = f"RequestId: {invocation.request_id} Error: {message}"
        return InvocationResult(
            _error_document(text, error_type), "Unhandled", error_type, 0.0, self.max_memory_mb(), instance_lost=True
        )

    async def _lose(self, payload: bytes, error_type: str, started: float, *notes: str) -> InvocationResult:
        """End the instance after a failure and report it (AWS's lines last); the pool will not reuse it."""
        process = self._process
        if process is not None:
            with contextlib.suppress(Exception):
                await process.kill()
        pumps = [task for task in self._tasks[:2] if not task.done()]
        if pumps:  # the pipes close once the tree is dead: everything it wrote is in the log then
            await asyncio.wait(pumps, timeout=2.0)
        self._note(*notes)
        memory = self.max_memory_mb()
        log = self._take_log()
        init_ms = self._take_init_ms()
        await self._teardown()
        self._stopped = True
        duration = (self._clock.monotonic() - started) * 1000.0
        return InvocationResult(payload, "Unhandled", error_type, duration, memory, init_ms, instance_lost=True, **log)

    # --- helpers ---
    def _runtime_gone(self) -> bool:
        return self._exit_code is not None and self._exit_code.done()

    def _exit_error_type(self) -> str:
        process = self._process
        return "Runtime.OutOfMemory" if process is not None and process.oom_killed() else "Runtime.ExitError"

    def max_memory_mb(self) -> int:
        process = self._process
        if process is None:
            return 0
        with contextlib.suppress(Exception):
            return math.ceil(process.max_memory_bytes() / _MIB)
        return 0

    def freeze(self) -> None:
        if self._process is not None:
            self._process.freeze()

    def thaw(self) -> None:
        if self._process is not None:
            self._process.thaw()

    def _take_init_ms(self) -> float | None:
        init_ms, self._init_ms = self._init_ms, None
        return init_ms

    def _take_log(self) -> dict[str, Any]:
        """The invocation's log lines and what the budget dropped, as InvocationResult's fields."""
        lines, dropped_lines, dropped_bytes = self._log.take()
        return {
            "log": tuple(LogLine(ts, message) for ts, message in lines),
            "dropped_log_lines": dropped_lines,
            "dropped_log_bytes": dropped_bytes,
        }

    def _note(self, *lines: str) -> None:
        now = int(self._clock.now() * 1000)
        for line in lines:
            self._log.note(now, line)

    async def _drain(self) -> None:
        """Let output the runtime wrote before answering reach the log (it is already in the pipe)."""
        for _ in range(3):
            await asyncio.sleep(0)

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        pipe = PipeLines(self._log)
        while chunk := await stream.read(PIPE_CHUNK):
            pipe.feed(chunk, int(self._clock.now() * 1000))
        pipe.close(int(self._clock.now() * 1000))

    async def _watch(self, process: Process, api: RuntimeApi, exit_code: asyncio.Future[int]) -> None:
        code = await process.wait()
        exit_code.set_result(code)
        api.runtime_exited()


async def start_custom_instance(sandboxes: Spawner, spec: InstanceSpec, *, reveal: Sequence[Path] = ()) -> Instance:
    """A new instance of a provided.* or nodejs* function (cold start); init failures do not raise.

    `reveal`: host directories the runtime must see besides the code and layers (e.g. an
    interpreter a test's bootstrap execs)."""
    clock = getattr(sandboxes, "clock", None) or SystemClock()
    instance = CustomInstance(sandboxes, spec, clock, tuple(reveal))
    try:
        await instance.boot()
    except BaseException:
        await instance.stop()
        raise
    return instance
