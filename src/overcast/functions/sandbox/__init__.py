"""Local sandboxes: start function instances on this host, each in its own kernel sandbox.

`LocalSandboxes` implements `overcast.functions.instances.Sandboxes`. Python runtimes run the
Python instance (functions/sandbox/python.py); other runtimes are started by
`overcast.functions.runtime.custom.start_custom_instance` on top of `spawn`, the primitive that
runs any program inside a sandbox. Where the host cannot enforce limits with cgroups (not root,
no writable cgroups), instances fall back to rlimits and say so in their log and in `isolation`.
Idle instances are frozen (functions/pool.py): by the cgroup freezer, else by SIGSTOP of the
instance's process group; `isolation` says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import platform
import shutil
import sys
import time
import urllib.parse
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from overcast.config import Settings
from overcast.errors import InvalidParameterValue
from overcast.functions.instances import Instance, InstanceSpec
from overcast.functions.runtime.python.logbudget import LogBudget
from overcast.functions.sandbox import seccomp
from overcast.functions.sandbox.cgroups import Cgroup, CgroupLayout
from overcast.functions.sandbox.environment import lambda_environment, python_version
from overcast.functions.sandbox.interpreters import MissingInterpreter, available_python, resolve_python
from overcast.functions.sandbox.mounts import RUNTIME_DIR, TASK_ROOT, mount_plan, real_prefix
from overcast.functions.sandbox.network import RUNTIME_API_PORT, NetworkPlan
from overcast.functions.sandbox.processes import SandboxedProcess, Vessel, claim
from overcast.functions.sandbox.python import PythonInstance
from overcast.functions.sandbox.rlimits import enforced_rlimits, fallback_rlimits
from overcast.functions.sandbox.sdks import RuntimeSdks
from overcast.functions.sandbox.users import function_uid
from overcast.functions.sandbox.zygote import Zygote, ZygoteError, spawn_vessel
from overcast.host import Isolation, detect_isolation

__all__ = ["LocalSandboxes", "MissingInterpreter", "SandboxedProcess", "available_python"]

log = logging.getLogger(__name__)

# AWS Lambda's limit on processes and threads in one execution environment.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
DEFAULT_PIDS_MAX = 1024


class LocalSandboxes:
    """Starts instances on this host. One per Overcast process (server.py builds it)."""

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        *,
        pids_max: int = DEFAULT_PIDS_MAX,
        endpoint_url: str | None = None,
        pool_size: int = 2,
        isolation: Isolation | None = None,
        sdks: RuntimeSdks | None = None,
    ) -> None:
        """`isolation` overrides what the host offers (e.g. a degraded one to force the rlimit
        fallback); by default it is detected. `sdks`: the AWS SDKs the runtimes ship (sandbox/sdks.py);
        by default those `make install` installed."""
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.pids_max = pids_max
        self.endpoint_url = endpoint_url or _endpoint(settings)
        # An instance's log: events of at most this many bytes, at most this many per invocation (logbudget.py)
        self.log_limits = (settings.max_log_event_bytes, settings.max_log_bytes_per_invocation)
        detected = isolation or detect_isolation()
        self.layout: CgroupLayout | None = None
        if detected.enforced:
            try:
                layout = CgroupLayout.detect()
                if layout is not None:
                    layout.prepare()
                    layout.sweep_stale()
                    self.layout = layout
            except OSError as exc:
                log.warning("cgroups unusable (%s); instances fall back to rlimits", exc)
        self._held_freezer: Cgroup | None = None
        if self.layout is not None:
            try:
                self._held_freezer = self.layout.hold_freezer()
            except OSError as exc:
                log.warning("could not hold the v1 freezer on (%s): each freeze and thaw costs more", exc)
        cgroups_ok = self.layout is not None
        machine = platform.machine()
        filtering = detected.seccomp and seccomp.supported(machine)
        self.isolation = Isolation(
            detected.root,
            detected.cgroup_version,
            detected.cgroup_writable and cgroups_ok,
            detected.namespaces,
            filtering,
            freezer=self._freezer(),
            readonly_mounts=detected.readonly_mounts,
            internet=settings.function_internet,
        )
        # Built once, sent in every confinement plan: the instance installs it as its last step.
        self.seccomp = seccomp.program(machine).hex() if filtering else None
        self.confined = self.isolation.confined  # a mount namespace and a uid of its own
        self.namespaces = list(self.isolation.instance_namespaces)  # IPC, PID, network where the host has them
        self.readonly_root = self.isolation.readonly_root
        # Each instance's network namespace (sandbox/network.py): what it listens on, and the variables
        # that say where it reaches Overcast and the internet; without one, Overcast's own endpoint.
        self.network: NetworkPlan | None = None
        self.private_runtime_api: str | None = None  # the Runtime API's address inside, read by custom.py
        self.network_environment: dict[str, str] = {}
        if "net" in self.namespaces:
            self.network = NetworkPlan(_host_and_port(self.endpoint_url), settings.function_internet)
            self.private_runtime_api = f"127.0.0.1:{RUNTIME_API_PORT}"
            self.network_environment = self.network.environment()
        elif self.endpoint_url:
            self.network_environment = {"AWS_ENDPOINT_URL": self.endpoint_url}
        # Weak: an instance the pool has stopped and dropped is gone from here too.
        self._processes: weakref.WeakSet[SandboxedProcess] = weakref.WeakSet()
        self._instances: weakref.WeakSet[Any] = weakref.WeakSet()
        self._ids = itertools.count(1)
        self.pool_size = pool_size
        self.sdks = sdks if sdks is not None else RuntimeSdks.find()
        self._zygotes: dict[Path, Zygote] = {}
        self._zygote_lock = asyncio.Lock()

    # --- the public surface -------------------------------------------------------------------

    def available_python(self, runtime: str) -> Path | None:
        return available_python(runtime)

    def check_runtime(self, runtime: str) -> None:
        """Refuse, at CreateFunction, a runtime this host cannot run, naming what is missing."""
        if runtime.startswith("python3."):
            try:
                resolve_python(runtime, self.settings.nearest_python)
            except MissingInterpreter as exc:
                raise InvalidParameterValue(str(exc)) from None
        elif runtime.startswith("nodejs") and shutil.which("node") is None:
            raise InvalidParameterValue(f"Runtime {runtime} needs Node.js, and this Overcast host has no `node`.")
        elif not runtime.startswith(("python3.", "nodejs", "provided")):
            raise InvalidParameterValue(
                f"Overcast cannot run the {runtime} runtime yet: use a python3.x, nodejs or provided runtime."
            )

    async def start(self, spec: InstanceSpec) -> Instance:
        if python_version(spec.runtime) is not None:
            return await self._start_python(spec)
        if spec.runtime.startswith(("nodejs", "provided")):
            from overcast.functions.runtime.custom import start_custom_instance  # type: ignore[import-not-found,unused-ignore]

            instance: Instance = await start_custom_instance(self, spec)
            self._instances.add(instance)
            return instance
        raise MissingInterpreter(f"Runtime {spec.runtime} is not supported by this Overcast host")

    async def spawn(
        self,
        spec: InstanceSpec,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        *,
        reveal: Sequence[Path] = (),
    ) -> SandboxedProcess:
        """Run `argv` (absolute path, as seen inside the sandbox) in a new sandbox for `spec`.

        The program sees the code at /var/task, layers at /opt, a private /tmp, and runs as the
        function's uid within its cgroup. `reveal` keeps host directories (e.g. an interpreter's
        prefix under a home directory) visible and readable."""
        vessel = await self._vessel(available_python(_host_runtime()) or Path(os.path.realpath(sys.executable)))
        setup = {
            "op": "exec",
            "argv": list(argv),
            "environment": dict(env),
            "confine": self._confinement(spec, cwd, reveal),
        }
        return await self._claim(vessel, spec, setup)

    async def close(self) -> None:
        for instance in list(self._instances):
            with contextlib.suppress(Exception):
                await instance.stop()
        for process in list(self._processes):
            with contextlib.suppress(Exception):
                await process.release()
        self._instances.clear()
        self._processes.clear()
        zygotes, self._zygotes = list(self._zygotes.values()), {}
        for zygote in zygotes:
            await zygote.close()
        held, self._held_freezer = self._held_freezer, None
        if held is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(held.remove, False)

    def notices(self, spec: InstanceSpec) -> list[str]:
        """Lines every instance of `spec` writes to its log at init about how it is isolated."""
        if self.layout is not None and self.confined:
            return []
        return [
            f"Overcast: limits are not kernel-enforced on this host ({self.isolation.describe()}): "
            f"memory is bounded by RLIMIT_DATA, processes by RLIMIT_NPROC, CPU share is not enforced"
        ]

    # --- internals ------------------------------------------------------------------------------

    def _freezer(self) -> str:
        """How idle instances are frozen here (see SandboxedProcess.freeze): the cgroup freezer, else
        SIGSTOP/SIGCONT of the instance's process group, which a process that leaves it escapes."""
        if self.layout is not None and self.layout.freezes:
            return f"the cgroup v{self.layout.version} freezer"
        return "SIGSTOP of each instance's process group (no cgroup freezer: a process that leaves the group runs on)"

    def task_root(self, spec: InstanceSpec) -> str:
        """Where the code is, as the instance sees it: /var/task, or the code dir without a mount namespace."""
        return str(TASK_ROOT) if self.confined else str(spec.code_dir)

    def runtime_dir(self, spec: InstanceSpec) -> str | None:
        """Where the runtime's SDK is, as the instance sees it: /var/runtime, or the host's directory without
        a mount namespace (None: this host has none for the runtime)."""
        sdk = self.sdks.directory(spec.runtime)
        if sdk is None:
            return None
        return str(RUNTIME_DIR) if self.confined else str(sdk)

    def _confinement(self, spec: InstanceSpec, cwd: Path, reveal: Sequence[Path] = ()) -> dict[str, Any]:
        plan: dict[str, Any] = {"cwd": str(cwd)}
        if self.confined:
            plan["mounts"] = mount_plan(
                spec.code_dir,
                spec.layer_dirs,
                spec.ephemeral_storage_mb,
                (self.data_dir.resolve(), *self._masked_run(reveal)),
                tuple(reveal),
                readonly_root=self.readonly_root,
                pid_namespace="pid" in self.namespaces,
                runtime_dir=self.sdks.directory(spec.runtime),
            )
            plan["namespaces"] = self.namespaces
            uid = function_uid(spec.account_id, spec.region, spec.function_name)
            plan["uid"], plan["gid"] = uid, uid
        if self.seccomp is not None:
            plan["seccomp"] = self.seccomp
        if self.layout is not None:
            plan["rlimits"] = enforced_rlimits()
        else:
            plan["rlimits"] = fallback_rlimits(spec.memory_mb, self.pids_max, own_uid=self.confined)
        return plan

    def _masked_run(self, reveal: Sequence[Path]) -> tuple[Path, ...]:
        """/run, masked where the instance has its own network: the host's services keep their Unix
        sockets there (the D-Bus system bus, PostgreSQL's, often world-connectable), and a read-only
        mount does not stop a connect(2). Without a network namespace it stays, for /etc/resolv.conf."""
        run = Path("/run")
        if "net" not in self.namespaces or run.is_symlink() or not run.is_dir():
            return ()
        if any(run in Path(os.path.realpath(path)).parents for path in (*reveal, Path("/dev/shm"))):
            return ()  # what the instance must see is there (an old host's /dev/shm -> /run/shm)
        return (run,)

    def describe_zygotes(self) -> dict[str, str]:
        """Each zygote's interpreter and whether it runs, as `overcast status` shows them."""
        return {str(path): f"running (pid {z.pid})" if z.alive else "stopped" for path, z in self._zygotes.items()}

    async def warm(self, runtimes: Sequence[str] = ()) -> None:
        """Start the zygotes (and their pools) for these runtimes now, not at the first cold start."""
        for runtime in runtimes or [_host_runtime()]:
            interpreter = available_python(runtime)
            if interpreter is not None:
                await self._zygote(interpreter)

    async def _zygote(self, interpreter: Path) -> Zygote:
        async with self._zygote_lock:
            zygote = self._zygotes.get(interpreter)
            if zygote is None or not zygote.alive:
                zygote = Zygote(interpreter, self.layout, self.pool_size, tuple(self.namespaces), self.network)
                await zygote.start()
                self._zygotes[interpreter] = zygote
            return zygote

    async def _vessel(self, interpreter: Path) -> Vessel:
        """A process waiting in its own fresh cgroup: forked from the warm zygote when possible."""
        try:
            zygote = await self._zygote(interpreter)
            return await zygote.take()
        except ZygoteError as exc:
            log.warning("zygote unavailable (%s); starting a fresh interpreter", exc)
            return await spawn_vessel(interpreter, self.layout, tuple(self.namespaces), self.network)

    async def _claim(self, vessel: Vessel, spec: InstanceSpec, setup: dict[str, Any]) -> SandboxedProcess:
        """Set the vessel's cgroup limits to the function's, then hand it its setup. The limits are a
        few writes to the cgroup filesystem (~0.1 ms), made on the event loop: a hop to a thread
        cost 0.3-3 ms of the cold start. Its init phase runs on at least a full vCPU, as an on-demand
        function's does on AWS ("a full vCPU (non-throttled) but limited to 10 seconds during its
        initialization phase", https://serverlessland.com/content/service/lambda/guides/
        effectively-running-java-on-serverless/init-heavy-lifting); `end_init` gives it its share."""
        try:
            cgroup, settings = vessel.cgroup, self.settings
            if cgroup is not None:
                cgroup.set_limits(
                    spec.memory_mb, settings.mb_per_cpu, self.pids_max, settings.cpu_period_us, init_burst=True
                )
            process = await claim(vessel, setup)
            if cgroup is not None:
                process.end_init = lambda: cgroup.set_cpu(spec.memory_mb, settings.mb_per_cpu, settings.cpu_period_us)
        except BaseException:
            vessel.discard()
            if vessel.cgroup is not None:
                await asyncio.to_thread(vessel.cgroup.remove)
            raise
        self._processes.add(process)
        return process

    async def _start_python(self, spec: InstanceSpec) -> Instance:
        started = time.monotonic()
        interpreter, notice = resolve_python(spec.runtime, self.settings.nearest_python)
        vessel = await self._vessel(interpreter)
        task_root = self.task_root(spec)
        version = python_version(spec.runtime) or ""
        sdk = [path] if (path := self.runtime_dir(spec)) else []
        environment = lambda_environment(
            spec, task_root=task_root, runtime_api=f"127.0.0.1:{RUNTIME_API_PORT}", network=self.network_environment
        )
        now = int(time.time() * 1000)
        notices = [[now, line] for line in ([notice] if notice else []) + self.notices(spec)]
        init = {
            "handler": spec.handler,
            "environment": environment,
            # The runtime's boto3 last, as AWS's /var/runtime comes after /var/task and the layers' /opt/python.
            "sys_path": [task_root, "/opt/python", f"/opt/python/lib/python{version}/site-packages", *sdk],
            "notices": notices,
            "ensure_ascii": version not in ("3.9", "3.10", "3.11"),
            "log_limits": list(self.log_limits),
        }
        reveal = (real_prefix(interpreter),)
        setup = {"op": "python", "init": init, "confine": self._confinement(spec, Path(task_root), reveal)}
        process = await self._claim(vessel, spec, setup)
        unserved = process.take_listener("runtime")  # the Python runtime talks over its channel instead
        if unserved is not None:
            unserved.close()
        instance = PythonInstance(
            f"{spec.function_name}-{uuid.uuid4().hex[:12]}",
            spec,
            process,
            LogBudget(*self.log_limits),
            self.settings.max_sync_payload_bytes,
        )
        self._instances.add(instance)
        try:
            await instance.initialize(started)
        finally:
            process.finish_init()
        return instance


def _host_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def _host_and_port(url: str | None) -> tuple[str, int] | None:
    """Where Overcast's endpoint listens on the host, from its URL (None: no endpoint)."""
    if not url:
        return None
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname is None or parsed.port is None:
        return None
    return parsed.hostname, parsed.port


def _endpoint(settings: Settings) -> str | None:
    if not settings.port:
        return None
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"
