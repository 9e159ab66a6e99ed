"""API Gateway v2's CloudFormation types (HTTP and WebSocket APIs): Api (with an OpenAPI Body or quick create),
Route, RouteResponse, Integration, IntegrationResponse, Authorizer, Deployment, Stage, DomainName, ApiMapping
and VpcLink, over the apigatewayv2 operations (operated.py). Ref and Fn::GetAtt as the template reference
documents each type (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_ApiGatewayV2.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.operated import (
    Kind,
    OperatedProvider,
    OperationsOf,
    Output,
    Properties,
    Tagged,
    gone_already,
    pick,
)
from overcast.templates.providers.tags import tag_map

_API = (
    "ApiKeySelectionExpression", "CorsConfiguration", "CredentialsArn", "Description", "DisableExecuteApiEndpoint",
    "DisableSchemaValidation", "IpAddressType", "Name", "ProtocolType", "RouteKey", "RouteSelectionExpression",
    "Target", "Version",
)  # fmt: skip
_QUICK_CREATE = ("Target", "RouteKey", "CredentialsArn")  # UpdateApi does not take them
_API_TAGS = Tagged(lambda p, ref: f"/apis/{ref}", "ResourceArn", "Tags", "TagKeys")


def _api_attributes(out: Output) -> dict[str, Any]:
    return {"ApiEndpoint": out.get("ApiEndpoint", ""), "ApiId": out["ApiId"]}


def _body(p: Properties) -> str:
    body = p["Body"]
    return body if isinstance(body, str) else json.dumps(body)


@dataclass(frozen=True, slots=True)
class ApiProvider:
    """CreateApi, or ImportApi of Body (an OpenAPI definition, as an object or text). Ref: the API's id;
    GetAtt: ApiEndpoint, ApiId."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx, ops = request.properties, request.ctx, await self.operations()
        if "BodyS3Location" in p:
            from overcast.errors import BadRequest

            raise BadRequest("BodyS3Location needs object storage, which Overcast does not have yet: give Body.")
        if "Body" not in p:
            out = await ops["CreateApi"](ctx, {**pick(p, _API), **_tags(p)})
            return Made(out["ApiId"], _api_attributes(out))
        params = {"Body": _body(p), **pick(p, ("FailOnWarnings",))}
        if p.get("BasePath"):
            params["Basepath"] = p["BasePath"]
        out = await ops["ImportApi"](ctx, params)
        made = Made(out["ApiId"], _api_attributes(out))
        try:
            await self._beside_body(request, made.ref, {})
        except BaseException:
            await self.delete(request, made)
            raise
        return made

    async def _beside_body(self, request: ResourceRequest, api_id: str, previous: Mapping[str, Any]) -> None:
        """What a template sets beside Body: the API's own settings over the definition's, and tags."""
        p, ops = request.properties, await self.operations()
        settings = pick(p, tuple(name for name in _API if name not in (*_QUICK_CREATE, "ProtocolType")))
        if settings:
            await ops["UpdateApi"](request.ctx, {"ApiId": api_id, **settings})
        await _API_TAGS.retag(ops, request, api_id, previous)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ctx, ops = request.properties, request.ctx, await self.operations()
        if "Body" in p:
            if p["Body"] != previous.get("Body") or p.get("BasePath") != previous.get("BasePath"):
                params = {"ApiId": current.ref, "Body": _body(p), **pick(p, ("FailOnWarnings",))}
                if p.get("BasePath"):
                    params["Basepath"] = p["BasePath"]
                await ops["ReimportApi"](ctx, params)
            await self._beside_body(request, current.ref, previous)
        else:
            changed = {name for name in _QUICK_CREATE if p.get(name) != previous.get(name)}
            settings = pick(p, tuple(name for name in _API if name not in _QUICK_CREATE or name in changed))
            settings.pop("ProtocolType", None)
            await ops["UpdateApi"](ctx, {"ApiId": current.ref, **settings})
            await _API_TAGS.retag(ops, request, current.ref, previous)
        out = await ops["GetApi"](ctx, {"ApiId": current.ref})
        return Made(current.ref, _api_attributes(out))

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops["DeleteApi"](request.ctx, {"ApiId": current.ref})


def _tags(p: Properties) -> dict[str, Any]:
    return {"Tags": tag_map(p["Tags"])} if p.get("Tags") else {}


def _response_parameters(p: Properties) -> dict[str, Any]:
    """Integration's ResponseParameters: CloudFormation's `{status: {ResponseParameters: [{Destination, Source}]}}`
    as the API's `{status: {destination: source}}`."""
    given = p.get("ResponseParameters")
    if not isinstance(given, Mapping):
        return {}
    converted: dict[str, dict[str, str]] = {}
    for status, entry in given.items():
        items = entry.get("ResponseParameters", []) if isinstance(entry, Mapping) else []
        converted[status] = {item["Destination"]: item["Source"] for item in items}
    return {"ResponseParameters": converted}


def _part(name: str, id_member: str, members: tuple[str, ...], *, extra: Any = None, attributes: bool = True) -> Kind:
    """A part of an API (Route, Integration, Authorizer ...): Create<name> / Update<name> / Delete<name>, its
    id the Ref and (for most) the GetAtt of the same name."""

    def params(p: Properties) -> dict[str, Any]:
        return {"ApiId": p["ApiId"], **pick(p, members), **(extra(p) if extra else {})}

    return Kind(
        create=f"Create{name}",
        update=f"Update{name}",
        delete=f"Delete{name}",
        ref=lambda out: str(out[id_member]),
        keys=lambda p, ref: {"ApiId": p["ApiId"], id_member: ref},
        params=params,
        attributes=(lambda out, ref: {id_member: ref}) if attributes else (lambda out, ref: {}),
    )


