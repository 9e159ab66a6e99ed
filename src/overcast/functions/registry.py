"""Registry: the Lambda control plane — functions and their versions, with aliases, layers and tags beside them.

Everything lives in the store, keyed by (account, region): the same name in two accounts or two
regions is two functions, and every call reads and writes the caller's own (its RequestContext).
Every mutation runs in one store transaction, so it is applied whole or not at all. Uploaded code
is checked completely (see `archives`) before the transaction starts. The Registry is the one
object the API and the execution engine hold: `aliases` (aliases.py), `layers` (layers.py) and
`tagging` (the kit's tags) hang off it. The invoke path reads versions and aliases through the
version cache (`version`, `alias`), which every mutation drops once its transaction has ended.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from overcast.arn import parse_arn
from overcast.artifacts import Artifacts
from overcast.clock import Clock, SystemClock
from overcast.context import RequestContext
from overcast.functions import aliases as alias_ops
from overcast.functions import code as code_ops
from overcast.functions import layers as layer_ops
from overcast.functions import options, permissions, urls, validation, versions
from overcast.functions.aliases import Aliases
from overcast.functions.code import CodeInput
from overcast.functions.errors import (
    InvalidParameterValue,
    ResourceConflict,
    revision_mismatch,
)
from overcast.functions.event_invoke import EventInvokeConfigs
from overcast.functions.layer_policies import LayerPolicies
from overcast.functions.layers import Layers
from overcast.functions.names import function_arn, parse_function_ref
from overcast.functions.options import FunctionOptions
from overcast.functions.permissions import Permissions
from overcast.functions.records import LATEST, AccountUsage, Alias, FunctionConfig, FunctionVersion
from overcast.functions.schema import STEPS
from overcast.functions.urls import FunctionUrls
from overcast.functions.usage import check_storage, usage
from overcast.functions.version_cache import VersionCache
from overcast.kit import tags as kit_tags
from overcast.kit.pages import Keyset, fetch_page
from overcast.kit.tags import Tagging
from overcast.store import Conflict, Queries, Store

# The orders of ListFunctions (name, then $LATEST before the published versions) and ListVersionsByFunction.
_BY_NAME = Keyset.of(("name", str), ("number", int))
_BY_NUMBER = Keyset.of(("number", int))


def check_config(config: FunctionConfig, check_runtime: bool = True) -> None:
    """Every setting of a function configuration, as CreateFunction / UpdateFunctionConfiguration check them.
    An update checks the runtime only when it changes it (functions on a deprecated runtime keep working)."""
    if config.package_type != "Zip":
        raise InvalidParameterValue("Container images (PackageType Image) are not supported by Overcast yet.")
    validation.role(config.role)
    if check_runtime:
        validation.runtime(config.runtime)
    validation.handler(config.handler)
    validation.description(config.description)
    validation.timeout(config.timeout)
    validation.memory_size(config.memory_size)
    validation.ephemeral_storage(config.ephemeral_storage)
    validation.architectures(config.architectures)
    validation.environment(config.environment)


async def taggable(q: Queries, ctx: RequestContext, resource: str) -> str:
    """The ARN a function's tags are kept under, from TagResource's Resource: the unqualified ARN of a
    function of the caller's account and region (tags live on the function, not its versions or aliases)."""
    if parse_arn(resource) is None:
        raise InvalidParameterValue(f"Invalid ARN: {resource}")
    ref = parse_function_ref(resource, ctx.account_id, ctx.region)
    if ref.qualifier is not None:
        raise InvalidParameterValue(
            "Tags on function aliases and versions are not supported. Please specify a function ARN."
        )
    await versions.resolve(q, ctx, ref.name, None)
    return function_arn(ctx.account_id, ctx.region, ref.name)


