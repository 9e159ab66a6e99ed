"""API Gateway's taggable resources beyond each control plane's own: custom domain names, VPC links and
client certificates, under their ARNs (`arn:<partition>:apigateway:<region>::/domainnames/<name>`,
`/vpclinks/<id>`, `/clientcertificates/<id>`), so TagResource, UntagResource and GetTags of both APIs
reach them (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html).
An ARN is resolved in the caller's account and region only, as every API Gateway ARN is.
"""

from __future__ import annotations

from overcast.apis.client_certificates import certificate_not_found
from overcast.apis.domains import domain_exists, domain_not_found
from overcast.apis.stored import stored_exists
from overcast.apis.vpc_links import rest_link_not_found
from overcast.arn import format_arn, parse_arn
from overcast.context import RequestContext
from overcast.kit.tags import Resolve
from overcast.store import Queries

# The stored kinds an ARN path names (a VPC link of either API is under /vpclinks/).
KINDS = {"vpclinks": ("vpclink", "v2vpclink"), "clientcertificates": ("clientcertificate",)}


def resolving(resolve: Resolve) -> Resolve:
    """`resolve` (a control plane's ARN resolver) that also knows domain names, VPC links and client certificates."""

    async def either(q: Queries, ctx: RequestContext, resource_arn: str) -> str:
        arn = parse_arn(resource_arn)
        fields = arn.fields("/") if arn is not None and arn.service == "apigateway" else []
        if arn is None or len(fields) != 2 or fields[0] not in ("domainnames", *KINDS):
            return await resolve(q, ctx, resource_arn)
        mine = arn.region == ctx.region and arn.account in ("", ctx.account_id)
        if fields[0] == "domainnames":
            if not mine or not await domain_exists(q, ctx, fields[1]):
                raise domain_not_found()
            return format_arn("apigateway", ctx.region, "", f"/domainnames/{fields[1].lower()}")
        if not mine or not await stored_exists(q, ctx, KINDS[fields[0]], fields[1]):
            raise (rest_link_not_found if fields[0] == "vpclinks" else certificate_not_found)(fields[1])
        return format_arn("apigateway", ctx.region, "", f"/{fields[0]}/{fields[1]}")

    return either
