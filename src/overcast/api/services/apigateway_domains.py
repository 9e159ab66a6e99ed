"""API Gateway (v1) operations on custom domain names and their base path mappings.

Part of the apigateway operation table, over its own services object (`overcast.apis.domains.Domains`,
shared with apigatewayv2's domain operations). A base path mapping is one of the domain's API mappings:
v1 writes the root path "(none)" and leaves out an empty stage.
https://docs.aws.amazon.com/apigateway/latest/api/API_DomainName.html
https://docs.aws.amazon.com/apigateway/latest/api/API_BasePathMapping.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.apigateway_wire import ops, page
from overcast.apis.domains import (
    ROUTING_MODES,
    SECURITY_POLICIES,
    ApiMapping,
    Domain,
    Domains,
    MutualTls,
    new_domain,
)
from overcast.apis.ip_address_types import IP_ADDRESS_TYPES
from overcast.apis.restapi import patch
from overcast.apis.restapi.pages import page_in_memory
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.context import RequestContext
from overcast.errors import BadRequest

# The paths UpdateDomainName takes (https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html).
DOMAIN_SPEC: patch.Spec = {
    "/certificateName": Field(("certificate_name",)),
    "/certificateArn": Field(("certificate_arn",)),
    "/regionalCertificateName": Field(("regional_certificate_name",)),
    "/regionalCertificateArn": Field(("regional_certificate_arn",)),
    "/endpointConfiguration/types/0": Field(("endpoint_type",), removable=False, choices=("REGIONAL", "EDGE")),
    "/securityPolicy": Field(("security_policy",), removable=False, choices=SECURITY_POLICIES),
    "/mutualTlsAuthentication/truststoreUri": Field(("mutual_tls_authentication", "truststore_uri")),
    "/mutualTlsAuthentication/truststoreVersion": Field(("mutual_tls_authentication", "truststore_version")),
    "/ownershipVerificationCertificateArn": Field(("ownership_verification_certificate_arn",)),
    "/routingMode": Field(("routing_mode",), removable=False, choices=ROUTING_MODES),
    "/endpointConfiguration/ipAddressType": Field(("ip_address_type",), removable=False, choices=IP_ADDRESS_TYPES),
}
MAPPING_SPEC: patch.Spec = {
    "/basePath": Field(("key",), removable=False),
    "/restapiId": Field(("api_id",), removable=False),
    "/stage": Field(("stage",)),
}


def domain_out(d: Domain, tags: dict[str, str]) -> Output:
    found: dict[str, Any] = {
        "domainName": d.domain_name,
        "domainNameArn": d.domain_name_arn,
        "certificateName": d.certificate_name,
        "certificateArn": d.certificate_arn,
        "certificateUploadDate": d.certificate_upload_date,
        "regionalDomainName": d.regional_domain_name,
        "regionalHostedZoneId": d.regional_hosted_zone_id,
        "regionalCertificateName": d.regional_certificate_name,
        "regionalCertificateArn": d.regional_certificate_arn,
        "distributionDomainName": d.distribution_domain_name,
        "distributionHostedZoneId": d.distribution_hosted_zone_id,
        "endpointConfiguration": {"types": [d.endpoint_type], "ipAddressType": d.ip_address_type},
        "domainNameStatus": d.domain_name_status,
        "securityPolicy": d.security_policy,
        "ownershipVerificationCertificateArn": d.ownership_verification_certificate_arn,
        "routingMode": d.routing_mode,
        "tags": tags,
    }
    tls = d.mutual_tls_authentication
    if tls is not None:
        found["mutualTlsAuthentication"] = {
            "truststoreUri": tls.truststore_uri,
            "truststoreVersion": tls.truststore_version,
        }
    return {k: v for k, v in found.items() if v is not None}


def mapping_out(m: ApiMapping) -> Output:
    found = {"basePath": m.key or "(none)", "restApiId": m.api_id}
    return {**found, "stage": m.stage} if m.stage else found


async def create_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    endpoint = p.get("endpointConfiguration") or {}
    types = endpoint.get("types") or []
    if len(types) > 1:
        raise BadRequest("Only one endpoint configuration type is supported for a domain name")
    tls = p.get("mutualTlsAuthentication")
    made = new_domain(
        ctx,
        p["domainName"],
        endpoint_type=types[0] if types else None,
        certificate_name=p.get("certificateName"),
        certificate_arn=p.get("certificateArn"),
        regional_certificate_name=p.get("regionalCertificateName"),
        regional_certificate_arn=p.get("regionalCertificateArn"),
        security_policy=p.get("securityPolicy"),
        mutual_tls=MutualTls(tls.get("truststoreUri"), tls.get("truststoreVersion")) if tls else None,
        ownership_verification_certificate_arn=p.get("ownershipVerificationCertificateArn"),
        routing_mode=p.get("routingMode"),
        ip_address_type=endpoint.get("ipAddressType"),
        now=s.clock.now(),
    )
    return await _out(s, await s.create(ctx, made, p.get("tags")))


async def _out(s: Domains, d: Domain) -> Output:
    return domain_out(d, await s.tags_of(d))


async def get_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    return await _out(s, await s.get(ctx, p["domainName"]))


async def get_domain_names(s: Domains, ctx: RequestContext, p: Params) -> Output:
    every = await s.all(ctx)
    found, position = page_in_memory(ctx, every, lambda d: d.domain_name, p.get("limit"), p.get("position"))
    return page([await _out(s, d) for d in found], position)


async def update_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    changes = ops(p)
    return await _out(s, await s.update(ctx, p["domainName"], lambda d: patch.apply(d, changes, DOMAIN_SPEC)))


async def delete_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    await s.delete(ctx, p["domainName"])
    return {}


async def create_base_path_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    made = await s.map(ctx, p["domainName"], p.get("basePath") or "", p["restApiId"], p.get("stage") or "")
    return mapping_out(made)


async def get_base_path_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    return mapping_out(await s.mapping(ctx, p["domainName"], key=p["basePath"]))


async def get_base_path_mappings(s: Domains, ctx: RequestContext, p: Params) -> Output:
    every = await s.mappings(ctx, p["domainName"])
    found, position = page_in_memory(ctx, every, lambda m: m.key, p.get("limit"), p.get("position"), p["domainName"])
    return page([mapping_out(m) for m in found], position)


def _remapped(m: ApiMapping, changes: list[PatchOperation]) -> ApiMapping:
    changed = patch.apply(m, changes, MAPPING_SPEC)
    return dataclasses.replace(changed, stage=changed.stage or "")


async def update_base_path_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    changes = ops(p)
    found = await s.mapping(ctx, p["domainName"], key=p["basePath"])
    return mapping_out(await s.remap(ctx, p["domainName"], found, lambda m: _remapped(m, changes)))


async def delete_base_path_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    await s.unmap(ctx, p["domainName"], await s.mapping(ctx, p["domainName"], key=p["basePath"]))
    return {}


HANDLERS: dict[str, Unbound[Domains]] = {
    "CreateDomainName": create_domain_name,
    "GetDomainName": get_domain_name,
    "GetDomainNames": get_domain_names,
    "UpdateDomainName": update_domain_name,
    "DeleteDomainName": delete_domain_name,
    "CreateBasePathMapping": create_base_path_mapping,
    "GetBasePathMapping": get_base_path_mapping,
    "GetBasePathMappings": get_base_path_mappings,
    "UpdateBasePathMapping": update_base_path_mapping,
    "DeleteBasePathMapping": delete_base_path_mapping,
}


def operations(domains: Domains) -> OperationTable:
    """The apigateway operations on custom domain names, to join the apigateway table."""
    return bind(HANDLERS, domains)
