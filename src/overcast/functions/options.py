"""Function options kept and returned as AWS keeps them: recursive loop detection and runtime management.

- RecursiveLoop (Get/PutFunctionRecursionConfig), one per function, `Terminate` unless set
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html). Overcast has no event
  sources that could loop yet (queues, topics and buckets come later), so there is nothing to stop;
  the setting is stored for when there is.
- UpdateRuntimeOn (Get/PutRuntimeManagementConfig), one per version ($LATEST or a published number),
  `Auto` unless set, with the RuntimeVersionArn that `Manual` requires
  (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html). Overcast runs the runtime the
  host has, so the mode is stored and returned and changes nothing of how the function runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from overcast.context import RequestContext
from overcast.functions import versions
from overcast.functions.errors import InvalidParameterValue
from overcast.functions.names import constraint_error, function_arn, parse_function_ref
from overcast.functions.records import LATEST
from overcast.store import Queries, Store

RECURSIVE_LOOPS = ("Allow", "Terminate")
UPDATE_MODES = ("Auto", "Manual", "FunctionUpdate")
_RUNTIME_VERSION_ARN = re.compile(
    r"^arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}::runtime:.+$"
)
_RECURSION, _RUNTIME = "recursion", "runtime-management"


@dataclass(frozen=True, slots=True)
class RuntimeManagement:
    function_arn: str
    update_runtime_on: str
    runtime_version_arn: str | None = None


async def drop(tx: Queries, ctx: RequestContext, name: str, qualifier: str | None = None) -> None:
    """Forget a deleted function's options (all of them), or a deleted version's."""
    sql = "DELETE FROM lambda_function_options WHERE account = ? AND region = ? AND function_name = ?"
    params: list[object] = [ctx.account_id, ctx.region, name]
    if qualifier is not None:
        sql += " AND qualifier = ?"
        params.append(qualifier)
    await tx.execute(sql, *params)


async def read(q: Queries, ctx: RequestContext, name: str, qualifier: str, option: str) -> str | None:
    """One stored option of a function (qualifier '') or of a version or alias, or None."""
    row = await q.fetch_one(
        "SELECT value FROM lambda_function_options WHERE account = ? AND region = ? AND function_name = ? "
        "AND qualifier = ? AND option = ?",
        ctx.account_id,
        ctx.region,
        name,
        qualifier,
        option,
    )
    return str(row["value"]) if row is not None else None


async def write(tx: Queries, ctx: RequestContext, name: str, qualifier: str, option: str, value: str) -> None:
    """Store one option, replacing what was stored."""
    keys = (ctx.account_id, ctx.region, name, qualifier, option)
    await tx.execute(
        "DELETE FROM lambda_function_options WHERE account = ? AND region = ? AND function_name = ? "
        "AND qualifier = ? AND option = ?",
        *keys,
    )
    await tx.execute(
        "INSERT INTO lambda_function_options (account, region, function_name, qualifier, option, value) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        *keys,
        value,
    )


@dataclass(frozen=True, slots=True)
class FunctionOptions:
    store: Store

    # --- recursive loop detection -----------------------------------------------------------------

    def _unqualified(self, ctx: RequestContext, function_name: str) -> str:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        if ref.qualifier is not None:
            raise constraint_error(
                function_name,
                "functionName",
                "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|"
                "(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)",
            )
        return ref.name

    async def recursion(self, ctx: RequestContext, function_name: str) -> str:
        name = self._unqualified(ctx, function_name)
        async with self.store.transaction() as tx:
            await versions.resolve(tx, ctx, name, None)
            return await read(tx, ctx, name, "", _RECURSION) or "Terminate"

    async def set_recursion(self, ctx: RequestContext, function_name: str, recursive_loop: str) -> str:
        name = self._unqualified(ctx, function_name)
        if recursive_loop not in RECURSIVE_LOOPS:
            allowed = "Member must satisfy enum value set: [Allow, Terminate]"
            raise constraint_error(recursive_loop, "recursiveLoop", allowed)
        async with self.store.transaction() as tx:
            await versions.resolve(tx, ctx, name, None)
            await write(tx, ctx, name, "", _RECURSION, recursive_loop)
        return recursive_loop

    # --- runtime management -----------------------------------------------------------------------

    async def _version(
        self, q: Queries, ctx: RequestContext, function_name: str, qualifier: str | None
    ) -> tuple[str, str]:
        """(the function's name, the version: "$LATEST" or a number) a runtime management call is about."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        version = ref.qualifier or LATEST
        if version != LATEST and not version.isdigit():
            raise InvalidParameterValue(
                f"Runtime management configurations belong to $LATEST or a published version, not to {version}."
            )
        await versions.resolve(q, ctx, ref.name, version)
        return ref.name, str(int(version)) if version.isdigit() else LATEST

    async def runtime_management(
        self, ctx: RequestContext, function_name: str, qualifier: str | None
    ) -> RuntimeManagement:
        async with self.store.transaction() as tx:
            name, version = await self._version(tx, ctx, function_name, qualifier)
            stored = await read(tx, ctx, name, version, _RUNTIME)
        mode, arn = json.loads(stored) if stored else ("Auto", None)
        return RuntimeManagement(_arn(ctx, name, version), mode, arn)

    async def set_runtime_management(
        self,
        ctx: RequestContext,
        function_name: str,
        qualifier: str | None,
        update_runtime_on: str,
        runtime_version_arn: str | None,
    ) -> RuntimeManagement:
        if update_runtime_on not in UPDATE_MODES:
            allowed = "Member must satisfy enum value set: [Auto, Manual, FunctionUpdate]"
            raise constraint_error(update_runtime_on, "updateRuntimeOn", allowed)
        if runtime_version_arn is not None and not _RUNTIME_VERSION_ARN.match(runtime_version_arn):
            raise constraint_error(
                runtime_version_arn,
                "runtimeVersionArn",
                "Member must satisfy regular expression pattern: "
                "^arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}::runtime:.+$",
            )
        if update_runtime_on == "Manual" and runtime_version_arn is None:
            raise InvalidParameterValue("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
        if update_runtime_on != "Manual" and runtime_version_arn is not None:
            raise InvalidParameterValue(
                f"RuntimeVersionArn can be set only when UpdateRuntimeOn is Manual, not {update_runtime_on}."
            )
        async with self.store.transaction() as tx:
            name, version = await self._version(tx, ctx, function_name, qualifier)
            await write(tx, ctx, name, version, _RUNTIME, json.dumps([update_runtime_on, runtime_version_arn]))
        return RuntimeManagement(_arn(ctx, name, version), update_runtime_on, runtime_version_arn)


def _arn(ctx: RequestContext, name: str, version: str) -> str:
    return function_arn(ctx.account_id, ctx.region, name, None if version == LATEST else version)
