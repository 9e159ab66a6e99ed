"""Lambda's layer operations: PublishLayerVersion, Get/Delete/ListLayerVersion(s), GetLayerVersionByArn, ListLayers,
and a version's policy: Add/RemoveLayerVersionPermission, GetLayerVersionPolicy."""

from __future__ import annotations

import json
from collections.abc import Mapping

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import Lambda, code_input, lambda_time, listed
from overcast.context import RequestContext
from overcast.functions.layer_policies import LayerGrant
from overcast.functions.records import LayerVersion


def _layer_item(layer: LayerVersion) -> Output:
    """LayerVersionsListItem: a version as the list operations show it."""
    out: Output = {
        "LayerVersionArn": layer.arn,
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": lambda_time(layer.created),
    }
    if layer.compatible_runtimes:
        out["CompatibleRuntimes"] = list(layer.compatible_runtimes)
    if layer.compatible_architectures:
        out["CompatibleArchitectures"] = list(layer.compatible_architectures)
    if layer.license_info is not None:
        out["LicenseInfo"] = layer.license_info
    return out


def _layer_out(s: Lambda, layer: LayerVersion) -> Output:
    """A version as PublishLayerVersion and GetLayerVersion show it: with its layer's ARN and its content."""
    out = _layer_item(layer)
    out["LayerArn"] = layer.layer_arn
    out["Content"] = {
        "Location": s.code_url(layer.code.sha256_hex),
        "CodeSha256": layer.code.code_sha256,
        "CodeSize": layer.code.size,
    }
    return out


async def publish_layer_version(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    layer = await s.registry.layers.publish(
        ctx,
        p["LayerName"],
        code_input(p.get("Content") or {}),
        description=p.get("Description", ""),
        compatible_runtimes=p.get("CompatibleRuntimes") or (),
        compatible_architectures=p.get("CompatibleArchitectures") or (),
        license_info=p.get("LicenseInfo"),
    )
    return _layer_out(s, layer)


async def get_layer_version(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return _layer_out(s, await s.registry.layers.get(ctx, p["LayerName"], int(p["VersionNumber"])))


async def get_layer_version_by_arn(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return _layer_out(s, await s.registry.layers.get_by_arn(ctx, p["Arn"]))


async def delete_layer_version(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.layers.delete(ctx, p["LayerName"], int(p["VersionNumber"]))
    return {}


async def list_layers(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.registry.layers.list_layers(
        ctx, p.get("CompatibleRuntime"), p.get("CompatibleArchitecture"), p.get("Marker"), p.get("MaxItems")
    )
    items = [
        {"LayerName": layer.name, "LayerArn": layer.layer_arn, "LatestMatchingVersion": _layer_item(layer)}
        for layer in found
    ]
    return listed("Layers", items, marker)


async def list_layer_versions(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.registry.layers.list_versions(
        ctx,
        p["LayerName"],
        p.get("CompatibleRuntime"),
        p.get("CompatibleArchitecture"),
        p.get("Marker"),
        p.get("MaxItems"),
    )
    return listed("LayerVersions", [_layer_item(layer) for layer in found], marker)


async def add_layer_version_permission(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    grant = LayerGrant(p["StatementId"], p["Action"], p["Principal"], p.get("OrganizationId"))
    added, revision = await s.registry.layer_policies.add(
        ctx, p["LayerName"], p["VersionNumber"], grant, p.get("RevisionId")
    )
    return {"Statement": json.dumps(added, separators=(",", ":")), "RevisionId": revision}


async def remove_layer_version_permission(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.layer_policies.remove(
        ctx, p["LayerName"], p["VersionNumber"], p["StatementId"], p.get("RevisionId")
    )
    return {}


async def get_layer_version_policy(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    policy, revision = await s.registry.layer_policies.get(ctx, p["LayerName"], p["VersionNumber"])
    return {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": revision}


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "AddLayerVersionPermission": add_layer_version_permission,
    "RemoveLayerVersionPermission": remove_layer_version_permission,
    "GetLayerVersionPolicy": get_layer_version_policy,
    "PublishLayerVersion": publish_layer_version,
    "GetLayerVersion": get_layer_version,
    "GetLayerVersionByArn": get_layer_version_by_arn,
    "DeleteLayerVersion": delete_layer_version,
    "ListLayers": list_layers,
    "ListLayerVersions": list_layer_versions,
}
