"""Lambda's layer types: AWS::Lambda::LayerVersion and AWS::Lambda::LayerVersionPermission.

Both are immutable in CloudFormation (every property create-only): a change makes a new one and
removes the old (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-layerversion.html).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.errors import ResourceNotFound
from overcast.functions.code import CodeInput
from overcast.functions.layer_policies import LayerGrant
from overcast.functions.names import parse_layer_version_arn
from overcast.functions.registry import Registry
from overcast.templates.providers.base import Made, Providers, ResourceRequest


@dataclass(frozen=True, slots=True)
class LayerVersionProvider:
    """PublishLayerVersion from Content {S3Bucket, S3Key, S3ObjectVersion} (`overcast-artifacts` for what
    `overcast deploy` uploaded). Ref and GetAtt LayerVersionArn: the layer version's ARN."""

    registry: Registry

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        content = p.get("Content") or {}
        layer = await self.registry.layers.publish(
            request.ctx,
            p.get("LayerName") or request.physical_name(64),
            CodeInput(
                s3_bucket=content.get("S3Bucket"),
                s3_key=content.get("S3Key"),
                s3_object_version=content.get("S3ObjectVersion"),
            ),
            description=p.get("Description", ""),
            compatible_runtimes=p.get("CompatibleRuntimes") or (),
            compatible_architectures=p.get("CompatibleArchitectures") or (),
            license_info=p.get("LicenseInfo"),
        )
        return Made(layer.arn, {"LayerVersionArn": layer.arn})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return current  # nothing changes in place

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ref = parse_layer_version_arn(current.ref)
        await self.registry.layers.delete(request.ctx, ref.name, ref.version)  # absent: no error, as Lambda


@dataclass(frozen=True, slots=True)
class LayerVersionPermissionProvider:
    """AddLayerVersionPermission, with a statement id CloudFormation makes. Ref and GetAtt Id:
    `<layer version ARN>#<statement id>`
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-layerversionpermission.html)."""

    registry: Registry

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        arn = p["LayerVersionArn"]
        ref = parse_layer_version_arn(arn, "LayerVersionArn")
        statement_id = request.physical_name(100)
        grant = LayerGrant(statement_id, p["Action"], p["Principal"], p.get("OrganizationId"))
        await self.registry.layer_policies.add(request.ctx, ref.name, ref.version, grant, None)
        made = f"{arn}#{statement_id}"
        return Made(made, {"Id": made})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        arn, _, statement_id = current.ref.partition("#")
        ref = parse_layer_version_arn(arn)
        with contextlib.suppress(ResourceNotFound):
            await self.registry.layer_policies.remove(request.ctx, ref.name, ref.version, statement_id, None)


def register(providers: Providers, registry: Registry) -> None:
    providers.add("AWS::Lambda::LayerVersion", LayerVersionProvider(registry))
    providers.add("AWS::Lambda::LayerVersionPermission", LayerVersionPermissionProvider(registry))
