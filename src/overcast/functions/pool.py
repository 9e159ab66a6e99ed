"""The instance pool: warm instances per function version, reused newest-first, reaped when idle, retired on update.

An instance runs one invocation at a time (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
`acquire` hands out an idle instance of exactly that code and configuration (the most recently
used one, which is the warmest) or starts a new one (a cold start); `release` puts it back, or
stops it when it was lost (timeout, crash, out of memory) or retired meanwhile.

Keys hold the code sha and the configuration revision, so an updated $LATEST never runs on an
instance of the old code or settings: the first acquire that sees a newer revision of a version
retires the older instances (idle ones stop at once, busy ones when they finish). A hot-reload
directory keeps its sha (the path's), so its file changes show on the next cold start; force
one with any configuration update (e.g. UpdateFunctionConfiguration with a new Description).

Instances idle for `idle_seconds` of the injected Clock are stopped (scale to zero). Provisioned
instances live in groups of their own, started ahead and never reaped.

An idle instance is frozen (no code of it runs, no CPU is used) `freeze_after_s` after it comes
back, or from the end of its init for a provisioned one, and thawed when it is handed out again, as
AWS freezes an idle execution environment (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
The short delay (5 ms, Settings.freeze_after_ms) is for back-to-back invocations: one handed out again
before it passes is neither frozen nor thawed, and each of those two writes to the cgroup's freezer
costs 15-25 us of the event loop, one of them on the next invocation's path, with a p99 of 70-220 us
and up to 5 ms while other cgroups change. Code the function left running gets those few ms; AWS,
too, freezes an environment only once its invocation (and its extensions) are done.
Stopping one thaws it first (the sandbox's kill does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from overcast.clock import Clock
from overcast.functions.instances import Instance, InstanceSpec, Sandboxes

log = logging.getLogger("overcast.functions.pool")

SpecSource = Callable[[], Awaitable[InstanceSpec]]


@dataclass(frozen=True, slots=True)
class PoolKey:
    """What makes two instances interchangeable: same version, same code, same configuration revision."""

    account: str
    region: str
    function_name: str
    version: str
    code_sha: str
    revision_id: str

    @property
    def version_key(self) -> tuple[str, str, str, str]:
        return (self.account, self.region, self.function_name, self.version)


@dataclass(eq=False, slots=True)
class Lease:
    """An instance handed out for one invocation."""

    instance: Instance
    key: PoolKey
    cold: bool  # started for this invocation
    group: Hashable | None = None  # the provisioned group it belongs to, if any
    idle_since: float = 0.0
    returned: bool = False
    frozen: bool = False  # its freeze was asked for (and is not yet undone by a thaw)
    freezing: asyncio.TimerHandle | None = None  # the freeze due while it is idle


@dataclass(slots=True)
class _Group:
    key: PoolKey
    idle: list[Lease] = field(default_factory=list)
    members: set[str] = field(default_factory=set)


# How long an instance that came back stays unfrozen, in case it is handed out again at once (Settings'
# freeze_after_ms is what `overcast up` passes).
FREEZE_AFTER_S = 0.005


class Pool:
    def __init__(
        self, sandboxes: Sandboxes, clock: Clock, idle_seconds: float, freeze_after_s: float = FREEZE_AFTER_S
    ) -> None:
        self.sandboxes = sandboxes
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.freeze_after_s = freeze_after_s
        self._idle: dict[PoolKey, list[Lease]] = {}
        self._busy: dict[str, Lease] = {}
        self._current: dict[tuple[str, str, str, str], tuple[float, PoolKey]] = {}
        self._retired: set[str] = set()  # busy instances to stop when they come back
        self._groups: dict[Hashable, _Group] = {}
        self._stopping: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    # --- handing out instances ---------------------------------------------------------------------------

    def take_idle(self, key: PoolKey, modified: float = 0.0) -> Lease | None:
        """The most recently used idle instance for `key` (the warmest), thawed, or None. `modified`
        orders revisions of one version: a newer one retires the instances of older ones."""
        self._note_revision(key, modified)
        stack = self._idle.get(key)
        while stack:
            lease = stack.pop()
            if not stack:
                del self._idle[key]
            if self._hand_out(lease):
                return lease
        return None

    async def acquire(self, key: PoolKey, make_spec: SpecSource, modified: float = 0.0) -> Lease:
        """An idle instance for `key` (see take_idle) or a freshly started one."""
        lease = self.take_idle(key, modified)
        if lease is not None:
            return lease
        if self._closed:
            raise RuntimeError("the instance pool is closed")
        instance = await self.sandboxes.start(await make_spec())
        lease = Lease(instance, key, cold=True)
        self._busy[instance.id] = lease
        if self._closed or self._current.get(key.version_key, (0.0, key))[1] != key:
            self._retired.add(instance.id)  # retired while it was starting: use it once, then stop it
        return lease

    def acquire_provisioned(self, group: Hashable) -> Lease | None:
        """An idle instance of a provisioned group, or None when all are busy (or none is ready)."""
        found = self._groups.get(group)
        while found is not None and found.idle:
            lease = found.idle.pop()
            if self._hand_out(lease):
                return lease
            found.members.discard(lease.instance.id)
        return None

    def _hand_out(self, lease: Lease) -> bool:
        """Thaw an idle instance and mark it busy; one that cannot be thawed is stopped (False)."""
        if lease.freezing is not None:
            lease.freezing.cancel()
            lease.freezing = None
        try:
            if lease.frozen:
                lease.frozen = False
                lease.instance.thaw()
        except Exception:
            log.exception("thawing instance %s failed; stopping it", lease.instance.id)
            self._stop(lease)
            return False
        lease.cold = False
        lease.returned = False
        self._busy[lease.instance.id] = lease
        return True

    @staticmethod
    def _freeze_idle(lease: Lease) -> None:
        """Freeze an instance that is still idle. One that cannot be frozen runs on (it still works)."""
        lease.freezing = None
        if not lease.returned:
            return  # handed out again meanwhile
        try:
            lease.instance.freeze()
            lease.frozen = True
        except Exception:
            log.exception("freezing instance %s failed", lease.instance.id)

    def release(self, lease: Lease, lost: bool = False) -> None:
        """Give an instance back after an invocation; a lost or retired one is stopped. Idempotent."""
        if lease.returned:
            return
        lease.returned = True
        instance_id = lease.instance.id
        self._busy.pop(instance_id, None)
        retired = instance_id in self._retired
        self._retired.discard(instance_id)
        group = self._groups.get(lease.group) if lease.group is not None else None
        if lost or retired or self._closed or (lease.group is not None and group is None):
            if group is not None:
                group.members.discard(instance_id)
            self._stop(lease)
            return
        lease.idle_since = self.clock.monotonic()
        if group is not None:
            group.idle.append(lease)
        else:
            self._idle.setdefault(lease.key, []).append(lease)
        # Frozen a moment later (see the module's doc): the caller sends its response first, and one
        # handed out again meanwhile is not frozen at all.
        lease.freezing = asyncio.get_running_loop().call_later(self.freeze_after_s, self._freeze_idle, lease)

    # --- retirement ----------------------------------------------------------------------------------------

    def _note_revision(self, key: PoolKey, modified: float) -> None:
        current = self._current.get(key.version_key)
        if current is None:
            self._current[key.version_key] = (modified, key)
        elif current[1] is not key and current[1] != key and modified >= current[0]:
            self._current[key.version_key] = (modified, key)
            self._retire_where(lambda k: k.version_key == key.version_key and k != key)

    def retire(self, account: str, region: str, function_name: str, version: str | None = None) -> int:
        """Retire the on-demand instances of a function (or one of its versions): after an update or a
        delete. Idle ones stop now, busy ones when they finish. The number retired."""

        def match(k: PoolKey) -> bool:
            return (k.account, k.region, k.function_name) == (account, region, function_name) and version in (
                None,
                k.version,
            )

        for version_key in [vk for vk, (_, k) in self._current.items() if match(k)]:
            del self._current[version_key]
        return self._retire_where(match)

    def _retire_where(self, match: Callable[[PoolKey], bool]) -> int:
        count = 0
        for key in [k for k in self._idle if match(k)]:
            for lease in self._idle.pop(key):
                self._stop(lease)
                count += 1
        for lease in self._busy.values():
            if lease.group is None and match(lease.key):
                self._retired.add(lease.instance.id)
                count += 1
        return count

    # --- provisioned groups --------------------------------------------------------------------------------

    async def provision(self, group: Hashable, key: PoolKey, count: int, make_spec: SpecSource) -> int:
        """Grow or shrink a provisioned group to `count` initialized instances of `key` (a group moved to
        another key is rebuilt). Returns how many instances the group holds."""
        found = self._groups.get(group)
        if found is not None and found.key != key:
            await self.unprovision(group)
            found = None
        if found is None:
            found = self._groups[group] = _Group(key)
        while len(found.members) > count and found.idle:
            lease = found.idle.pop(0)
            found.members.discard(lease.instance.id)
            self._stop(lease)
        missing = count - len(found.members)
        if missing > 0:
            specs = [await make_spec() for _ in range(missing)]
            started = await asyncio.gather(*(self.sandboxes.start(spec) for spec in specs), return_exceptions=True)
            failure: BaseException | None = None
            for instance in started:
                if isinstance(instance, BaseException):
                    failure = instance
                    continue
                lease = Lease(instance, key, cold=False, group=group, idle_since=self.clock.monotonic(), returned=True)
                if self._groups.get(group) is not found:  # unprovisioned meanwhile
                    self._stop(lease)
                    continue
                found.members.add(instance.id)
                self._freeze_idle(lease)
                found.idle.append(lease)
            if failure is not None:
                raise failure
        return len(found.members)

    async def unprovision(self, group: Hashable) -> None:
        found = self._groups.pop(group, None)
        if found is None:
            return
        for lease in found.idle:
            self._stop(lease)
        # Busy members stop when released (their group is gone).

    # --- reaping and stopping ------------------------------------------------------------------------------

    async def reap(self) -> int:
        """Stop on-demand instances idle for at least `idle_seconds`; the number stopped."""
        now = self.clock.monotonic()
        count = 0
        for key in list(self._idle):
            stack = self._idle[key]
            keep = [lease for lease in stack if now - lease.idle_since < self.idle_seconds]
            for lease in stack:
                if now - lease.idle_since >= self.idle_seconds:
                    self._stop(lease)
                    count += 1
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        return count

    def _next_expiry(self) -> float:
        now = self.clock.monotonic()
        oldest = min((lease.idle_since for stack in self._idle.values() for lease in stack), default=None)
        if oldest is None:
            return float(self.idle_seconds)
        return max(0.05, oldest + self.idle_seconds - now)

    async def _reap_forever(self) -> None:
        while True:
            await self.clock.sleep(self._next_expiry())
            try:
                await self.reap()
            except Exception:  # never let the reaper die
                log.exception("reaping idle instances failed")

    def start(self) -> None:
        """Run the reaper in the background (scale to zero)."""
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap_forever(), name="overcast-pool-reaper")

    def _stop(self, lease: Lease) -> None:
        if lease.freezing is not None:
            lease.freezing.cancel()
            lease.freezing = None
        task = asyncio.get_running_loop().create_task(self._stop_quietly(lease.instance))
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    @staticmethod
    async def _stop_quietly(instance: Instance) -> None:
        try:
            await instance.stop()
        except Exception:
            log.exception("stopping instance %s failed", instance.id)

    async def settle(self) -> None:
        """Wait until every instance being stopped has stopped."""
        while self._stopping:
            await asyncio.gather(*list(self._stopping), return_exceptions=True)

    async def close(self) -> None:
        """Stop every instance (idle, provisioned, and busy ones too) and the reaper."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        for stack in self._idle.values():
            for lease in stack:
                self._stop(lease)
        self._idle.clear()
        for group in list(self._groups):
            await self.unprovision(group)
        for lease in list(self._busy.values()):
            self._stop(lease)
        await self.settle()

    # --- looking ---------------------------------------------------------------------------------------------

    def idle_count(self, key: PoolKey | None = None) -> int:
        if key is not None:
            return len(self._idle.get(key, ()))
        return sum(len(stack) for stack in self._idle.values())

    def busy_count(self) -> int:
        return len(self._busy)

    def provisioned_count(self, group: Hashable) -> int:
        found = self._groups.get(group)
        return 0 if found is None else len(found.members)

    def idle_instances(self, key: PoolKey) -> list[Instance]:
        """Idle instances of `key`, the next one handed out last."""
        return [lease.instance for lease in self._idle.get(key, ())]
