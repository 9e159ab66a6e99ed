"""Aliases of a function: names pointing at a version, optionally routing a share of traffic to a second one.

Rules (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html and
https://docs.aws.amazon.com/lambda/latest/api/API_AliasRoutingConfiguration.html): at most one
additional version, with a weight between 0.0 and 1.0; both versions must exist (published); an
alias routing traffic cannot point at $LATEST; the additional version differs from the primary.
`Aliases` serves CreateAlias & co. for functions of the caller's account and region; the invoke
path reads aliases through the Registry's version cache, which every change here drops.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from overcast.context import RequestContext
from overcast.functions import options, permissions, urls, validation, versions
from overcast.functions.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
    ValidationException,
    revision_mismatch,
)
from overcast.functions.names import function_arn, parse_function_ref
from overcast.functions.records import LATEST, Alias
from overcast.functions.version_cache import VersionCache
from overcast.kit.pages import Keyset, fetch_page
from overcast.store import Conflict, Queries, Row, Store

_BY_NAME = Keyset.of(("name", str))
_COLUMNS = "account, region, function_name, name, function_version, description, routing, revision_id"


def _from_row(row: Row) -> Alias:
    return Alias(
        account=row["account"],
        region=row["region"],
        function_name=row["function_name"],
        name=row["name"],
        function_version=row["function_version"],
        description=row["description"],
        routing={key: float(value) for key, value in json.loads(row["routing"]).items()},
        revision_id=row["revision_id"],
    )


def _alias_not_found(ctx: RequestContext, function_name: str, name: str) -> ResourceNotFound:
    return ResourceNotFound(f"Alias not found: {function_arn(ctx.account_id, ctx.region, function_name, name)}")


async def load(q: Queries, ctx: RequestContext, function_name: str, name: str) -> Alias | None:
    row = await q.fetch_one(
        f"SELECT {_COLUMNS} FROM lambda_aliases WHERE account = ? AND region = ? AND function_name = ? AND name = ?",
        ctx.account_id,
        ctx.region,
        function_name,
        name,
    )
    return None if row is None else _from_row(row)


async def _get(q: Queries, ctx: RequestContext, function_name: str, name: str) -> Alias:
    alias = await load(q, ctx, function_name, name)
    if alias is None:
        raise _alias_not_found(ctx, function_name, name)
    return alias


async def _version_exists(q: Queries, ctx: RequestContext, function_name: str, version: str) -> None:
    number = 0 if version == LATEST else int(version)
    row = await q.fetch_one(
        "SELECT 1 AS x FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND number = ?",
        ctx.account_id,
        ctx.region,
        function_name,
        number,
    )
    if row is None:
        raise ResourceNotFound(
            f"Function not found: {function_arn(ctx.account_id, ctx.region, function_name, version)}"
        )


async def _check_routing(
    q: Queries, ctx: RequestContext, function_name: str, primary: str, routing: dict[str, float]
) -> None:
    if not routing:
        return
    if len(routing) > 1:
        raise InvalidParameterValue("Number of items in AdditionalVersionWeights cannot be greater than 1")
    for version, weight in routing.items():
        if not version.isdigit():
            raise ValidationException(
                f"1 validation error detected: Value '{{{version}={weight}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy "
                "constraint: [Member must have length less than or equal to 1024, Member must have length greater "
                "than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]"
            )
        if not 0.0 <= weight <= 1.0:
            raise ValidationException(
                f"1 validation error detected: Value '{{{version}={weight}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy "
                "constraint: [Member must have value less than or equal to 1.0, Member must have value greater "
                "than or equal to 0.0]"
            )
        if version == primary:
            raise InvalidParameterValue(
                f"Invalid function version {primary}. Function version {primary} is already included in routing "
                "configuration."
            )
        if primary == LATEST:
            raise InvalidParameterValue("$LATEST is not supported for an alias pointing to more than 1 version")
        await _version_exists(q, ctx, function_name, version)


async def aliases_using(q: Queries, ctx: RequestContext, function_name: str, version: str) -> list[str]:
    """Names of the aliases that point at `version` or route traffic to it."""
    rows = await q.fetch_all(
        f"SELECT {_COLUMNS} FROM lambda_aliases WHERE account = ? AND region = ? AND function_name = ? ORDER BY name",
        ctx.account_id,
        ctx.region,
        function_name,
    )
    aliases = [_from_row(row) for row in rows]
    return [a.name for a in aliases if a.function_version == version or version in a.routing]


@dataclass(frozen=True, slots=True)
class Aliases:
    """CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases."""

    store: Store
    cache: VersionCache  # the Registry's: dropped after every change
    new_id: Callable[[], str]  # RevisionIds

    async def _function(self, q: Queries, ctx: RequestContext, function_name: str) -> str:
        """The name of the caller's function that FunctionName designates, which must exist."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        await versions.resolve(q, ctx, ref.name, None)
        return ref.name

    async def create(
        self,
        ctx: RequestContext,
        function_name: str,
        name: str,
        function_version: str,
        description: str = "",
        routing: Mapping[str, float] | None = None,
    ) -> Alias:
        validation.alias_name(name)
        validation.version(function_version)
        validation.description(description)
        async with self.cache.changing(self.store) as tx:
            function = await self._function(tx, ctx, function_name)
            if await load(tx, ctx, function, name) is not None:
                raise ResourceConflict(
                    f"Alias already exists: {function_arn(ctx.account_id, ctx.region, function, name)}"
                )
            await _version_exists(tx, ctx, function, function_version)
            await _check_routing(tx, ctx, function, function_version, dict(routing or {}))
            alias = Alias(
                ctx.account_id, ctx.region, function, name, function_version, description, dict(routing or {}),
                self.new_id(),
            )  # fmt: skip
            try:
                await tx.execute(
                    f"INSERT INTO lambda_aliases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    alias.account,
                    alias.region,
                    alias.function_name,
                    alias.name,
                    alias.function_version,
                    alias.description,
                    json.dumps(alias.routing),
                    alias.revision_id,
                )
            except Conflict as exc:
                raise ResourceConflict(f"Alias already exists: {alias.arn}") from exc
        return alias

    async def get(self, ctx: RequestContext, function_name: str, name: str) -> Alias:
        function = await self._function(self.store, ctx, function_name)
        return await _get(self.store, ctx, function, name)

    async def update(
        self,
        ctx: RequestContext,
        function_name: str,
        name: str,
        *,
        function_version: str | None = None,
        description: str | None = None,
        routing: Mapping[str, float] | None = None,
        revision_id: str | None = None,
    ) -> Alias:
        async with self.cache.changing(self.store) as tx:
            function = await self._function(tx, ctx, function_name)
            alias = await _get(tx, ctx, function, name)
            if revision_id is not None and revision_id != alias.revision_id:
                raise revision_mismatch()
            primary = alias.function_version if function_version is None else function_version
            validation.version(primary)
            if description is not None:
                validation.description(description)
            new_routing = alias.routing if routing is None else dict(routing)
            if function_version is not None:
                await _version_exists(tx, ctx, function, primary)
            await _check_routing(tx, ctx, function, primary, new_routing)
            updated = Alias(
                alias.account,
                alias.region,
                alias.function_name,
                alias.name,
                primary,
                alias.description if description is None else description,
                new_routing,
                self.new_id(),
            )
            await tx.execute(
                "UPDATE lambda_aliases SET function_version = ?, description = ?, routing = ?, revision_id = ? "
                "WHERE account = ? AND region = ? AND function_name = ? AND name = ?",
                updated.function_version,
                updated.description,
                json.dumps(updated.routing),
                updated.revision_id,
                ctx.account_id,
                ctx.region,
                function,
                name,
            )
        return updated

    async def delete(self, ctx: RequestContext, function_name: str, name: str) -> None:
        async with self.cache.changing(self.store) as tx:
            function = await self._function(tx, ctx, function_name)
            deleted = await tx.execute(
                "DELETE FROM lambda_aliases WHERE account = ? AND region = ? AND function_name = ? AND name = ?",
                ctx.account_id,
                ctx.region,
                function,
                name,
            )
            if not deleted:
                raise _alias_not_found(ctx, function, name)
            await permissions.drop(tx, ctx, function, name)  # the alias' policy goes with it
            await urls.drop(tx, ctx, function, name)  # and its URL
            await options.drop(tx, ctx, function, name)  # and its event invoke config

    async def list_aliases(
        self,
        ctx: RequestContext,
        function_name: str,
        function_version: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> tuple[list[Alias], str | None]:
        """A function's aliases by name (those of one version with `function_version`), a page at a time."""
        function = await self._function(self.store, ctx, function_name)
        paging = validation.LISTS.start(
            ctx, _BY_NAME.kinds, max_items, marker, function, function_version, operation="ListAliases"
        )
        sql = f"SELECT {_COLUMNS} FROM lambda_aliases WHERE account = ? AND region = ? AND function_name = ?"
        params: list[object] = [ctx.account_id, ctx.region, function]
        if function_version is not None:
            sql += " AND function_version = ?"
            params.append(function_version)
        rows, token = await fetch_page(self.store, sql, params, _BY_NAME, paging)
        return [_from_row(row) for row in rows], token
