"""Layers: versioned zips shared by functions (PublishLayerVersion, Get/List/Delete), and checking a
function's layer list (https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html).

Version numbers of a layer are never reused, even after versions are deleted (lambda_layers.next_version).
Every call writes the caller's own layers; another account's layer version is read (GetLayerVersion,
GetLayerVersionByArn) and used in a function's Layers only when its policy grants the caller
lambda:GetLayerVersion (functions/layer_policies.py), and refused as Lambda refuses it otherwise.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass

from overcast.artifacts import Artifacts
from overcast.clock import Clock
from overcast.context import RequestContext, account_root
from overcast.functions import layer_policies, validation
from overcast.functions.code import CodeInput, drop_unreferenced, prepare_layer, store_code
from overcast.functions.errors import InvalidParameterValue, ResourceNotFound
from overcast.functions.names import (
    constraint_error,
    layer_denied,
    parse_layer_name,
    parse_layer_owner,
    parse_layer_version_arn,
)
from overcast.functions.records import CodeRef, LayerRef, LayerVersion
from overcast.functions.usage import check_storage
from overcast.kit.pages import page_of
from overcast.store import Queries, Row, Store

_COLUMNS = (
    "account, region, name, version, description, runtimes, architectures, license, code_sha, code_size, "
    "unzipped_size, created"
)
_NOT_FOUND = "The resource you requested does not exist."


def _from_row(row: Row) -> LayerVersion:
    return LayerVersion(
        account=row["account"],
        region=row["region"],
        name=row["name"],
        version=int(row["version"]),
        description=row["description"],
        compatible_runtimes=tuple(json.loads(row["runtimes"])),
        compatible_architectures=tuple(json.loads(row["architectures"])),
        license_info=row["license"],
        code=CodeRef(row["code_sha"], int(row["code_size"]), int(row["unzipped_size"])),
        created=float(row["created"]),
    )


async def _load(q: Queries, ctx: RequestContext, name: str, version: int) -> LayerVersion | None:
    row = await q.fetch_one(
        f"SELECT {_COLUMNS} FROM lambda_layer_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
        ctx.account_id,
        ctx.region,
        name,
        version,
    )
    return None if row is None else _from_row(row)


def _check_settings(
    description: str, runtimes: Sequence[str], architectures: Sequence[str], license_info: str | None
) -> None:
    validation.description(description)
    validation.layer_runtimes(runtimes)
    if len(architectures) > 2:
        raise constraint_error(
            list(architectures), "compatibleArchitectures", "Member must have length less than or equal to 2"
        )
    for arch in architectures:
        if arch not in validation.ARCHITECTURES:
            raise constraint_error(
                arch, "compatibleArchitectures", "Member must satisfy enum value set: [x86_64, arm64]"
            )
    if license_info is not None and len(license_info) > 512:
        raise constraint_error(license_info, "licenseInfo", "Member must have length less than or equal to 512")


def _matches(layer: LayerVersion, runtime: str | None, architecture: str | None) -> bool:
    return (runtime is None or runtime in layer.compatible_runtimes) and (
        architecture is None or architecture in layer.compatible_architectures
    )


@dataclass(frozen=True, slots=True)
class Layers:
    """PublishLayerVersion, GetLayerVersion(ByArn), DeleteLayerVersion, ListLayers, ListLayerVersions."""

    store: Store
    clock: Clock
    artifacts: Artifacts | None = None  # the packages `overcast deploy` uploads (S3Bucket overcast-artifacts)

    async def publish(
        self,
        ctx: RequestContext,
        layer_name: str,
        content: CodeInput,
        *,
        description: str = "",
        compatible_runtimes: Sequence[str] = (),
        compatible_architectures: Sequence[str] = (),
        license_info: str | None = None,
    ) -> LayerVersion:
        name = parse_layer_name(layer_name, ctx.account_id, ctx.region, "PublishLayerVersion")
        _check_settings(description, compatible_runtimes, compatible_architectures, license_info)
        prepared = prepare_layer(content, artifacts=self.artifacts)
        async with self.store.transaction() as tx:
            await check_storage(tx, ctx, prepared.ref.size)
            row = await tx.fetch_one(
                "INSERT INTO lambda_layers (account, region, name, next_version) VALUES (?, ?, ?, 2) "
                "ON CONFLICT (account, region, name) DO UPDATE SET next_version = lambda_layers.next_version + 1 "
                "RETURNING next_version",
                ctx.account_id,
                ctx.region,
                name,
            )
            assert row is not None
            layer = LayerVersion(
                account=ctx.account_id,
                region=ctx.region,
                name=name,
                version=int(row["next_version"]) - 1,
                description=description,
                compatible_runtimes=tuple(compatible_runtimes),
                compatible_architectures=tuple(compatible_architectures),
                license_info=license_info,
                code=prepared.ref,
                created=self.clock.now(),
            )
            await store_code(tx, prepared)
            await tx.execute(
                f"INSERT INTO lambda_layer_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                layer.account,
                layer.region,
                layer.name,
                layer.version,
                layer.description,
                json.dumps(list(layer.compatible_runtimes)),
                json.dumps(list(layer.compatible_architectures)),
                layer.license_info,
                layer.code.sha256_hex,
                layer.code.size,
                layer.code.unzipped_size,
                layer.created,
            )
        return layer

    async def get(self, ctx: RequestContext, layer_name: str, version: int) -> LayerVersion:
        owner, name = parse_layer_owner(layer_name, ctx.account_id, ctx.region)
        layer = await _readable(self.store, ctx, owner, name, version, layer_name)
        if layer is None:
            raise ResourceNotFound(_NOT_FOUND)
        return layer

    async def get_by_arn(self, ctx: RequestContext, arn: str) -> LayerVersion:
        ref = parse_layer_version_arn(arn)
        if ref.region != ctx.region:
            raise ResourceNotFound(_NOT_FOUND)
        layer = await _readable(self.store, ctx, ref.account, ref.name, ref.version, arn)
        if layer is None:
            raise ResourceNotFound(_NOT_FOUND)
        return layer

    async def delete(self, ctx: RequestContext, layer_name: str, version: int) -> None:
        """DeleteLayerVersion; deleting a version that does not exist succeeds, as in Lambda. Functions using
        the version keep its code."""
        name = parse_layer_name(layer_name, ctx.account_id, ctx.region, "DeleteLayerVersion")
        async with self.store.transaction() as tx:
            layer = await _load(tx, ctx, name, version)
            if layer is None:
                return
            await tx.execute(
                "DELETE FROM lambda_layer_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
                ctx.account_id,
                ctx.region,
                name,
                version,
            )
            await layer_policies.drop(tx, ctx.account_id, ctx.region, name, version)
            await drop_unreferenced(tx, [layer.code.sha256_hex])

    async def list_layers(
        self,
        ctx: RequestContext,
        compatible_runtime: str | None = None,
        compatible_architecture: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> tuple[list[LayerVersion], str | None]:
        """Each layer's latest version matching the filters (ListLayers' LatestMatchingVersion), by layer name."""
        runtime, architecture = compatible_runtime, compatible_architecture
        paging = validation.LISTS.start(ctx, (str,), max_items, marker, runtime, architecture, operation="ListLayers")
        rows = await self.store.fetch_all(
            f"SELECT {_COLUMNS} FROM lambda_layer_versions WHERE account = ? AND region = ? "
            "ORDER BY name, version DESC",
            ctx.account_id,
            ctx.region,
        )
        latest: dict[str, LayerVersion] = {}
        for layer in map(_from_row, rows):
            if layer.name not in latest and _matches(layer, runtime, architecture):
                latest[layer.name] = layer
        return page_of(list(latest.values()), paging, lambda layer: [layer.name])

    async def list_versions(
        self,
        ctx: RequestContext,
        layer_name: str,
        compatible_runtime: str | None = None,
        compatible_architecture: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> tuple[list[LayerVersion], str | None]:
        """A layer's versions, newest first (an unknown layer has none)."""
        name = parse_layer_name(layer_name, ctx.account_id, ctx.region, "ListLayerVersions")
        runtime, architecture = compatible_runtime, compatible_architecture
        paging = validation.LISTS.start(
            ctx, (int,), max_items, marker, name, runtime, architecture, operation="ListLayerVersions"
        )
        rows = await self.store.fetch_all(
            f"SELECT {_COLUMNS} FROM lambda_layer_versions WHERE account = ? AND region = ? AND name = ? "
            "ORDER BY version DESC",
            ctx.account_id,
            ctx.region,
            name,
        )
        found = [layer for layer in map(_from_row, rows) if _matches(layer, runtime, architecture)]
        return page_of(found, paging, lambda layer: [-layer.version])