ROUTE = _part("Route", "RouteId", (
    "ApiKeyRequired", "AuthorizationScopes", "AuthorizationType", "AuthorizerId", "ModelSelectionExpression",
    "OperationName", "RequestModels", "RequestParameters", "RouteKey", "RouteResponseSelectionExpression", "Target",
))  # fmt: skip
INTEGRATION = _part("Integration", "IntegrationId", (
    "ConnectionId", "ConnectionType", "ContentHandlingStrategy", "CredentialsArn", "Description", "IntegrationMethod",
    "IntegrationSubtype", "IntegrationType", "IntegrationUri", "PassthroughBehavior", "PayloadFormatVersion",
    "RequestParameters", "RequestTemplates", "TemplateSelectionExpression", "TimeoutInMillis", "TlsConfig",
), extra=_response_parameters)  # fmt: skip
AUTHORIZER = _part("Authorizer", "AuthorizerId", (
    "AuthorizerCredentialsArn", "AuthorizerPayloadFormatVersion", "AuthorizerResultTtlInSeconds", "AuthorizerType",
    "AuthorizerUri", "EnableSimpleResponses", "IdentitySource", "IdentityValidationExpression", "JwtConfiguration",
    "Name",
))  # fmt: skip
DEPLOYMENT = _part("Deployment", "DeploymentId", ("Description", "StageName"))


def _response(name: str, id_member: str, owner: str, members: tuple[str, ...]) -> Kind:
    part = _part(name, id_member, members, extra=lambda p: {owner: p[owner]})
    return Kind(
        create=part.create, update=part.update, delete=part.delete, ref=part.ref, params=part.params,
        keys=lambda p, ref: {"ApiId": p["ApiId"], owner: p[owner], id_member: ref}, attributes=lambda out, ref: {},
    )  # fmt: skip


ROUTE_RESPONSE = _response(
    "RouteResponse", "RouteResponseId", "RouteId",
    ("ModelSelectionExpression", "ResponseModels", "ResponseParameters", "RouteResponseKey"),
)  # fmt: skip
INTEGRATION_RESPONSE = _response(
    "IntegrationResponse", "IntegrationResponseId", "IntegrationId",
    ("ContentHandlingStrategy", "IntegrationResponseKey", "ResponseParameters", "ResponseTemplates",
     "TemplateSelectionExpression"),
)  # fmt: skip

_STAGE = (
    "AccessLogSettings", "AutoDeploy", "ClientCertificateId", "DefaultRouteSettings", "DeploymentId", "Description",
    "RouteSettings", "StageName", "StageVariables",
)  # fmt: skip
STAGE = Kind(
    create="CreateStage",
    update="UpdateStage",
    delete="DeleteStage",
    ref=lambda out: str(out["StageName"]),
    keys=lambda p, ref: {"ApiId": p["ApiId"], "StageName": ref},
    params=lambda p: {"ApiId": p["ApiId"], **pick(p, _STAGE), **_tags(p)},
    tagged=Tagged(lambda p, ref: f"/apis/{p['ApiId']}/stages/{ref}", "ResourceArn", "Tags", "TagKeys"),
)


def _domain_attributes(out: Output, ref: str) -> dict[str, Any]:
    config = (out.get("DomainNameConfigurations") or [{}])[0]
    return {
        "DomainName": ref,
        "RegionalDomainName": config.get("ApiGatewayDomainName", ""),
        "RegionalHostedZoneId": config.get("HostedZoneId", ""),
    }


DOMAIN_NAME = Kind(
    create="CreateDomainName",
    update="UpdateDomainName",
    delete="DeleteDomainName",
    ref=lambda out: str(out["DomainName"]),
    keys=lambda p, ref: {"DomainName": ref},
    params=lambda p: {**pick(p, ("DomainName", "DomainNameConfigurations", "MutualTlsAuthentication")), **_tags(p)},
    attributes=_domain_attributes,
    tagged=Tagged(lambda p, ref: f"/domainnames/{ref}", "ResourceArn", "Tags", "TagKeys"),
)
API_MAPPING = Kind(
    create="CreateApiMapping",
    update="UpdateApiMapping",
    delete="DeleteApiMapping",
    ref=lambda out: str(out["ApiMappingId"]),
    keys=lambda p, ref: {"DomainName": p["DomainName"], "ApiMappingId": ref},
    params=lambda p: pick(p, ("ApiId", "ApiMappingKey", "DomainName", "Stage")),
)
VPC_LINK = Kind(
    create="CreateVpcLink",
    update="UpdateVpcLink",
    delete="DeleteVpcLink",
    ref=lambda out: str(out["VpcLinkId"]),
    keys=lambda p, ref: {"VpcLinkId": ref},
    params=lambda p: {**pick(p, ("Name", "SecurityGroupIds", "SubnetIds")), **_tags(p)},
    attributes=lambda out, ref: {"VpcLinkId": ref},
    tagged=Tagged(lambda p, ref: f"/vpclinks/{ref}", "ResourceArn", "Tags", "TagKeys"),
)


def register(providers: Providers, operations: OperationsOf) -> None:
    providers.add("AWS::ApiGatewayV2::Api", ApiProvider(operations))
    kinds = {
        "Route": ROUTE, "RouteResponse": ROUTE_RESPONSE, "Integration": INTEGRATION,
        "IntegrationResponse": INTEGRATION_RESPONSE, "Authorizer": AUTHORIZER, "Deployment": DEPLOYMENT,
        "Stage": STAGE, "DomainName": DOMAIN_NAME, "ApiMapping": API_MAPPING,
        "VpcLink": VPC_LINK,
    }  # fmt: skip
    for name, kind in kinds.items():
        providers.add(f"AWS::ApiGatewayV2::{name}", OperatedProvider(operations, kind))
