"""Provisioned concurrency: instances of a version or alias initialized ahead and kept, as configured.

https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html. Concurrency holds the
configurations and their status (PutProvisionedConcurrencyConfig and its friends); the Provisioner
makes the pool match them: at start, whenever a configuration changes, and when an alias with a
configuration is found pointing at another version (the invoke path tells it). Provisioning runs in
the background; its outcome is the configuration's status (READY, or FAILED with the reason).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions import aliases as alias_ops
from overcast.functions import versions
from overcast.functions.concurrency import Concurrency, ProvisionedConfig, ProvisionedKey, ProvisionedStatus
from overcast.functions.errors import InvalidParameterValue
from overcast.functions.instances import InstanceSpec
from overcast.functions.pool import Pool, PoolKey
from overcast.functions.records import FunctionVersion
from overcast.store import Store

log = logging.getLogger("overcast.functions.provisioning")

SpecOf = Callable[[FunctionVersion], Awaitable[InstanceSpec]]


class Provisioner:
    def __init__(self, store: Store, concurrency: Concurrency, pool: Pool, spec_of: SpecOf) -> None:
        self.store = store
        self.concurrency = concurrency
        self.pool = pool
        self.spec_of = spec_of
        self._background: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        """Bring every stored configuration up (in the background)."""
        for config in self.concurrency.provisioned_configs():
            self._spawn(self._provision(config))

    async def changed(self, config: ProvisionedConfig | None, key: ProvisionedKey) -> None:
        """A configuration was put (`config`) or deleted (None)."""
        if config is None:
            await self.pool.unprovision(key)
        else:
            self._spawn(self._provision(config))

    def follow_alias(self, account: str, region: str, name: str, alias: str, version: str) -> None:
        """An alias with provisioned concurrency now points at another version: provision that one."""
        for config in self.concurrency.provisioned_configs():
            if config.key == (account, region, name, alias) and config.version != version:
                self.concurrency.set_provisioned_version(config.key, version)
                self._spawn(self._provision(config))

    async def _provision(self, config: ProvisionedConfig) -> None:
        ctx = RequestContext(config.account, config.region)
        try:
            if config.qualifier.isdigit():
                target = config.qualifier
            else:
                alias = await alias_ops.load(self.store, ctx, config.function_name, config.qualifier)
                if alias is None:
                    raise InvalidParameterValue(f"The alias {config.qualifier} no longer exists.")
                target = alias.function_version
            self.concurrency.set_provisioned_version(config.key, target)
            version = await versions.resolve(self.store, ctx, config.function_name, target)
            key = PoolKey(config.account, config.region, config.function_name, version.version,
                          version.code.sha256_hex, version.revision_id)  # fmt: skip
            self.concurrency.set_provisioned_state(config.key, ProvisionedStatus.IN_PROGRESS, 0)
            allocated = await self.pool.provision(config.key, key, config.requested, lambda: self.spec_of(version))
            self.concurrency.set_provisioned_state(config.key, ProvisionedStatus.READY, allocated)
        except Exception as exc:
            log.warning("provisioning %s failed: %s", config.arn, exc)
            reason = exc.message if isinstance(exc, AwsError) else str(exc)
            self.concurrency.set_provisioned_state(
                config.key, ProvisionedStatus.FAILED, 0, reason or type(exc).__name__
            )

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("provisioning failed", exc_info=task.exception())

    async def flush(self) -> None:
        """Wait for the provisioning started so far."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
