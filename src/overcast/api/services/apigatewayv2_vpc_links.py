"""API Gateway v2 operations on VPC links (`overcast.apis.vpc_links`): stored and returned, AVAILABLE.

https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/vpclinks.html
"""

from __future__ import annotations

import dataclasses

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.apigatewayv2_shapes import page_out, page_size
from overcast.apis.httpapi.ids import new_part_id
from overcast.apis.httpapi.pages import LISTS
from overcast.apis.stored import StoredRecords
from overcast.apis.vpc_links import READY, HttpVpcLink
from overcast.context import RequestContext
from overcast.kit.pages import page_of


def link_out(v: HttpVpcLink, tags: dict[str, str]) -> Output:
    return {
        "CreatedDate": v.created,
        "Name": v.name,
        "SecurityGroupIds": list(v.security_group_ids),
        "SubnetIds": list(v.subnet_ids),
        "Tags": tags,
        "VpcLinkId": v.vpc_link_id,
        "VpcLinkStatus": "AVAILABLE",
        "VpcLinkStatusMessage": READY,
        "VpcLinkVersion": "V2",
    }


async def create_vpc_link(s: StoredRecords[HttpVpcLink], ctx: RequestContext, p: Params) -> Output:
    made = HttpVpcLink(
        new_part_id(), p["Name"], tuple(p["SubnetIds"]), tuple(p.get("SecurityGroupIds") or ()), s.clock.now()
    )
    return await _out(s, ctx, await s.add(ctx, made.vpc_link_id, made, tagged=p.get("Tags")))


async def _out(s: StoredRecords[HttpVpcLink], ctx: RequestContext, v: HttpVpcLink) -> Output:
    return link_out(v, await s.tags_of(ctx, v.vpc_link_id))


async def get_vpc_link(s: StoredRecords[HttpVpcLink], ctx: RequestContext, p: Params) -> Output:
    return await _out(s, ctx, await s.get(ctx, p["VpcLinkId"]))


async def get_vpc_links(s: StoredRecords[HttpVpcLink], ctx: RequestContext, p: Params) -> Output:
    every = sorted(await s.all(ctx), key=lambda v: v.vpc_link_id)
    paging = LISTS.start(ctx, (str,), page_size(p), p.get("NextToken"))
    found, token = page_of(every, paging, lambda v: [v.vpc_link_id])
    return page_out([await _out(s, ctx, v) for v in found], token)


async def update_vpc_link(s: StoredRecords[HttpVpcLink], ctx: RequestContext, p: Params) -> Output:
    name = p.get("Name")
    changed = await s.change(ctx, p["VpcLinkId"], lambda v: dataclasses.replace(v, name=name or v.name))
    return await _out(s, ctx, changed)


async def delete_vpc_link(s: StoredRecords[HttpVpcLink], ctx: RequestContext, p: Params) -> Output:
    await s.delete(ctx, p["VpcLinkId"])
    return {}


HANDLERS: dict[str, Unbound[StoredRecords[HttpVpcLink]]] = {
    "CreateVpcLink": create_vpc_link,
    "GetVpcLink": get_vpc_link,
    "GetVpcLinks": get_vpc_links,
    "UpdateVpcLink": update_vpc_link,
    "DeleteVpcLink": delete_vpc_link,
}


def operations(links: StoredRecords[HttpVpcLink]) -> OperationTable:
    """The apigatewayv2 operations on VPC links, to join the apigatewayv2 table."""
    return bind(HANDLERS, links)