async def _readable(
    q: Queries, ctx: RequestContext, owner: str, name: str, version: int, named: str
) -> LayerVersion | None:
    """A layer version the caller may read: its own, or another account's whose policy grants the caller
    lambda:GetLayerVersion (AccessDenied otherwise, whether the version exists or not)."""
    if owner != ctx.account_id:
        caller = account_root(ctx.account_id, ctx.region)
        if not await layer_policies.readable(q, caller, owner, ctx.region, name, version):
            raise layer_denied(ctx.account_id, ctx.region, named)
        ctx = dataclasses.replace(ctx, account_id=owner)
    return await _load(q, ctx, name, version)


async def resolve_for_function(q: Queries, ctx: RequestContext, arns: Sequence[str]) -> list[LayerRef]:
    """The layer versions a function lists, checked as CreateFunction / UpdateFunctionConfiguration check them."""
    refs: list[LayerRef] = []
    seen: dict[tuple[str, str], str] = {}
    for arn in arns:
        ref = parse_layer_version_arn(arn, member="layers")
        if ref.region != ctx.region:
            raise InvalidParameterValue(
                f"Layers are not in the same region as the function. Layers are expected to be in region {ctx.region}."
            )
        if (ref.account, ref.name) in seen:
            raise InvalidParameterValue(
                "Two different versions of the same layer are not allowed to be referenced in the same function. "
                f"{seen[(ref.account, ref.name)]} and {arn} are versions of the same layer."
            )
        seen[(ref.account, ref.name)] = arn
        layer = await _readable(q, ctx, ref.account, ref.name, ref.version, arn)
        if layer is None:
            raise InvalidParameterValue(f"Layer version {arn} does not exist.")
        refs.append(LayerRef(layer.arn, layer.code.size, layer.code.unzipped_size, layer.code.sha256_hex))
    return refs
