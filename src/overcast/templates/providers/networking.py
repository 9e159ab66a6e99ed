"""Networking-only types (VPC, Subnet, SecurityGroup, ...): placeholders, since they mean nothing on one host.

Ref answers an id of the type's own shape (`vpc-0123...`, `subnet-...`), so templates that pass them on
(a function's VpcConfig) still deploy; any Fn::GetAtt answers a placeholder of the same kind.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from overcast.templates.providers.base import Made, ResourceRequest

_PREFIXES = {
    "AWS::EC2::VPC": "vpc", "AWS::EC2::Subnet": "subnet", "AWS::EC2::SecurityGroup": "sg",
    "AWS::EC2::RouteTable": "rtb", "AWS::EC2::InternetGateway": "igw", "AWS::EC2::VPCEndpoint": "vpce",
    "AWS::EC2::NatGateway": "nat", "AWS::EC2::EIP": "eipalloc", "AWS::EC2::NetworkAcl": "acl",
    "AWS::EC2::EgressOnlyInternetGateway": "eigw", "AWS::EC2::DHCPOptions": "dopt",
}  # fmt: skip


class Attributes(Mapping[str, Any]):
    """Every attribute a networking placeholder is asked for: a placeholder derived from its id."""

    def __init__(self, ref: str) -> None:
        self.ref = ref

    def __getitem__(self, name: str) -> Any:
        return f"{self.ref}-{name}"

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


class Placeholders:
    """The provider of every networking-only type: nothing is made."""

    async def create(self, request: ResourceRequest) -> Made:
        prefix = _PREFIXES.get(request.resource_type)
        ref = f"{prefix}-{secrets.token_hex(9)[:17]}" if prefix else request.physical_name()
        return Made(ref, {})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        return None
