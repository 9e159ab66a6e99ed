"""API Gateway (v1) operations on what is stored and returned: VPC links, client certificates and the
account's settings (a REST API's documentation is `apigateway_documentation`'s).

Part of the apigateway operation table, over its own services object; the records and their rules are
`overcast.apis.vpc_links`, `client_certificates` and `account_settings`.
https://docs.aws.amazon.com/apigateway/latest/api/API_Operations.html
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.apigateway_wire import ops, out, page
from overcast.apis.account_settings import AccountSettings, check_role
from overcast.apis.client_certificates import VALID_DAYS, ClientCertificate, self_signed_pem
from overcast.apis.restapi import patch
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.pages import page_in_memory
from overcast.apis.restapi.patch import Field
from overcast.apis.stored import StoredRecords
from overcast.apis.vpc_links import RestVpcLink, check_targets
from overcast.clock import Clock
from overcast.context import RequestContext

LINK_SPEC: patch.Spec = {"/name": Field(("name",), removable=False), "/description": Field(("description",))}
CERTIFICATE_SPEC: patch.Spec = {"/description": Field(("description",))}
ACCOUNT_SPEC: patch.Spec = {"/cloudwatchRoleArn": Field(("cloudwatch_role_arn",))}
ACCOUNT = "account"  # the one settings record of an account and region
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Stored:
    links: StoredRecords[RestVpcLink]
    certificates: StoredRecords[ClientCertificate]
    accounts: StoredRecords[AccountSettings]
    clock: Clock


# -- VPC links -------------------------------------------------------------------------------------


async def _tagged(records: StoredRecords[R], ctx: RequestContext, item_id: str, record: R) -> Output:
    """A taggable record as AWS returns it: with its tags (from the kit's table)."""
    return {**out(record), "tags": await records.tags_of(ctx, item_id)}


async def create_vpc_link(s: Stored, ctx: RequestContext, p: Params) -> Output:
    made = RestVpcLink(new_id(6), p["name"], check_targets(p["targetArns"]), p.get("description"))
    return await _tagged(s.links, ctx, made.id, await s.links.add(ctx, made.id, made, tagged=p.get("tags")))


async def get_vpc_link(s: Stored, ctx: RequestContext, p: Params) -> Output:
    return await _tagged(s.links, ctx, p["vpcLinkId"], await s.links.get(ctx, p["vpcLinkId"]))


async def get_vpc_links(s: Stored, ctx: RequestContext, p: Params) -> Output:
    found, position = page_in_memory(ctx, await s.links.all(ctx), lambda v: v.id, p.get("limit"), p.get("position"))
    return page([await _tagged(s.links, ctx, v.id, v) for v in found], position)


async def update_vpc_link(s: Stored, ctx: RequestContext, p: Params) -> Output:
    changes = ops(p)
    changed = await s.links.change(ctx, p["vpcLinkId"], lambda v: patch.apply(v, changes, LINK_SPEC))
    return await _tagged(s.links, ctx, changed.id, changed)


async def delete_vpc_link(s: Stored, ctx: RequestContext, p: Params) -> Output:
    await s.links.delete(ctx, p["vpcLinkId"])
    return {}


# -- client certificates ---------------------------------------------------------------------------


async def generate_client_certificate(s: Stored, ctx: RequestContext, p: Params) -> Output:
    now = s.clock.now()
    certificate_id = new_id(6)
    pem = await asyncio.to_thread(self_signed_pem, f"{certificate_id}.client-certificate.apigateway", now)
    made = ClientCertificate(certificate_id, pem, now, now + VALID_DAYS * 86400, p.get("description"))
    added = await s.certificates.add(ctx, certificate_id, made, tagged=p.get("tags"))
    return await _tagged(s.certificates, ctx, certificate_id, added)


async def get_client_certificate(s: Stored, ctx: RequestContext, p: Params) -> Output:
    found = await s.certificates.get(ctx, p["clientCertificateId"])
    return await _tagged(s.certificates, ctx, found.client_certificate_id, found)


async def get_client_certificates(s: Stored, ctx: RequestContext, p: Params) -> Output:
    every = await s.certificates.all(ctx)
    key: Callable[[ClientCertificate], str] = lambda c: c.client_certificate_id  # noqa: E731
    found, position = page_in_memory(ctx, every, key, p.get("limit"), p.get("position"))
    return page([await _tagged(s.certificates, ctx, c.client_certificate_id, c) for c in found], position)


async def update_client_certificate(s: Stored, ctx: RequestContext, p: Params) -> Output:
    changes = ops(p)
    certificate_id = p["clientCertificateId"]
    changed = await s.certificates.change(ctx, certificate_id, lambda c: patch.apply(c, changes, CERTIFICATE_SPEC))
    return await _tagged(s.certificates, ctx, certificate_id, changed)


async def delete_client_certificate(s: Stored, ctx: RequestContext, p: Params) -> Output:
    await s.certificates.delete(ctx, p["clientCertificateId"])
    return {}


# -- the account -----------------------------------------------------------------------------------


def _account_out(a: AccountSettings) -> Output:
    found: Output = {
        "throttleSettings": {"burstLimit": a.burst_limit, "rateLimit": a.rate_limit},
        "features": list(a.features),
        "apiKeyVersion": a.api_key_version,
    }
    return {"cloudwatchRoleArn": a.cloudwatch_role_arn, **found} if a.cloudwatch_role_arn else found


async def get_account(s: Stored, ctx: RequestContext, p: Params) -> Output:
    return _account_out(await s.accounts.find(ctx, ACCOUNT) or AccountSettings())


async def update_account(s: Stored, ctx: RequestContext, p: Params) -> Output:
    changes = ops(p)

    def change(a: AccountSettings) -> AccountSettings:
        changed = patch.apply(a, changes, ACCOUNT_SPEC)
        return dataclasses.replace(changed, cloudwatch_role_arn=check_role(changed.cloudwatch_role_arn))

    if await s.accounts.find(ctx, ACCOUNT) is None:
        return _account_out(await s.accounts.add(ctx, ACCOUNT, change(AccountSettings())))
    return _account_out(await s.accounts.change(ctx, ACCOUNT, change))


HANDLERS: dict[str, Unbound[Stored]] = {
    "CreateVpcLink": create_vpc_link,
    "GetVpcLink": get_vpc_link,
    "GetVpcLinks": get_vpc_links,
    "UpdateVpcLink": update_vpc_link,
    "DeleteVpcLink": delete_vpc_link,
    "GenerateClientCertificate": generate_client_certificate,
    "GetClientCertificate": get_client_certificate,
    "GetClientCertificates": get_client_certificates,
    "UpdateClientCertificate": update_client_certificate,
    "DeleteClientCertificate": delete_client_certificate,
    "GetAccount": get_account,
    "UpdateAccount": update_account,
}


def operations(stored: Stored) -> OperationTable:
    """The apigateway operations on stored-and-returned resources, to join the apigateway table."""
    return bind(HANDLERS, stored)
