"""API Gateway v2 operations on custom domain names and their API mappings.

The same domains as apigateway's (`overcast.apis.domains.Domains`): v2 describes a domain by its
DomainNameConfigurations (one, REGIONAL for a domain made here) and lists REST base path mappings as
API mappings too.
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/domainnames-domainname.html
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/domainnames-domainname-apimappings.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.apigatewayv2_shapes import page_out, page_size
from overcast.apis.domains import ApiMapping, Domain, Domains, MutualTls, new_domain
from overcast.apis.httpapi.pages import LISTS
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit.pages import page_of

# A domain's ApiMappingSelectionExpression: always the base path
# (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/domainnames-domainname.html).
SELECTION = "$request.basepath"
# v2's RoutingMode values for the domain's (v1-worded) routing mode, and back.
ROUTING_OUT = {
    "BASE_PATH_MAPPING_ONLY": "API_MAPPING_ONLY",
    "ROUTING_RULE_ONLY": "ROUTING_RULE_ONLY",
    "ROUTING_RULE_THEN_BASE_PATH_MAPPING": "ROUTING_RULE_THEN_API_MAPPING",
}
ROUTING_IN = {v2: v1 for v1, v2 in ROUTING_OUT.items()}


def _configuration(d: Domain) -> dict[str, Any]:
    edge = d.endpoint_type == "EDGE"
    found = {
        "ApiGatewayDomainName": d.distribution_domain_name if edge else d.regional_domain_name,
        "CertificateArn": d.certificate_arn if edge else d.regional_certificate_arn,
        "CertificateName": d.certificate_name if edge else d.regional_certificate_name,
        "CertificateUploadDate": d.certificate_upload_date,
        "DomainNameStatus": d.domain_name_status,
        "EndpointType": d.endpoint_type,
        "HostedZoneId": d.distribution_hosted_zone_id if edge else d.regional_hosted_zone_id,
        "IpAddressType": d.ip_address_type,
        "SecurityPolicy": d.security_policy,
        "OwnershipVerificationCertificateArn": d.ownership_verification_certificate_arn,
    }
    return {k: v for k, v in found.items() if v is not None}


def domain_out(d: Domain, tags: dict[str, str]) -> Output:
    found: Output = {
        "ApiMappingSelectionExpression": SELECTION,
        "DomainName": d.domain_name,
        "DomainNameArn": d.domain_name_arn,
        "DomainNameConfigurations": [_configuration(d)],
        "RoutingMode": ROUTING_OUT.get(d.routing_mode, d.routing_mode),
        "Tags": tags,
    }
    tls = d.mutual_tls_authentication
    if tls is not None:
        found["MutualTlsAuthentication"] = {
            k: v for k, v in (("TruststoreUri", tls.truststore_uri), ("TruststoreVersion", tls.truststore_version)) if v
        }
    return found


def mapping_out(m: ApiMapping) -> Output:
    return {"ApiId": m.api_id, "ApiMappingId": m.mapping_id, "ApiMappingKey": m.key, "Stage": m.stage}


def _configured(p: Params) -> dict[str, Any]:
    """DomainNameConfigurations' one configuration as Domain fields (None: not given)."""
    configurations = p.get("DomainNameConfigurations") or []
    if len(configurations) > 1:
        raise BadRequest("Only one DomainNameConfiguration is supported")
    c = configurations[0] if configurations else {}
    edge = c.get("EndpointType") == "EDGE"
    return {
        "endpoint_type": c.get("EndpointType"),
        "certificate_arn": c.get("CertificateArn") if edge else None,
        "certificate_name": c.get("CertificateName") if edge else None,
        "regional_certificate_arn": None if edge else c.get("CertificateArn"),
        "regional_certificate_name": None if edge else c.get("CertificateName"),
        "security_policy": c.get("SecurityPolicy"),
        "ownership_verification_certificate_arn": c.get("OwnershipVerificationCertificateArn"),
        "ip_address_type": c.get("IpAddressType"),
    }