class Registry:
    """CreateFunction & co.: functions, versions, account usage; aliases, layers and tags beside them."""

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        new_id: Callable[[], str] | None = None,
        runtime_check: Callable[[str, str], None] | None = None,
        hot_reload: code_ops.HotReloadRoots | None = None,
        artifacts: Artifacts | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.new_id = new_id or (lambda: str(uuid.uuid4()))
        self.cache = VersionCache()
        self.hot_reload = hot_reload  # where code directories may be; None: hot reloading is off
        self.artifacts = artifacts  # the packages `overcast deploy` uploads (S3Bucket overcast-artifacts)
        # Whether this host can run a runtime (raises an AwsError naming what is missing); given by
        # the composition root from the sandboxes, so a function that could never run is refused at once.
        self.runtime_check = runtime_check
        self.aliases = Aliases(store, self.cache, self.new_id)
        self.layers = Layers(store, self.clock, artifacts)
        self.permissions = Permissions(store, self.cache, self.new_id)
        self.urls = FunctionUrls(store, self.clock, self.cache)
        self.layer_policies = LayerPolicies(store, self.new_id)
        self.options = FunctionOptions(store)
        self.event_invoke = EventInvokeConfigs(store, self.clock, self.cache)
        # TagResource / UntagResource / ListTags, over the kit's one tags table.
        self.tagging = Tagging(store, taggable, validation.TAG_RULES)

    async def start(self) -> None:
        await kit_tags.migrate(self.store)  # before the functions' steps, which move tags into it
        await self.store.migrate("functions", STEPS)

    # --- reading ---------------------------------------------------------------------------------

    async def read_code(self, sha256_hex: str) -> bytes | None:
        """A stored zip by its hex SHA-256 (served to GetFunction's Code.Location and to the engine)."""
        return await code_ops.read_code(self.store, sha256_hex)

    async def get_function(
        self, ctx: RequestContext, function_name: str, qualifier: str | None = None
    ) -> FunctionVersion:
        """The version a FunctionName (+ Qualifier: $LATEST, a number or an alias) designates."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        return await versions.resolve(self.store, ctx, ref.name, ref.qualifier)

    async def version(self, ctx: RequestContext, name: str, qualifier: str | None) -> FunctionVersion:
        """$LATEST (qualifier None or "$LATEST") or a published version of function `name`, from the
        version cache (the invoke path's read)."""
        # One key per version however the number is spelled ("01" is version 1).
        number = str(int(qualifier)) if qualifier is not None and qualifier.isdigit() else qualifier or LATEST
        key = (ctx.account_id, ctx.region, name, number)
        return await self.cache.get(("version", *key), lambda: versions.resolve(self.store, ctx, name, qualifier))

    async def alias(self, ctx: RequestContext, function_name: str, name: str) -> Alias | None:
        """Alias `name` of function `function_name` (None when there is none), from the version cache."""
        key = (ctx.account_id, ctx.region, function_name, name)
        return await self.cache.get(("alias", *key), lambda: alias_ops.load(self.store, ctx, function_name, name))

    async def policy(self, account: str, region: str, name: str, qualifier: str | None) -> tuple[dict[str, Any], ...]:
        """The statements of the policy that governs calls naming function `name` with `qualifier` (the
        unqualified function's for None or $LATEST), from the version cache (the invoke path's read)."""
        key = ("policy", account, region, name, qualifier or LATEST)
        return await self.cache.get(key, lambda: permissions.statements(self.store, account, region, name, qualifier))

    async def _latest(self, q: Queries, ctx: RequestContext, function_name: str) -> FunctionVersion:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        if ref.qualifier not in (None, LATEST):
            raise InvalidParameterValue("Only the $LATEST version of a function can be updated.")
        return await versions.resolve(q, ctx, ref.name, None)

    async def list_functions(
        self, ctx: RequestContext, all_versions: bool = False, marker: str | None = None, max_items: int | None = None
    ) -> tuple[list[FunctionVersion], str | None]:
        """Functions ($LATEST only, or every version with FunctionVersion=ALL) by name, a page at a time."""
        paging = validation.LISTS.start(ctx, _BY_NAME.kinds, max_items, marker, all_versions, operation="ListFunctions")
        rows, token = await fetch_page(
            self.store,
            f"SELECT {versions.COLUMNS} FROM lambda_versions WHERE account = ? AND region = ?"
            + ("" if all_versions else " AND number = 0"),
            [ctx.account_id, ctx.region],
            _BY_NAME,
            paging,
        )
        return [versions.version_from_row(r) for r in rows], token

    async def list_versions(
        self, ctx: RequestContext, function_name: str, marker: str | None = None, max_items: int | None = None
    ) -> tuple[list[FunctionVersion], str | None]:
        """$LATEST, then the published versions in order."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        await versions.resolve(self.store, ctx, ref.name, None)
        paging = validation.LISTS.start(
            ctx, _BY_NUMBER.kinds, max_items, marker, ref.name, operation="ListVersionsByFunction"
        )
        rows, token = await fetch_page(
            self.store,
            f"SELECT {versions.COLUMNS} FROM lambda_versions WHERE account = ? AND region = ? AND name = ?",
            [ctx.account_id, ctx.region, ref.name],
            _BY_NUMBER,
            paging,
        )
        return [versions.version_from_row(r) for r in rows], token

    async def account_usage(self, ctx: RequestContext) -> AccountUsage:
        return await usage(self.store, ctx)

    # --- functions -------------------------------------------------------------------------------

    async def create_function(
        self,
        ctx: RequestContext,
        name: str,
        config: FunctionConfig,
        code: CodeInput,
        *,
        layers: Sequence[str] = (),
        publish: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> FunctionVersion:
        """CreateFunction. The answer is the new $LATEST in state Pending (or version 1 with Publish), as
        Lambda answers; reading the function afterwards shows it Active
        (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html)."""
        validation.function_name(name)
        check_config(config)
        if self.runtime_check is not None:
            self.runtime_check(config.runtime, name)
        validation.layer_count(len(layers))
        prepared = code_ops.prepare(code, "CreateFunction", hot_reload=self.hot_reload, artifacts=self.artifacts)
        now = self.clock.now()
        try:
            async with self.cache.changing(self.store) as tx:
                layer_refs = await layer_ops.resolve_for_function(tx, ctx, layers)
                validation.unzipped_size(prepared.ref.unzipped_size + sum(layer.unzipped_size for layer in layer_refs))
                exists = await tx.fetch_one(
                    "SELECT 1 AS x FROM lambda_functions WHERE account = ? AND region = ? AND name = ?",
                    ctx.account_id,
                    ctx.region,
                    name,
                )
                if exists is not None:
                    raise ResourceConflict(f"Function already exist: {name}")
                await check_storage(tx, ctx, prepared.ref.size)
                await tx.execute(
                    "INSERT INTO lambda_functions (account, region, name, next_version, tags, created) "
                    "VALUES (?, ?, ?, 1, '{}', ?)",
                    ctx.account_id,
                    ctx.region,
                    name,
                    now,
                )
                await kit_tags.add(tx, function_arn(ctx.account_id, ctx.region, name), tags or {}, validation.TAG_RULES)
                logging = config.logging
                if not logging.log_group:
                    logging = dataclasses.replace(logging, log_group=f"/aws/lambda/{name}")
                latest = FunctionVersion(
                    account=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    version=LATEST,
                    config=dataclasses.replace(config, layers=tuple(layer_refs), logging=logging),
                    code=prepared.ref,
                    revision_id=self.new_id(),
                    last_modified=now,
                )
                await code_ops.store_code(tx, prepared)
                await versions.insert(tx, latest, 0)
                answer = latest
                if publish:
                    answer = await versions.publish(tx, latest, None, self.new_id(), self.clock.now())
        except Conflict as exc:  # a concurrent CreateFunction of the same name won
            raise ResourceConflict(f"Function already exist: {name}") from exc
        return dataclasses.replace(answer, state="Pending", last_update_status="")

    async def update_function_code(
        self,
        ctx: RequestContext,
        function_name: str,
        code: CodeInput,
        *,
        publish: bool = False,
        revision_id: str | None = None,
        architectures: Sequence[str] | None = None,
        dry_run: bool = False,
    ) -> FunctionVersion:
        """UpdateFunctionCode. The answer shows LastUpdateStatus InProgress, as Lambda's does; the update
        is complete at once, so a later read shows Successful
        (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html#functions-states-updating)."""
        if architectures is not None:
            validation.architectures(architectures)
        prepared = code_ops.prepare(code, "UpdateFunctionCode", hot_reload=self.hot_reload, artifacts=self.artifacts)
        async with self.cache.changing(self.store) as tx:
            latest = await self._latest(tx, ctx, function_name)
            if revision_id is not None and revision_id != latest.revision_id:
                raise revision_mismatch()
            layer_size = sum(layer.unzipped_size for layer in latest.config.layers)
            validation.unzipped_size(prepared.ref.unzipped_size + layer_size)
            config = latest.config
            if architectures is not None:
                config = dataclasses.replace(config, architectures=tuple(architectures))
            updated = dataclasses.replace(
                latest, code=prepared.ref, config=config, revision_id=self.new_id(), last_modified=self.clock.now()
            )
            if dry_run:
                return dataclasses.replace(updated, revision_id=latest.revision_id, last_modified=latest.last_modified)
            await check_storage(tx, ctx, prepared.ref.size - latest.code.size)
            await code_ops.store_code(tx, prepared)
            await versions.replace_latest(tx, latest, updated)
            await code_ops.drop_unreferenced(tx, [latest.code.sha256_hex])
            if publish:
                return await versions.publish(tx, updated, None, self.new_id(), self.clock.now())
        return dataclasses.replace(updated, last_update_status="InProgress")

    async def update_function_configuration(
        self,
        ctx: RequestContext,
        function_name: str,
        changes: Mapping[str, Any],
        *,
        layers: Sequence[str] | None = None,
        revision_id: str | None = None,
    ) -> FunctionVersion:
        """UpdateFunctionConfiguration: `changes` maps FunctionConfig field names to new values; `layers`
        (ARNs) replaces the layer list when given. Answers with LastUpdateStatus InProgress, like Lambda."""
        settable = {f.name for f in dataclasses.fields(FunctionConfig)} - {"layers", "package_type"}
        if set(changes) - settable:
            raise ValueError(f"not settable FunctionConfig fields: {sorted(set(changes) - settable)}")
        if layers is not None:
            validation.layer_count(len(layers))
        async with self.cache.changing(self.store) as tx:
            latest = await self._latest(tx, ctx, function_name)
            if revision_id is not None and revision_id != latest.revision_id:
                raise revision_mismatch()
            config = dataclasses.replace(latest.config, **changes)
            check_config(config, check_runtime="runtime" in changes)
            if "runtime" in changes and self.runtime_check is not None:
                self.runtime_check(config.runtime, latest.name)
            if layers is not None:
                layer_refs = await layer_ops.resolve_for_function(tx, ctx, layers)
                validation.unzipped_size(latest.code.unzipped_size + sum(layer.unzipped_size for layer in layer_refs))
                config = dataclasses.replace(config, layers=tuple(layer_refs))
            updated = dataclasses.replace(
                latest, config=config, revision_id=self.new_id(), last_modified=self.clock.now()
            )
            await versions.replace_latest(tx, latest, updated)
        return dataclasses.replace(updated, last_update_status="InProgress")

    async def delete_function(self, ctx: RequestContext, function_name: str, qualifier: str | None = None) -> None:
        """DeleteFunction: the whole function (versions, aliases, tags), or one published version."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        async with self.cache.changing(self.store) as tx:
            if ref.qualifier == LATEST:
                await versions.resolve(tx, ctx, ref.name, None)
                # https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html
                raise InvalidParameterValue("$LATEST version cannot be deleted without deleting the function.")
            if ref.qualifier is not None:
                await self._delete_version(tx, ctx, ref.name, ref.qualifier)
                return
            keys = (ctx.account_id, ctx.region, ref.name)
            rows = await tx.fetch_all(
                "SELECT code_sha FROM lambda_versions WHERE account = ? AND region = ? AND name = ?", *keys
            )
            if not await tx.execute(
                "DELETE FROM lambda_functions WHERE account = ? AND region = ? AND name = ?", *keys
            ):
                raise versions.not_found(ctx, ref.name)
            await tx.execute("DELETE FROM lambda_versions WHERE account = ? AND region = ? AND name = ?", *keys)
            await tx.execute("DELETE FROM lambda_aliases WHERE account = ? AND region = ? AND function_name = ?", *keys)
            await permissions.drop(tx, ctx, ref.name)
            await urls.drop(tx, ctx, ref.name)
            await options.drop(tx, ctx, ref.name)
            await kit_tags.drop(tx, function_arn(*keys))
            await code_ops.drop_unreferenced(tx, [row["code_sha"] for row in rows])

    async def _delete_version(self, tx: Queries, ctx: RequestContext, name: str, qualifier: str) -> None:
        if not qualifier.isdigit():
            raise InvalidParameterValue(
                f"Qualifier '{qualifier}' is an alias, not a version: delete an alias with DeleteAlias."
            )
        version = await versions.resolve(tx, ctx, name, qualifier)
        users = await alias_ops.aliases_using(tx, ctx, name, qualifier)
        if users:
            raise ResourceConflict(
                f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]"
            )
        await tx.execute(
            "DELETE FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND number = ?",
            ctx.account_id,
            ctx.region,
            name,
            int(qualifier),
        )
        await permissions.drop(tx, ctx, name, qualifier)
        await options.drop(tx, ctx, name, str(int(qualifier)))
        await code_ops.drop_unreferenced(tx, [version.code.sha256_hex])

    # --- versions --------------------------------------------------------------------------------

    async def publish_version(
        self,
        ctx: RequestContext,
        function_name: str,
        *,
        description: str | None = None,
        code_sha256: str | None = None,
        revision_id: str | None = None,
    ) -> FunctionVersion:
        """PublishVersion. With nothing changed since the last published version, that version is the
        answer (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html)."""
        if description is not None:
            validation.description(description)
        async with self.cache.changing(self.store) as tx:
            latest = await self._latest(tx, ctx, function_name)
            if code_sha256 is not None and code_sha256 != latest.code.code_sha256:
                raise InvalidParameterValue(
                    f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
                    f"({latest.code.code_sha256}). Please try again with the current CodeSHA256."
                )
            if revision_id is not None and revision_id != latest.revision_id:
                raise revision_mismatch()
            return await versions.publish(tx, latest, description, self.new_id(), self.clock.now())
