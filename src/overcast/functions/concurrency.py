"""Concurrency: the account limit, reserved and provisioned concurrency, and admitting (or throttling) invocations.

AWS's model (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html and
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html):
- an account has a concurrency limit per region (Settings.concurrency_limit, default 1000);
- reserved concurrency carves a share out of it for one function (all its versions) and caps the
  function at that share; 0 disables the function; at least 100 must stay unreserved;
- provisioned concurrency keeps initialized instances of a published version (or of an alias'
  version) ready; it counts against the function's reservation, or against the unreserved pool;
- an invocation beyond what is free is throttled with 429 TooManyRequestsException and a Reason.

The settings (reserved values, provisioned configs) are durable in the store; the in-flight
counters are in memory, per node. A cluster needs the counters shared (for example a JetStream
KV bucket per function with compare-and-set) or the limits split between nodes.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions import validation, versions
from overcast.functions.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound
from overcast.functions.names import constraint_error, function_arn, parse_function_ref
from overcast.functions.records import LATEST
from overcast.functions.registry import Registry
from overcast.kit.pages import page_of
from overcast.store import Store

# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html: "The remaining 100 units of
# concurrency are for functions that aren't using reserved concurrency."
MINIMUM_UNRESERVED = 100

STEPS = [
    "CREATE TABLE lambda_reserved_concurrency (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "reserved BIGINT NOT NULL, PRIMARY KEY (account, region, name))",
    "CREATE TABLE lambda_provisioned_concurrency (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "qualifier TEXT NOT NULL, requested BIGINT NOT NULL, last_modified DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (account, region, name, qualifier))",
]


class TooManyRequests(AwsError):
    code, status = "TooManyRequestsException", 429


class ProvisionedConfigNotFound(AwsError):
    code, status = "ProvisionedConcurrencyConfigNotFoundException", 404


def throttled(reason: str) -> TooManyRequests:
    # Lambda answers every concurrency throttle with this text; `Reason` tells them apart
    # (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors).
    return TooManyRequests("Rate Exceeded.", fields={"Reason": reason, "Type": "User"})


class ProvisionedStatus(enum.Enum):
    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    FAILED = "FAILED"


FunctionKey = tuple[str, str, str]  # (account, region, function name)
ProvisionedKey = tuple[str, str, str, str]  # (account, region, function name, qualifier)


@dataclass(frozen=True, slots=True)
class ProvisionedConfig:
    account: str
    region: str
    function_name: str
    qualifier: str  # a version number or an alias name
    requested: int
    last_modified: float  # epoch seconds
    version: str = ""  # the published version the instances run (the alias' version for an alias)
    status: ProvisionedStatus = ProvisionedStatus.IN_PROGRESS
    allocated: int = 0
    available: int = 0
    status_reason: str | None = None

    @property
    def key(self) -> ProvisionedKey:
        return (self.account, self.region, self.function_name, self.qualifier)

    @property
    def arn(self) -> str:
        return function_arn(self.account, self.region, self.function_name, self.qualifier)


@dataclass
class Slot:
    """One admitted on-demand invocation; `release` gives its concurrency back (idempotent)."""

    owner: Concurrency
    function: FunctionKey
    unreserved: bool
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.owner._release(self)


@dataclass
class _Counters:
    in_flight: dict[FunctionKey, int] = field(default_factory=dict)
    unreserved_in_flight: dict[tuple[str, str], int] = field(default_factory=dict)


ProvisionedListener = Callable[[ProvisionedConfig | None, ProvisionedKey], Awaitable[None]]


class Concurrency:
    """Limits and admission for one node. `admit` is synchronous and cheap: it runs on every invoke."""

    def __init__(self, store: Store, registry: Registry, clock: Clock, limit: int) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.limit = limit
        self._reserved: dict[FunctionKey, int] = {}
        self._provisioned: dict[ProvisionedKey, ProvisionedConfig] = {}
        self._counters = _Counters()
        self.listener: ProvisionedListener | None = None

    async def start(self) -> None:
        await self.store.migrate("lambda_concurrency", STEPS)
        for row in await self.store.fetch_all(
            "SELECT account, region, name, reserved FROM lambda_reserved_concurrency"
        ):
            self._reserved[(row["account"], row["region"], row["name"])] = int(row["reserved"])
        rows = await self.store.fetch_all(
            "SELECT account, region, name, qualifier, requested, last_modified FROM lambda_provisioned_concurrency"
        )
        for row in rows:
            config = ProvisionedConfig(
                row["account"], row["region"], row["name"], row["qualifier"], int(row["requested"]),
                float(row["last_modified"]),
            )  # fmt: skip
            self._provisioned[config.key] = config

    # --- admission (hot path) ----------------------------------------------------------------------

    def admit(self, account: str, region: str, function_name: str) -> Slot:
        """Admit one on-demand invocation, or raise TooManyRequests with AWS's Reason."""
        key = (account, region, function_name)
        counters = self._counters
        in_flight = counters.in_flight.get(key, 0)
        reserved = self._reserved.get(key)
        if reserved is not None:
            # Provisioned instances hold their share of the reservation whether busy or not.
            if in_flight >= reserved - self._provisioned_total(key):
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
            counters.in_flight[key] = in_flight + 1
            return Slot(self, key, unreserved=False)
        pool = (account, region)
        used = counters.unreserved_in_flight.get(pool, 0)
        # Without any reservation the unreserved pool is the whole limit: no sums on the hot path.
        if used >= self.limit or ((self._reserved or self._provisioned) and used >= self.unreserved(account, region)):
            raise throttled("ConcurrentInvocationLimitExceeded")
        counters.in_flight[key] = in_flight + 1
        counters.unreserved_in_flight[pool] = used + 1
        return Slot(self, key, unreserved=True)

    def _release(self, slot: Slot) -> None:
        counters = self._counters
        left = counters.in_flight.get(slot.function, 0) - 1
        if left > 0:
            counters.in_flight[slot.function] = left
        else:
            counters.in_flight.pop(slot.function, None)
        if slot.unreserved:
            pool = (slot.function[0], slot.function[1])
            used = counters.unreserved_in_flight.get(pool, 0) - 1
            if used > 0:
                counters.unreserved_in_flight[pool] = used
            else:
                counters.unreserved_in_flight.pop(pool, None)

    def in_flight(self, account: str, region: str, function_name: str) -> int:
        """On-demand invocations running now (provisioned ones aside)."""
        return self._counters.in_flight.get((account, region, function_name), 0)

    def provisioned_for(
        self, account: str, region: str, function_name: str, qualifier: str | None, version: str
    ) -> ProvisionedConfig | None:
        """The provisioned config whose instances an invocation may use: the alias' own config when
        called through an alias, else the config of the version it runs."""
        if qualifier is not None and not qualifier.isdigit() and qualifier != LATEST:
            config = self._provisioned.get((account, region, function_name, qualifier))
            if config is not None and config.version == version:
                return config
        return self._provisioned.get((account, region, function_name, version))

    # --- account -----------------------------------------------------------------------------------

    def _provisioned_total(self, key: FunctionKey) -> int:
        return sum(c.requested for k, c in self._provisioned.items() if k[:3] == key)

    def unreserved(self, account: str, region: str, without: str | None = None) -> int:
        """UnreservedConcurrentExecutions: the limit minus reservations minus provisioned concurrency of
        functions without a reservation (optionally leaving out one function's share)."""
        taken = sum(n for (a, r, name), n in self._reserved.items() if (a, r) == (account, region) and name != without)
        taken += sum(
            c.requested
            for (a, r, name, _), c in self._provisioned.items()
            if (a, r) == (account, region) and name != without and (a, r, name) not in self._reserved
        )
        return self.limit - taken

    # --- reserved concurrency (PutFunctionConcurrency & co) ----------------------------------------

    async def _function(self, ctx: RequestContext, function_name: str) -> str:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        if ref.qualifier is not None:
            # Reserved concurrency applies to the function as a whole.
            raise InvalidParameterValue("Concurrency settings cannot be applied to a function version or alias.")
        await versions.resolve(self.store, ctx, ref.name, None)
        return ref.name

    async def get_reserved(self, ctx: RequestContext, function_name: str) -> int | None:
        name = await self._function(ctx, function_name)
        return self._reserved.get((ctx.account_id, ctx.region, name))

    async def put_reserved(self, ctx: RequestContext, function_name: str, reserved: int) -> int:
        if reserved < 0:
            raise constraint_error(
                reserved, "reservedConcurrentExecutions", "Member must have value greater than or equal to 0"
            )
        name = await self._function(ctx, function_name)
        key = (ctx.account_id, ctx.region, name)
        provisioned = self._provisioned_total(key)
        if reserved < provisioned:
            # Overcast's text: a reservation must hold the function's provisioned concurrency.
            raise InvalidParameterValue(
                f"Specified ReservedConcurrentExecutions for function ({reserved}) is less than the function's "
                f"total ProvisionedConcurrentExecutions ({provisioned})."
            )
        if self.unreserved(ctx.account_id, ctx.region, without=name) - reserved < MINIMUM_UNRESERVED:
            raise InvalidParameterValue(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}]."
            )
        await self.store.execute(
            "INSERT INTO lambda_reserved_concurrency (account, region, name, reserved) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, region, name) DO UPDATE SET reserved = excluded.reserved",
            *key,
            reserved,
        )
        self._reserved[key] = reserved
        return reserved

    async def delete_reserved(self, ctx: RequestContext, function_name: str) -> None:
        name = await self._function(ctx, function_name)
        key = (ctx.account_id, ctx.region, name)
        await self.store.execute(
            "DELETE FROM lambda_reserved_concurrency WHERE account = ? AND region = ? AND name = ?", *key
        )
        self._reserved.pop(key, None)

    # --- provisioned concurrency -----------------------------------------------------------------------

    async def _target(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, putting: bool
    ) -> tuple[str, str, str]:
        """(function name, qualifier, version the qualifier runs) for a provisioned-concurrency call."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        if ref.qualifier in (None, LATEST):
            if putting:
                raise InvalidParameterValue(
                    "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
                )
            raise InvalidParameterValue("The function resource provided must be an alias or a published version.")
        name, qual = ref.name, ref.qualifier
        assert qual is not None
        if qual.isdigit():
            version = await versions.resolve(self.store, ctx, name, qual)
            return name, qual, version.version
        await versions.resolve(self.store, ctx, name, None)
        try:
            alias = await self.registry.aliases.get(ctx, name, qual)
        except ResourceNotFound:
            raise ResourceNotFound(
                f"Cannot find alias arn: {function_arn(ctx.account_id, ctx.region, name, qual)}"
            ) from None
        if alias.function_version == LATEST and putting:
            raise InvalidParameterValue(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        return name, qual, alias.function_version

    async def put_provisioned(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, requested: int
    ) -> ProvisionedConfig:
        if requested < 1:
            raise constraint_error(
                requested, "provisionedConcurrentExecutions", "Member must have value greater than or equal to 1"
            )
        name, qual, version = await self._target(ctx, function_name, qualifier, putting=True)
        function = (ctx.account_id, ctx.region, name)
        others = [c for k, c in self._provisioned.items() if k[:3] == function and k[3] != qual]
        if qual.isdigit():
            if any(c.version == qual and not c.qualifier.isdigit() for c in others):
                raise ResourceConflict("Version is pointed by a Provisioned Concurrency alias")
        elif any(c.qualifier == version for c in others):
            raise ResourceConflict(
                "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
            )
        reserved = self._reserved.get(function)
        if reserved is not None:
            if sum(c.requested for c in others) + requested > reserved:
                raise InvalidParameterValue(
                    "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                    "for function"
                )
        else:
            current = self._provisioned.get((*function, qual))
            growth = requested - (current.requested if current else 0)
            if self.unreserved(ctx.account_id, ctx.region) - growth < MINIMUM_UNRESERVED:
                raise InvalidParameterValue(
                    "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
                    f"below its minimum value of [{MINIMUM_UNRESERVED}]."
                )
        now = self.clock.now()
        await self.store.execute(
            "INSERT INTO lambda_provisioned_concurrency (account, region, name, qualifier, requested, last_modified) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, name, qualifier) "
            "DO UPDATE SET requested = excluded.requested, last_modified = excluded.last_modified",
            *function,
            qual,
            requested,
            now,
        )
        config = ProvisionedConfig(*function, qual, requested, now, version=version)
        self._provisioned[config.key] = config
        if self.listener is not None:
            await self.listener(config, config.key)
        return config

    def set_provisioned_state(
        self, key: ProvisionedKey, status: ProvisionedStatus, allocated: int, reason: str | None = None
    ) -> None:
        """Called by whoever starts the instances (the invoke service)."""
        config = self._provisioned.get(key)
        if config is None:
            return
        self._provisioned[key] = ProvisionedConfig(
            config.account, config.region, config.function_name, config.qualifier, config.requested,
            config.last_modified, config.version, status, allocated, allocated, reason,
        )  # fmt: skip

    def set_provisioned_version(self, key: ProvisionedKey, version: str) -> None:
        config = self._provisioned.get(key)
        if config is not None and config.version != version:
            self._provisioned[key] = ProvisionedConfig(
                config.account, config.region, config.function_name, config.qualifier, config.requested,
                config.last_modified, version,
            )  # fmt: skip

    def provisioned_configs(self) -> list[ProvisionedConfig]:
        return list(self._provisioned.values())

    async def get_provisioned(
        self, ctx: RequestContext, function_name: str, qualifier: str | None
    ) -> ProvisionedConfig:
        name, qual, _ = await self._target(ctx, function_name, qualifier, putting=False)
        config = self._provisioned.get((ctx.account_id, ctx.region, name, qual))
        if config is None:
            raise ProvisionedConfigNotFound("No Provisioned Concurrency Config found for this function")
        return config

    async def delete_provisioned(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> None:
        name, qual, _ = await self._target(ctx, function_name, qualifier, putting=False)
        await self._forget_provisioned(ctx.account_id, ctx.region, name, qual)

    async def _forget_provisioned(self, account: str, region: str, name: str, qualifier: str | None) -> None:
        sql = "DELETE FROM lambda_provisioned_concurrency WHERE account = ? AND region = ? AND name = ?"
        params: list[object] = [account, region, name]
        if qualifier is not None:
            sql += " AND qualifier = ?"
            params.append(qualifier)
        await self.store.execute(sql, *params)
        for key in [k for k in self._provisioned if k[:3] == (account, region, name) and qualifier in (None, k[3])]:
            del self._provisioned[key]
            if self.listener is not None:
                await self.listener(None, key)

    async def list_provisioned(
        self, ctx: RequestContext, function_name: str, marker: str | None = None, max_items: int | None = None
    ) -> tuple[list[ProvisionedConfig], str | None]:
        name = await self._function(ctx, function_name)
        paging = validation.LISTS.start(
            ctx, (str,), max_items, marker, name, operation="ListProvisionedConcurrencyConfigs"
        )
        found = sorted(
            (c for k, c in self._provisioned.items() if k[:3] == (ctx.account_id, ctx.region, name)),
            key=lambda c: c.qualifier,
        )
        return page_of(found, paging, lambda c: [c.qualifier])

    async def function_deleted(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> None:
        """Forget the settings of a deleted function (or of a deleted version or alias)."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        if ref.qualifier is None:
            key = (ctx.account_id, ctx.region, ref.name)
            await self.store.execute(
                "DELETE FROM lambda_reserved_concurrency WHERE account = ? AND region = ? AND name = ?", *key
            )
            self._reserved.pop(key, None)
        await self._forget_provisioned(ctx.account_id, ctx.region, ref.name, ref.qualifier)