def _tls(p: Params) -> MutualTls | None:
    tls = p.get("MutualTlsAuthentication")
    return MutualTls(tls.get("TruststoreUri"), tls.get("TruststoreVersion")) if tls else None


def _routing(p: Params) -> str | None:
    mode = p.get("RoutingMode")
    return None if mode is None else ROUTING_IN.get(mode, mode)


async def create_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    fields = _configured(p)
    fields["endpoint_type"] = fields["endpoint_type"] or "REGIONAL"  # v2's domains are regional unless asked
    made = new_domain(
        ctx, p["DomainName"], mutual_tls=_tls(p), routing_mode=_routing(p), now=s.clock.now(), **fields,
    )  # fmt: skip
    return await _out(s, await s.create(ctx, made, p.get("Tags")))


async def _out(s: Domains, d: Domain) -> Output:
    return domain_out(d, await s.tags_of(d))


async def get_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    return await _out(s, await s.get(ctx, p["DomainName"]))


async def get_domain_names(s: Domains, ctx: RequestContext, p: Params) -> Output:
    every = await s.all(ctx)
    paging = LISTS.start(ctx, (str,), page_size(p), p.get("NextToken"))
    found, token = page_of(every, paging, lambda d: [d.domain_name])
    return page_out([await _out(s, d) for d in found], token)


async def update_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    given = {k: v for k, v in _configured(p).items() if v is not None} if p.get("DomainNameConfigurations") else {}
    if "MutualTlsAuthentication" in p:
        given["mutual_tls_authentication"] = _tls(p)
    if p.get("RoutingMode"):
        given["routing_mode"] = _routing(p)
    return await _out(s, await s.update(ctx, p["DomainName"], lambda d: dataclasses.replace(d, **given)))


async def delete_domain_name(s: Domains, ctx: RequestContext, p: Params) -> Output:
    await s.delete(ctx, p["DomainName"])
    return {}


async def create_api_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    made = await s.map(ctx, p["DomainName"], p.get("ApiMappingKey") or "", p["ApiId"], p["Stage"])
    return mapping_out(made)


async def get_api_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    return mapping_out(await s.mapping(ctx, p["DomainName"], mapping_id=p["ApiMappingId"]))


async def get_api_mappings(s: Domains, ctx: RequestContext, p: Params) -> Output:
    every = await s.mappings(ctx, p["DomainName"])
    paging = LISTS.start(ctx, (str,), page_size(p), p.get("NextToken"), p["DomainName"].lower())
    found, token = page_of(sorted(every, key=lambda m: m.mapping_id), paging, lambda m: [m.mapping_id])
    return page_out([mapping_out(m) for m in found], token)


async def update_api_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    found = await s.mapping(ctx, p["DomainName"], mapping_id=p["ApiMappingId"])
    given = {"api_id": p["ApiId"]}
    if "ApiMappingKey" in p:
        given["key"] = p["ApiMappingKey"]
    if p.get("Stage"):
        given["stage"] = p["Stage"]
    return mapping_out(await s.remap(ctx, p["DomainName"], found, lambda m: dataclasses.replace(m, **given)))


async def delete_api_mapping(s: Domains, ctx: RequestContext, p: Params) -> Output:
    await s.unmap(ctx, p["DomainName"], await s.mapping(ctx, p["DomainName"], mapping_id=p["ApiMappingId"]))
    return {}


HANDLERS: dict[str, Unbound[Domains]] = {
    "CreateDomainName": create_domain_name,
    "GetDomainName": get_domain_name,
    "GetDomainNames": get_domain_names,
    "UpdateDomainName": update_domain_name,
    "DeleteDomainName": delete_domain_name,
    "CreateApiMapping": create_api_mapping,
    "GetApiMapping": get_api_mapping,
    "GetApiMappings": get_api_mappings,
    "UpdateApiMapping": update_api_mapping,
    "DeleteApiMapping": delete_api_mapping,
}


def operations(domains: Domains) -> OperationTable:
    """The apigatewayv2 operations on custom domain names, to join the apigatewayv2 table."""
    return bind(HANDLERS, domains)
