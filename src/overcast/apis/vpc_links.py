"""VPC links of both API Gateway APIs: stored and returned, AVAILABLE at once, since no VPC exists to link.

A REST API's VpcLink names network load balancers (targetArns); an HTTP API's names subnets and
security groups. Overcast's integrations reach their backends directly, so a link changes nothing.
https://docs.aws.amazon.com/apigateway/latest/api/API_VpcLink.html
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/vpclinks-vpclinkid.html
"""

from __future__ import annotations

from dataclasses import dataclass

from overcast.apis.errors import NotFound
from overcast.errors import BadRequest

# What an HTTP API's VPC link says once it can route (VpcLinkStatusMessage).
READY = "VPC link is ready to route traffic"


@dataclass(frozen=True, slots=True)
class RestVpcLink:
    id: str
    name: str
    target_arns: tuple[str, ...]
    description: str | None = None
    status: str = "AVAILABLE"
    status_message: str | None = None


@dataclass(frozen=True, slots=True)
class HttpVpcLink:
    vpc_link_id: str
    name: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...] = ()
    created: float = 0.0


def rest_link_not_found(link_id: str) -> NotFound:
    return NotFound(f"Invalid vpc link identifier specified {link_id}")


def http_link_not_found(link_id: str) -> NotFound:
    return NotFound(f"Invalid VpcLink identifier specified {link_id}", fields={"ResourceType": "VpcLink"})


def check_targets(target_arns: list[str]) -> tuple[str, ...]:
    """A REST VPC link names exactly one network load balancer (API_CreateVpcLink: targetArns)."""
    if len(target_arns) != 1:
        raise BadRequest("Exactly one target ARN must be specified for a VPC link")
    if not target_arns[0].startswith("arn:") or ":elasticloadbalancing:" not in target_arns[0]:
        raise BadRequest(f"Invalid target ARN {target_arns[0]}: it must be a network load balancer's ARN")
    return tuple(target_arns)
