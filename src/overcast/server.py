"""The composition root: settings -> data dir lock, bus, store, domain services, edge, HTTP server.

The only module that wires everything together. `serve()` runs Overcast until SIGINT/SIGTERM and
then shuts it down in reverse order: HTTP server, domain services, store, bus (and the embedded
nats-server with it), so nothing is left running.

Starting costs only what is used: the bus (and its nats-server) starts on its first use, the
outbox's writer process with the first invocation, a Python runtime's zygote when a function of
that runtime is created (or at its first cold start), Step Functions and API Gateway with their
first request (Step Functions at start when the data dir holds executions it may have to resume),
the generic AWS dispatcher and botocore with the first AWS request, the HTTP client of HTTP
integrations and JWKS fetches on their first request. `health()` says which of them run.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import gc
import json
import logging
import os
import resource
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import uvicorn
import uvloop

from overcast import __version__, own_paths
from overcast.api.connections import Connections, EdgeLimits
from overcast.api.destinations import ApiDestinations
from overcast.api.edge import Edge
from overcast.api.http_protocol import http_protocol
from overcast.api.local_calls import LocalCalls
from overcast.api.protocols.models import SERVICES
from overcast.api.services import OperationTable, lambda_, logs, sts
from overcast.api.socket_protocol import SocketProtocol
from overcast.apigateway_part import WebSocketsOnFirstUse, build_api_gateway
from overcast.artifacts import Artifacts
from overcast.billing.metering import Meter
from overcast.bus.limits import JetStreamLimits
from overcast.bus.on_demand import OnDemandBus
from overcast.clock import Clock, SystemClock
from overcast.config import Settings
from overcast.discovery import STATE_FILE, read_state, url_for
from overcast.events_part import MappingsOnFirstUse, add_event_parts, no_mappings, resume_event_parts
from overcast.functions.async_dispatch import AsyncDispatch
from overcast.functions.async_queue import STREAM as ASYNC_STREAM
from overcast.functions.async_queue import AsyncQueue
from overcast.functions.code import HotReloadRoots
from overcast.functions.concurrency import Concurrency
from overcast.functions.invoke import InvokeService
from overcast.functions.outbox_process import WriterProcess
from overcast.functions.packages import Packages
from overcast.functions.pool import Pool
from overcast.functions.registry import Registry
from overcast.functions.sandbox import LocalSandboxes
from overcast.observe.logs import LogStore
from overcast.parts import AwsApis, OwnApis, Part, execute_api
from overcast.stacks_part import build_stacks, register_providers
from overcast.store import Store, open_store
from overcast.store.migrations import components
from overcast.templates.providers.base import Providers

if TYPE_CHECKING:
    from overcast.events.mappings.catalog import Mappings
    from overcast.events.queues import Queues
    from overcast.events.topics import Sns
    from overcast.gateway.front_door import Gateway
    from overcast.gateway.websockets import WebSockets
    from overcast.iam import Iam
    from overcast.templates.stacks import Stacks
    from overcast.workflows.engine import Engine as WorkflowEngine

log = logging.getLogger("overcast")

LOCK_FILE = "overcast.lock"


class AlreadyRunning(Exception):
    """Another Overcast owns this data dir."""


class PortInUse(Exception):
    """Another program (perhaps another Overcast) listens on the port; the message names the port."""


def _port_in_use(settings: Settings) -> str:
    owner = read_state(settings.data_dir)  # only read: nothing is created before the port is ours
    if owner.get("url") == url_for(settings.host, settings.port):
        return (
            f"port {settings.port} is in use: Overcast is already running there on data dir {settings.data_dir} "
            f"(pid {owner.get('pid')}). Stop it first, or start this one with another --port."
        )
    url = url_for(settings.host, settings.port)
    return (
        f"port {settings.port} is in use on {settings.host}, by another Overcast or another program (`overcast "
        f"status --endpoint-url {url}` tells which). Stop it, or start Overcast on another port with --port or "
        "OVERCAST_PORT (0 picks a free one)."
    )


@dataclass
class DataDirLock:
    """An exclusive lock on the data dir, held for the life of the server (released by the kernel
    even when the process is killed with -9)."""

    path: Path
    handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the server's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            owner = read_state(self.path.parent)
            where = f" (pid {owner.get('pid')}, {owner.get('url')})" if owner else ""
            raise AlreadyRunning(
                f"Overcast is already running on data dir {self.path.parent}{where}. "
                "Stop it first, or start this one with another --data-dir."
            ) from None
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


@dataclass
class Overcast:
    """A running Overcast: everything `serve` started, in start order."""

    settings: Settings
    url: str  # the edge's base URL, for links Overcast hands out (e.g. code download locations)
    clock: Clock = field(default_factory=SystemClock)
    bus: OnDemandBus | None = None  # started on first use
    store: Store | None = None
    tables: dict[str, OperationTable] = field(default_factory=dict)
    registry: Registry | None = None
    logs: LogStore | None = None  # CloudWatch Logs: Lambda writes its functions' logs here
    meter: Meter | None = None  # every invocation's billable facts
    invoker: InvokeService | None = None  # synchronous Lambda invocation (Invoke API, Step Functions tasks)
    async_dispatch: AsyncDispatch | None = None  # asynchronous invocation: its queue (on the bus) and dispatchers
    outbox_writer: WriterProcess | None = None  # started with the first invocation
    sandboxes: LocalSandboxes | None = None
    edge: Edge | None = None
    connections: Connections | None = None  # the edge's client connections, counted and timed
    gateway: Gateway | None = None  # API Gateway's data plane: execute-api requests (built on first use)
    websockets: WebSockets | None = None  # WebSocket APIs' connections (built with the gateway)
    parts: dict[str, Part] = field(default_factory=dict)  # services built on first use, by botocore name
    workflows: WorkflowEngine | None = None  # Step Functions' engine (built on first use)
    mappings: Mappings | None = None  # event source mappings and their pollers (built on first use)
    mappings_on_first_use: MappingsOnFirstUse = no_mappings
    iam: Iam | None = None  # IAM's roles and policies (built on first use)
    sns: Sns | None = None  # SNS's topics and subscriptions (built on first use)
    queues: Queues | None = None  # SQS (built on first use)
    providers: Providers = field(default_factory=Providers)  # CloudFormation's resource types, by type name
    stacks: Stacks | None = None  # CloudFormation (built on first use); its `transform` is SAM's seam
    closers: list[Callable[[], Any]] = field(default_factory=list)
    background: list[asyncio.Task[None]] = field(default_factory=list)  # start-up work that may finish late
    status: dict[str, Any] = field(default_factory=dict)

    async def health(self) -> dict[str, Any]:
        answered = {*self.tables, *self.parts}  # a part not built yet is built by the service's first request
        services = {name: "available" if name in answered else "disabled" for name in SERVICES}
        return {"services": services, "edition": "overcast", "version": __version__, "overcast": self.running()}

    def running(self) -> dict[str, Any]:
        """What runs now: the start-up facts in `status`, and each part that starts on first need."""
        now = dict(self.status)
        if self.bus is not None:
            now["bus"] = self.bus.describe()
        if self.outbox_writer is not None:
            now["outbox_writer"] = self.outbox_writer.describe()
        if self.sandboxes is not None:
            now["zygotes"] = self.sandboxes.describe_zygotes() or "none (started when a function is created)"
            now["runtimes"] = self.sandboxes.describe_runtimes()
        now["services"] = {name: part.describe() for name, part in self.parts.items()}
        if self.connections is not None:
            now["connections"] = self.connections.describe()
        return now

    async def start_parts(self) -> None:
        """Build every part now rather than on its first use (for what inspects or changes them all)."""
        for part in {id(part): part for part in self.parts.values()}.values():
            await part.ready()

    async def close(self) -> None:
        for task in self.background:
            task.cancel()
        for part in self.parts.values():  # a part still being built stops before what it started is closed
            await part.close()
        for closer in reversed(self.closers):
            with contextlib.suppress(Exception):
                result = closer()
                if asyncio.iscoroutine(result):
                    await result
        self.closers.clear()


async def start(settings: Settings, url: str, clock: Clock | None = None) -> Overcast:
    """Start every component below the HTTP server; on any failure, stop what already started. `clock`: the
    one every component times with (tests pass a FakeClock; by default the system's)."""
    system = Overcast(settings, url, clock or SystemClock())
    try:
        await _compose(system)
    except BaseException:
        await system.close()
        raise
    return system


async def _compose(system: Overcast) -> None:
    settings = system.settings
    bus = system.bus = OnDemandBus(settings.nats_url, settings.nats_dir, JetStreamLimits.of(settings))
    system.closers.append(bus.close)

    store = system.store = await open_store(settings.store_url, settings.sqlite_path)
    system.closers.append(store.close)
    system.status["store"] = {"engine": store.engine}

    system.tables.update(await _services(system, store))
    aws = AwsApis(system.tables, system.parts, system.invoker, settings.default_account, settings.default_region)
    edge = system.edge = aws.edge = Edge(
        aws,
        max_request_bytes=settings.max_request_bytes,
        health=system.health,
        routes=own_paths.routes(system),
        uploads=own_paths.uploads(system),
        invoke_path=aws.invoke if system.invoker is not None else None,
    )
    edge.gateway = execute_api(system.parts["apigateway"], lambda: system.gateway, edge)
    edge.function_urls = _function_urls(system)
    edge.websockets = WebSocketsOnFirstUse(system)
    if "apidomains" in await components(store):  # the edge must know an earlier run's custom domains' hosts
        from overcast.apis.domains import any_domain

        if await any_domain(store):
            await system.parts["apigateway"].ready()


async def _services(system: Overcast, store: Store) -> dict[str, OperationTable]:
    """Build the domain services, in dependency order, and their operation tables."""
    settings, clock = system.settings, system.clock
    system.logs = LogStore(store, clock)
    await system.logs.start()
    system.meter = Meter(store, clock, settings.billing_granularity_ms)
    await system.meter.start()
    registry = system.registry = Registry(
        store,
        clock,
        hot_reload=HotReloadRoots(settings.hot_reload_roots, settings.data_dir),
        artifacts=Artifacts(settings.data_dir / "artifacts"),
    )
    await registry.start()
    invoker = system.invoker = await _lambda(system, store, registry)
    mappings = system.mappings_on_first_use = add_event_parts(system, store, invoker)
    system.parts["stepfunctions"] = Part("Step Functions", lambda: _step_functions(system, store, invoker))
    system.parts["iam"] = Part("IAM", lambda: _iam(system, store))
    system.parts["apigateway"] = system.parts["apigatewayv2"] = Part(
        "API Gateway", lambda: build_api_gateway(system, store, invoker)
    )
    system.parts["cloudformation"] = Part("CloudFormation", lambda: build_stacks(system, store))
    if "stepfunctions" in await components(store):  # an earlier run's executions may be waiting to resume
        await system.parts["stepfunctions"].ready()
    await resume_event_parts(system, store)
    register_providers(system, registry, invoker, _function_url_of(system.url))
    return {
        "lambda": lambda_.operations(
            registry,
            lambda sha: f"{system.url}/_overcast/code/{sha}",
            invoker,
            _function_url_of(system.url),
            mappings,
        ),
        "logs": logs.operations(system.logs),
        "sts": sts.operations(),
    }


def _function_urls(system: Overcast) -> Callable[..., Any] | None:
    """Function URLs' data plane, built at its first request (its modules cost an idle server's start)."""
    registry, invoker = system.registry, system.invoker
    if registry is None or invoker is None:
        return None
    door: Any = None

    async def serve(url_id: str, path: str, scope: Any, receive: Any, send: Any) -> None:
        nonlocal door
        if door is None:
            from overcast.gateway.function_urls import FunctionUrlDoor

            door = FunctionUrlDoor(registry.urls, invoker, system.settings.max_sync_payload_bytes, system.clock)
        await door(url_id, path, scope, receive, send)

    return serve


def _function_url_of(url: str) -> Callable[[str, str], str]:
    """A function URL's address on this server: `http://<id>.lambda-url.<region>.localhost:<port>/`."""
    port = url.rsplit(":", 1)[1].rstrip("/") if url.count(":") > 1 else "80"
    return lambda url_id, region: f"http://{url_id}.lambda-url.{region}.localhost:{port}/"


async def _step_functions(system: Overcast, store: Store, invoker: InvokeService) -> None:
    """The Step Functions engine and its operation table (resuming RUNNING Standard executions)."""
    from overcast.api.services import stepfunctions
    from overcast.workflows import engine as workflows

    calls = LocalCalls(OwnApis(system))
    sfn = system.workflows = await workflows.build(store, system.clock, invoker, system.logs, calls)
    system.closers.append(sfn.executions.close)
    system.tables["stepfunctions"] = stepfunctions.operations(sfn)


async def _iam(system: Overcast, store: Store) -> None:
    """IAM's roles, policies and instance profiles, and its operation table."""
    from overcast import iam
    from overcast.api.services import iam as iam_api

    system.iam = await iam.build(store, system.clock)
    system.tables["iam"] = iam_api.operations(system.iam)


async def _lambda(system: Overcast, store: Store, registry: Registry) -> InvokeService:
    """Function execution: sandboxes, the warm instance pool, concurrency, the invoke service."""
    settings, clock = system.settings, system.clock
    sandboxes = system.sandboxes = LocalSandboxes(settings, settings.data_dir, endpoint_url=system.url)
    system.closers.append(sandboxes.close)
    system.status["isolation"] = sandboxes.isolation.describe()
    system.status["isolation_layers"] = [layer.as_dict() for layer in sandboxes.isolation.layers()]
    warming: set[str] = set()

    def check_runtime(runtime: str, function_name: str) -> None:
        # CreateFunction (or a new runtime) refuses what this host cannot run, and starts that runtime's
        # zygote in the background: the first cold start of the function is then a fork (decision 8),
        # and a server with no Python function runs no zygote.
        sandboxes.check_runtime(runtime, function_name)
        if runtime not in warming:  # other runtimes' instances start from the host interpreter's zygote
            warming.add(runtime)
            warm = sandboxes.warm([runtime] if runtime.startswith("python3.") else [])
            system.background.append(asyncio.create_task(warm))

    registry.runtime_check = check_runtime
    concurrency = Concurrency(store, registry, clock, settings.concurrency_limit)
    system.outbox_writer = WriterProcess(settings.store_url, settings.sqlite_path)
    await concurrency.start()
    invoker = InvokeService(
        registry,
        Pool(sandboxes, clock, settings.idle_seconds, settings.freeze_after_ms / 1000),
        concurrency,
        Packages(registry, settings.data_dir),
        system.logs,
        system.meter,
        clock,
        max_payload_bytes=settings.max_sync_payload_bytes,
        outbox_writer=system.outbox_writer,
    )
    system.closers.append(invoker.close)
    await invoker.start()
    assert system.bus is not None
    # Records and dead letters reach functions through it, queues and topics through their APIs.
    dispatch = system.async_dispatch = AsyncDispatch(AsyncQueue(system.bus), invoker, registry.event_invoke, clock)
    dispatch.destinations.others = ApiDestinations(LocalCalls(OwnApis(system)))
    invoker.events = dispatch
    system.closers.append(dispatch.close)  # (closed before the invoker: closers run in reverse)
    if system.bus.may_hold(ASYNC_STREAM):  # an earlier run's accepted events resume
        system.background.append(asyncio.create_task(_resume(dispatch)))
    return invoker


async def _resume(dispatch: AsyncDispatch) -> None:
    try:
        resumed = await dispatch.resume()
    except Exception:
        log.exception("could not resume the asynchronous invocations queued by an earlier run")
        return
    if resumed:
        log.info("resumed the queued asynchronous invocations of %d function(s)", resumed)


def _edge_limits(settings: Settings) -> EdgeLimits:
    return EdgeLimits(
        head_bytes=settings.max_request_head_bytes,
        headers=settings.max_request_headers,
        head_timeout=settings.request_head_timeout_ms / 1000,
        idle_timeout=settings.idle_connection_timeout_ms / 1000,
        per_client=settings.max_connections_per_client,
    )


def _raise_open_files() -> int:
    """Raise this process's open-file limit to its hard limit, as servers do: each client connection
    is a descriptor, and at the usual soft limit of 1024 a few hundred idle clients refuse the rest.
    (Function instances set their own, AWS's 1024: functions/sandbox/rlimits.py.) Returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        return soft
    return hard


def _bind(settings: Settings) -> socket.socket:
    host, port = settings.host, settings.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it, Nagle + delayed ACK add ~40 ms to every response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        # With SO_REUSEADDR, Linux lets two sockets bind one port while neither listens yet; the second
        # of two racing starts then finds the port busy here.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(_port_in_use(settings)) from None
        raise
    sock.setblocking(False)
    return sock


class _HttpServer(uvicorn.Server):
    """uvicorn, minus its own signal handling: `serve` owns the signals and the shutdown order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run(
    settings: Settings,
    on_ready: Callable[[str], None] | None = None,
    prepare: Callable[[Overcast], None] | None = None,
) -> None:
    """Run `serve` on uvloop (from uvicorn[standard]). The loop is chosen here, not by uvicorn, because
    Overcast owns it: asyncio's own loop cost ~15 % more per warm invoke (select, transports)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(settings, on_ready, prepare))


async def serve(
    settings: Settings,
    on_ready: Callable[[str], None] | None = None,
    prepare: Callable[[Overcast], None] | None = None,
) -> None:
    """Run Overcast until SIGINT or SIGTERM, then shut everything down. `prepare` sees the composed
    system, every part built, before it serves (tests inject faults with it)."""
    started = time.monotonic()
    open_files = _raise_open_files()
    # The port before anything else: on a busy port Overcast stops having created nothing (no data dir,
    # lock, database or process). The socket is held from here on and served as it is, so no other
    # program can take the port between this check and its use.
    sock = _bind(settings)
    lock = DataDirLock(settings.data_dir / LOCK_FILE)
    try:
        lock.acquire()
    except BaseException:
        sock.close()
        raise
    system: Overcast | None = None
    try:
        url = url_for(*sock.getsockname()[:2])
        system = await start(settings, url)
        if prepare is not None:
            await system.start_parts()
            prepare(system)
        system.status["open_files_limit"] = open_files
        connections = system.connections = Connections(_edge_limits(settings))
        config = uvicorn.Config(
            system.edge,  # type: ignore[arg-type]
            # httptools, a response's head and body in one write, heads bounded, connections counted and timed
            http=http_protocol(connections),  # type: ignore[arg-type]
            lifespan="off",
            # WebSocket APIs (gateway/websockets.py): uvicorn's sans-I/O protocol over `websockets` (pinned),
            # with API Gateway's 128 KB message limit (a larger message closes the connection with 1009).
            ws=SocketProtocol,
            ws_max_size=128 * 1024,
            log_level=settings.log_level,
            access_log=False,
            server_header=False,
            date_header=False,
            # No X-Forwarded-For rewriting: the gateway reads the client's own address, and the
            # middleware is one more ASGI layer on every request.
            proxy_headers=False,
        )
        server = _HttpServer(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.005)
        if serving.done():
            serving.result()
        ready = time.monotonic() - started
        data_dir = str(settings.data_dir.resolve())
        system.status.update({"url": url, "pid": os.getpid(), "data_dir": data_dir, "ready_seconds": round(ready, 3)})
        state = {"version": __version__, **system.status}  # facts of the start; health() tells what runs now
        (settings.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2))
        # What startup made (modules, models, services: ~70,000 tracked objects) lives as long as the
        # server. Frozen, the collector no longer walks it: a full collection of it took ~30 ms here,
        # a stall of every request in flight whenever the cyclic collector reached generation 2.
        gc.freeze()
        if on_ready is not None:
            on_ready(url)
        await serving
    finally:
        if system is not None:
            await system.close()
        with contextlib.suppress(OSError):
            (settings.data_dir / STATE_FILE).unlink()
        lock.release()
        sock.close()
