"""API Gateway v1's types that stand outside any one REST API: API keys, usage plans and their keys, custom domain
names and base path mappings, client certificates, VPC links, and the account's CloudWatch role.

Over the apigateway operations (operated.py), as apigateway.py's; Ref and Fn::GetAtt as the template reference
documents each type (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_ApiGateway.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.templates.providers.apigateway_members import lower, members, nested, tags_of
from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.operated import (
    Kind,
    OperatedProvider,
    OperationsOf,
    Output,
    Properties,
    Tagged,
    replacing,
    set_members,
    text,
    together,
)

# -- keys, plans and domains (not inside one API) ------------------------------------------------------

API_KEY = Kind(
    create="CreateApiKey",
    update="UpdateApiKey",
    delete="DeleteApiKey",
    ref=lambda out: str(out["id"]),
    keys=lambda p, ref: {"apiKey": ref},
    params=lambda p: {
        **members(
            p,
            ("Name", "Description", "Enabled", "GenerateDistinctId", "Value", "CustomerId", "StageKeys"),
            ("StageKeys",),
        ),
        **tags_of(p),
    },
    attributes=lambda out, ref: {"APIKeyId": ref},
    patches=together(
        replacing(
            {
                "Name": ("/name", ""),
                "Description": ("/description", ""),
                "Enabled": ("/enabled", False),
                "CustomerId": ("/customerId", ""),
            }
        ),
        set_members("StageKeys", "/stages", lambda k: f"{k['RestApiId']}/{k['StageName']}"),
    ),
    tagged=Tagged(lambda p, ref: f"/apikeys/{ref}"),
)


def _plan_params(p: Properties) -> dict[str, Any]:
    params = members(p, ("Description", "Throttle", "Quota"), ("Throttle", "Quota"))
    if "UsagePlanName" in p:
        params["name"] = p["UsagePlanName"]
    if p.get("ApiStages"):
        params["apiStages"] = [
            {
                "apiId": s["ApiId"],
                "stage": s["Stage"],
                **({"throttle": nested(s["Throttle"])} if s.get("Throttle") else {}),
            }
            for s in p["ApiStages"]
        ]
    return {**params, **tags_of(p)}


_PLAN_STAGES = set_members("ApiStages", "/apiStages", lambda s: f"{s['ApiId']}:{s['Stage']}")


def _plan_patches(p: Properties, previous: Properties) -> list[dict[str, str]]:
    """UpdateUsagePlan's patch operations: name, description, throttle and quota fields, and API stages added
    or removed (`/apiStages` with `apiId:stage`)."""
    changes = replacing({"UsagePlanName": ("/name", ""), "Description": ("/description", "")})(p, previous)
    for structure, fields in (("Throttle", ("BurstLimit", "RateLimit")), ("Quota", ("Limit", "Offset", "Period"))):
        new, old = p.get(structure) or {}, previous.get(structure) or {}
        if new != old and not new:
            changes.append({"op": "remove", "path": f"/{lower(structure)}"})
        elif new != old:
            path = f"/{lower(structure)}/"
            changes += [{"op": "replace", "path": path + lower(f), "value": text(new[f])} for f in fields if f in new]
    return changes + _PLAN_STAGES(p, previous)


USAGE_PLAN = Kind(
    create="CreateUsagePlan",
    update="UpdateUsagePlan",
    delete="DeleteUsagePlan",
    ref=lambda out: str(out["id"]),
    keys=lambda p, ref: {"usagePlanId": ref},
    params=_plan_params,
    attributes=lambda out, ref: {"Id": ref},
    patches=_plan_patches,
    tagged=Tagged(lambda p, ref: f"/usageplans/{ref}"),
)
USAGE_PLAN_KEY = Kind(
    create="CreateUsagePlanKey",
    delete="DeleteUsagePlanKey",
    ref=lambda out: str(out["id"]),
    keys=lambda p, ref: {"usagePlanId": p["UsagePlanId"], "keyId": ref},
    params=lambda p: {"usagePlanId": p["UsagePlanId"], "keyId": p["KeyId"], "keyType": p.get("KeyType", "API_KEY")},
    attributes=lambda out, ref: {"Id": ref},
)


def _domain_attributes(out: Output, ref: str) -> dict[str, Any]:
    return {
        "DistributionDomainName": out.get("distributionDomainName", ""),
        "DistributionHostedZoneId": out.get("distributionHostedZoneId", ""),
        "RegionalDomainName": out.get("regionalDomainName", ""),
        "RegionalHostedZoneId": out.get("regionalHostedZoneId", ""),
    }


DOMAIN_NAME = Kind(
    create="CreateDomainName",
    update="UpdateDomainName",
    delete="DeleteDomainName",
    ref=lambda out: str(out["domainName"]),
    keys=lambda p, ref: {"domainName": ref},
    params=lambda p: {
        **members(
            p,
            (
                "DomainName",
                "CertificateArn",
                "RegionalCertificateArn",
                "SecurityPolicy",
                "EndpointConfiguration",
                "MutualTlsAuthentication",
                "OwnershipVerificationCertificateArn",
            ),
            ("EndpointConfiguration", "MutualTlsAuthentication"),
        ),
        **tags_of(p),
    },
    attributes=_domain_attributes,
    patches=replacing(
        {
            "CertificateArn": ("/certificateArn", ""),
            "RegionalCertificateArn": ("/regionalCertificateArn", ""),
            "SecurityPolicy": ("/securityPolicy", "TLS_1_2"),
        }
    ),
    tagged=Tagged(lambda p, ref: f"/domainnames/{ref}"),
)
BASE_PATH_MAPPING = Kind(
    create="CreateBasePathMapping",
    update="UpdateBasePathMapping",
    delete="DeleteBasePathMapping",
    ref=lambda out: str(out.get("basePath") or "(none)"),
    keys=lambda p, ref: {"domainName": p["DomainName"], "basePath": ref},
    params=lambda p: members(p, ("DomainName", "BasePath", "RestApiId", "Stage")),
    patches=replacing({"RestApiId": ("/restapiId", ""), "Stage": ("/stage", "")}),
)


CLIENT_CERTIFICATE = Kind(
    create="GenerateClientCertificate",
    update="UpdateClientCertificate",
    delete="DeleteClientCertificate",
    ref=lambda out: str(out["clientCertificateId"]),
    keys=lambda p, ref: {"clientCertificateId": ref},
    params=lambda p: {**members(p, ("Description",)), **tags_of(p)},
    patches=replacing({"Description": ("/description", "")}),
    tagged=Tagged(lambda p, ref: f"/clientcertificates/{ref}"),
)
VPC_LINK = Kind(
    create="CreateVpcLink",
    update="UpdateVpcLink",
    delete="DeleteVpcLink",
    ref=lambda out: str(out["id"]),
    keys=lambda p, ref: {"vpcLinkId": ref},
    params=lambda p: {**members(p, ("Name", "Description", "TargetArns")), **tags_of(p)},
    attributes=lambda out, ref: {"VpcLinkId": ref},
    patches=replacing({"Name": ("/name", ""), "Description": ("/description", "")}),
    tagged=Tagged(lambda p, ref: f"/vpclinks/{ref}"),
)


@dataclass(frozen=True, slots=True)
class AccountProvider:
    """UpdateAccount's CloudWatch role (one per account and Region: deleting the resource leaves it, as AWS
    does). Ref: the account's id in API Gateway (`cloudwatchRoleArn` holder)."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        return await self.update(request, Made(""), {})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        ops = await self.operations()
        change = {
            "op": "replace",
            "path": "/cloudwatchRoleArn",
            "value": text(request.properties.get("CloudWatchRoleArn", "")),
        }
        await ops["UpdateAccount"](request.ctx, {"patchOperations": [change]})
        return Made(current.ref or request.physical_name(64))

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        return None


def register(providers: Providers, operations: OperationsOf) -> None:
    providers.add("AWS::ApiGateway::Account", AccountProvider(operations))
    kinds = {
        "ApiKey": API_KEY, "UsagePlan": USAGE_PLAN, "UsagePlanKey": USAGE_PLAN_KEY, "DomainName": DOMAIN_NAME,
        "BasePathMapping": BASE_PATH_MAPPING, "ClientCertificate": CLIENT_CERTIFICATE, "VpcLink": VPC_LINK,
    }  # fmt: skip
    for name, kind in kinds.items():
        providers.add(f"AWS::ApiGateway::{name}", OperatedProvider(operations, kind))
