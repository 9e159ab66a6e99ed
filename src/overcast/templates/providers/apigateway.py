"""API Gateway v1's CloudFormation types (REST APIs), over the apigateway operations (operated.py).

RestApi (with an OpenAPI Body), Resource, Method, Deployment, Stage, Authorizer, Model, RequestValidator,
GatewayResponse, DocumentationPart and DocumentationVersion; the types outside any one API (keys, plans,
domains, certificates, VPC links, the account) are apigateway_account.py's. The API takes camelCase members
where templates write PascalCase; an update is the patch operations of what changed. Ref and Fn::GetAtt as the template
reference documents each type (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_ApiGateway.html).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.errors import BadRequest
from overcast.templates.providers import apigateway_account as outside_apis
from overcast.templates.providers.apigateway_members import document, members, nested, tags_of
from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.operated import (
    Kind,
    OperatedProvider,
    OperationsOf,
    Patches,
    Properties,
    Tagged,
    gone_already,
    replacing,
    set_members,
    text,
    together,
)

# -- RestApi ----------------------------------------------------------------------------------------

_API_FIELDS = {
    "Name": ("/name", ""), "Description": ("/description", ""), "ApiKeySourceType": ("/apiKeySource", "HEADER"),
    "MinimumCompressionSize": ("/minimumCompressionSize", ""),
    "DisableExecuteApiEndpoint": ("/disableExecuteApiEndpoint", False),
}  # fmt: skip
_API_PATCHES = replacing(_API_FIELDS)


def _api_params(p: Properties) -> dict[str, Any]:
    params = members(p, ("Name", "Description", "BinaryMediaTypes", "MinimumCompressionSize", "CloneFrom",
                         "DisableExecuteApiEndpoint", "EndpointConfiguration"), ("EndpointConfiguration",))  # fmt: skip
    if "ApiKeySourceType" in p:
        params["apiKeySource"] = p["ApiKeySourceType"]
    if "Policy" in p:
        params["policy"] = document(p["Policy"])
    return params


@dataclass(frozen=True, slots=True)
class RestApiProvider:
    """CreateRestApi, or ImportRestApi of Body (OpenAPI or Swagger, an object or text) with the template's
    settings over the definition's. Ref: the API's id; GetAtt RestApiId, RootResourceId."""

    operations: OperationsOf

    async def _made(self, request: ResourceRequest, api_id: str) -> Made:
        ops = await self.operations()
        resources = await ops["GetResources"](request.ctx, {"restApiId": api_id, "limit": 500})
        root = next(item["id"] for item in resources["items"] if item["path"] == "/")
        return Made(api_id, {"RestApiId": api_id, "RootResourceId": root})

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx, ops = request.properties, request.ctx, await self.operations()
        if "BodyS3Location" in p:
            raise BadRequest("BodyS3Location needs object storage, which Overcast does not have yet: give Body.")
        if "Body" not in p:
            out = await ops["CreateRestApi"](ctx, {**_api_params(p), **tags_of(p)})
            return await self._made(request, out["id"])
        out = await ops["ImportRestApi"](ctx, self._body(p))
        made = await self._made(request, out["id"])
        try:
            await self._settings(request, made.ref, {})
        except BaseException:
            await self.delete(request, made)
            raise
        return made

    @staticmethod
    def _body(p: Properties) -> dict[str, Any]:
        params: dict[str, Any] = {"body": document(p["Body"]).encode()}
        if p.get("Parameters"):
            params["parameters"] = dict(p["Parameters"])
        if "FailOnWarnings" in p:
            params["failOnWarnings"] = bool(p["FailOnWarnings"])
        return params

    async def _settings(self, request: ResourceRequest, api_id: str, previous: Properties) -> None:
        """The template's settings beside its Body (they win over the definition's, as on AWS), and tags."""
        p, ctx, ops = request.properties, request.ctx, await self.operations()
        given = {name: field for name, field in _API_FIELDS.items() if name in p}
        changes = replacing(given)(p, {}) if not previous else _API_PATCHES(p, previous)
        if p.get("Policy") != previous.get("Policy"):
            changes.append({"op": "replace", "path": "/policy", "value": document(p.get("Policy", ""))})
        if changes:
            await ops["UpdateRestApi"](ctx, {"restApiId": api_id, "patchOperations": changes})
        await Tagged(lambda p, ref: f"/restapis/{ref}").retag(ops, request, api_id, previous)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        """PutRestApi of a changed Body (`Mode`, overwrite unless the template says merge), then UpdateRestApi."""
        p, ops = request.properties, await self.operations()
        if "Body" in p and (p["Body"] != previous.get("Body") or p.get("Parameters") != previous.get("Parameters")):
            mode = str(p.get("Mode") or "overwrite").lower()
            await ops["PutRestApi"](request.ctx, {"restApiId": current.ref, "mode": mode, **self._body(p)})
        await self._settings(request, current.ref, previous or {"": None})
        return await self._made(request, current.ref)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops["DeleteRestApi"](request.ctx, {"restApiId": current.ref})


# -- Method ---------------------------------------------------------------------------------------

_METHOD = ("ApiKeyRequired", "AuthorizationScopes", "AuthorizerId", "OperationName", "RequestModels",
           "RequestParameters", "RequestValidatorId")  # fmt: skip
_INTEGRATION = ("CacheKeyParameters", "CacheNamespace", "ConnectionId", "ConnectionType", "ContentHandling",
                "Credentials", "IntegrationHttpMethod", "PassthroughBehavior", "RequestParameters",
                "RequestTemplates", "TimeoutInMillis", "Type", "Uri")  # fmt: skip


@dataclass(frozen=True, slots=True)
class MethodProvider:
    """PutMethod, its PutMethodResponse for each MethodResponses entry, PutIntegration and its integration
    responses. Ref: `<rest api id>|<resource id>|<HTTP method>`, the method's identifier in CloudFormation's
    schema (primaryIdentifier). An update puts the method again, as a whole."""

    operations: OperationsOf

    @staticmethod
    def _keys(p: Properties) -> dict[str, Any]:
        return {"restApiId": p["RestApiId"], "resourceId": p["ResourceId"], "httpMethod": str(p["HttpMethod"]).upper()}

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx, ops, keys = request.properties, request.ctx, await self.operations(), self._keys(request.properties)
        method = {**keys, "authorizationType": p.get("AuthorizationType", "NONE"), **members(p, _METHOD)}
        await ops["PutMethod"](ctx, method)
        try:
            for response in p.get("MethodResponses") or ():
                await ops["PutMethodResponse"](ctx, {**keys, **members(response, tuple(response))})
            integration = p.get("Integration")
            if integration:
                params = members(integration, _INTEGRATION)
                if "TlsConfig" in integration:
                    params["tlsConfig"] = nested(integration["TlsConfig"])
                await ops["PutIntegration"](ctx, {**keys, **params})
                for response in integration.get("IntegrationResponses") or ():
                    await ops["PutIntegrationResponse"](ctx, {**keys, **members(response, tuple(response))})
        except BaseException:
            with gone_already():
                await ops["DeleteMethod"](ctx, keys)
            raise
        return Made("|".join(keys.values()))

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        ops = await self.operations()
        with gone_already():
            await ops["DeleteMethod"](request.ctx, self._keys(previous))
        return await self.create(request)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops["DeleteMethod"](request.ctx, self._keys(request.properties))


# -- Deployment and Stage ------------------------------------------------------------------------

_STAGE_SETTINGS = ("CacheClusterEnabled", "CacheClusterSize", "Description", "DocumentationVersion",
                   "TracingEnabled", "Variables")  # fmt: skip
_METHOD_SETTINGS = {
    "MetricsEnabled": "metrics/enabled", "LoggingLevel": "logging/loglevel", "DataTraceEnabled": "logging/dataTrace",
    "ThrottlingBurstLimit": "throttling/burstLimit", "ThrottlingRateLimit": "throttling/rateLimit",
    "CachingEnabled": "caching/enabled", "CacheTtlInSeconds": "caching/ttlInSeconds",
    "CacheDataEncrypted": "caching/dataEncrypted",
}  # fmt: skip


def _stage_patches(p: Properties, previous: Properties) -> list[dict[str, str]]:
    """What UpdateStage changes for a Stage's (or a Deployment's StageDescription's) settings that changed."""
    changes = replacing({
        "DeploymentId": ("/deploymentId", ""), "Description": ("/description", ""),
        "CacheClusterEnabled": ("/cacheClusterEnabled", False), "CacheClusterSize": ("/cacheClusterSize", "0.5"),
        "TracingEnabled": ("/tracingEnabled", False), "ClientCertificateId": ("/clientCertificateId", ""),
        "DocumentationVersion": ("/documentationVersion", ""),
    })(p, previous)  # fmt: skip
    new, old = p.get("Variables") or {}, previous.get("Variables") or {}
    changes += [
        {"op": "replace", "path": f"/variables/{k}", "value": text(v)} for k, v in new.items() if old.get(k) != v
    ]
    changes += [{"op": "remove", "path": f"/variables/{k}"} for k in old if k not in new]
    logs, old_logs = p.get("AccessLogSetting") or {}, previous.get("AccessLogSetting") or {}
    if logs != old_logs:
        if logs:
            for name, path in (("DestinationArn", "destinationArn"), ("Format", "format")):
                changes.append(
                    {"op": "replace", "path": f"/accessLogSettings/{path}", "value": text(logs.get(name, ""))}
                )
        else:
            changes.append({"op": "remove", "path": "/accessLogSettings"})
    for setting in p.get("MethodSettings") or ():
        if setting in (previous.get("MethodSettings") or ()):
            continue
        resource = str(setting.get("ResourcePath", "/*"))
        where = "*" if resource in ("/*", "*") else resource.replace("~", "~0").replace("/", "~1")
        method = setting.get("HttpMethod", "*")
        for name, suffix in _METHOD_SETTINGS.items():
            if name in setting:
                changes.append({"op": "replace", "path": f"/{where}/{method}/{suffix}", "value": text(setting[name])})
    return changes


STAGE = Kind(
    create="CreateStage",
    update="UpdateStage",
    delete="DeleteStage",
    ref=lambda out: str(out["stageName"]),
    keys=lambda p, ref: {"restApiId": p["RestApiId"], "stageName": ref},
    params=lambda p: {
        "restApiId": p["RestApiId"],
        "deploymentId": p.get("DeploymentId", ""),
        **members(p, ("StageName", *_STAGE_SETTINGS)),
        **tags_of(p),
    },
    patches=_stage_patches,
    tagged=Tagged(lambda p, ref: f"/restapis/{p['RestApiId']}/stages/{ref}"),
)
_AFTER_CREATE = ("AccessLogSetting", "MethodSettings", "ClientCertificateId")  # what CreateStage does not take


@dataclass(frozen=True, slots=True)
class StageProvider(OperatedProvider):
    """CreateStage, then UpdateStage for what CreateStage does not take (access logs, method settings, client
    certificate). Ref: the stage's name."""

    async def create(self, request: ResourceRequest) -> Made:
        named = {**request.properties, "StageName": request.properties.get("StageName") or request.physical_name(128)}
        request = dataclasses.replace(request, properties=named)
        made = await OperatedProvider.create(self, request)
        try:  # the rest, as a change from the stage without it
            await self.update(request, made, {k: v for k, v in named.items() if k not in _AFTER_CREATE})
        except BaseException:
            await self.delete(request, made)
            raise
        return made


@dataclass(frozen=True, slots=True)
class DeploymentProvider:
    """CreateDeployment, with the stage StageName and StageDescription describe when given (deleting the
    deployment deletes that stage first, as CloudFormation does). Ref and GetAtt DeploymentId: its id."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx, ops = request.properties, request.ctx, await self.operations()
        params: dict[str, Any] = {"restApiId": p["RestApiId"], **members(p, ("Description", "StageName"))}
        described = p.get("StageDescription") or {}
        if p.get("StageName"):
            params.update(
                members(described, ("CacheClusterEnabled", "CacheClusterSize", "TracingEnabled", "Variables"))
            )
            if "Description" in described:
                params["stageDescription"] = described["Description"]
        out = await ops["CreateDeployment"](ctx, params)
        made = Made(out["id"], {"DeploymentId": out["id"]})
        rest = {k: v for k, v in described.items() if k in ("AccessLogSetting", "MethodSettings", "ClientCertificateId",
                                                              "DocumentationVersion")}  # fmt: skip
        if p.get("StageName") and rest:
            try:
                await ops["UpdateStage"](ctx, {"restApiId": p["RestApiId"], "stageName": p["StageName"],
                                               "patchOperations": _stage_patches(rest, {})})  # fmt: skip
            except BaseException:
                await self.delete(request, made)
                raise
        return made

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ops = request.properties, await self.operations()
        if p.get("Description") != previous.get("Description"):
            change = {"op": "replace", "path": "/description", "value": text(p.get("Description", ""))}
            await ops["UpdateDeployment"](
                request.ctx, {"restApiId": p["RestApiId"], "deploymentId": current.ref, "patchOperations": [change]}
            )
        if p.get("StageName") and p.get("StageDescription") != previous.get("StageDescription"):
            changes = _stage_patches(p.get("StageDescription") or {}, previous.get("StageDescription") or {})
            if changes:
                await ops["UpdateStage"](request.ctx, {"restApiId": p["RestApiId"], "stageName": p["StageName"],
                                                       "patchOperations": changes})  # fmt: skip
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        p, ctx, ops = request.properties, request.ctx, await self.operations()
        if p.get("StageName"):
            with gone_already():
                stage = await ops["GetStage"](ctx, {"restApiId": p["RestApiId"], "stageName": p["StageName"]})
                if stage.get("deploymentId") == current.ref:
                    await ops["DeleteStage"](ctx, {"restApiId": p["RestApiId"], "stageName": p["StageName"]})
        with gone_already():
            await ops["DeleteDeployment"](ctx, {"restApiId": p["RestApiId"], "deploymentId": current.ref})


# -- the parts of a REST API named by an id ------------------------------------------------------------


def _in_api(create: str, update: str, delete: str, id_member: str, patches: Patches, params: Any,
            attribute: str | None, ref: str = "id") -> Kind:  # fmt: skip
    return Kind(
        create=create,
        update=update,
        delete=delete,
        ref=lambda out: str(out[ref]),
        keys=lambda p, made: {"restApiId": p["RestApiId"], id_member: made},
        params=lambda p: {"restApiId": p["RestApiId"], **params(p)},
        attributes=(lambda out, made: {attribute: made}) if attribute else (lambda out, made: {}),
        patches=patches,
    )


RESOURCE = _in_api(
    "CreateResource", "UpdateResource", "DeleteResource", "resourceId",
    replacing({"PathPart": ("/pathPart", ""), "ParentId": ("/parentId", "")}),
    lambda p: members(p, ("ParentId", "PathPart")), "ResourceId",
)  # fmt: skip
AUTHORIZER = _in_api(
    "CreateAuthorizer", "UpdateAuthorizer", "DeleteAuthorizer", "authorizerId",
    together(
        replacing({"Name": ("/name", ""), "Type": ("/type", ""), "AuthorizerUri": ("/authorizerUri", ""),
                   "AuthorizerCredentials": ("/authorizerCredentials", ""), "IdentitySource": ("/identitySource", ""),
                   "IdentityValidationExpression": ("/identityValidationExpression", ""),
                   "AuthorizerResultTtlInSeconds": ("/authorizerResultTtlInSeconds", 300),
                   "AuthType": ("/authType", "")}),
        set_members("ProviderARNs", "/providerARNs"),
    ),
    lambda p: members(p, ("Name", "Type", "ProviderARNs", "AuthType", "AuthorizerUri", "AuthorizerCredentials",
                          "IdentitySource", "IdentityValidationExpression", "AuthorizerResultTtlInSeconds")),
    "AuthorizerId",
)  # fmt: skip
REQUEST_VALIDATOR = _in_api(
    "CreateRequestValidator", "UpdateRequestValidator", "DeleteRequestValidator", "requestValidatorId",
    replacing({"Name": ("/name", ""), "ValidateRequestBody": ("/validateRequestBody", False),
     "ValidateRequestParameters": ("/validateRequestParameters", False)}),
    lambda p: members(p, ("Name", "ValidateRequestBody", "ValidateRequestParameters")), "RequestValidatorId",
)  # fmt: skip
DOCUMENTATION_PART = _in_api(
    "CreateDocumentationPart", "UpdateDocumentationPart", "DeleteDocumentationPart", "documentationPartId",
    replacing({"Properties": ("/properties", "")}),
    lambda p: {"location": nested(p["Location"]), "properties": p["Properties"]}, "DocumentationPartId",
)  # fmt: skip


def _model_params(p: Properties) -> dict[str, Any]:
    params = members(p, ("Name", "Description", "ContentType"))
    params.setdefault("contentType", "application/json")
    if "Schema" in p:
        params["schema"] = document(p["Schema"])
    return params


def _model_patches(p: Properties, previous: Properties) -> list[dict[str, str]]:
    changes = replacing({"Description": ("/description", "")})(p, previous)
    if p.get("Schema") != previous.get("Schema"):
        changes.append({"op": "replace", "path": "/schema", "value": document(p.get("Schema", ""))})
    return changes


MODEL = Kind(
    create="CreateModel",
    update="UpdateModel",
    delete="DeleteModel",
    ref=lambda out: str(out["name"]),
    keys=lambda p, ref: {"restApiId": p["RestApiId"], "modelName": ref},
    params=lambda p: {"restApiId": p["RestApiId"], **_model_params(p)},
    patches=_model_patches,
)


@dataclass(frozen=True, slots=True)
class ModelProvider(OperatedProvider):
    """CreateModel (Schema as an object or text). Ref: the model's name."""

    async def create(self, request: ResourceRequest) -> Made:
        name = request.properties.get("Name") or request.physical_name(128).replace("-", "")  # alphanumeric
        return await OperatedProvider.create(
            self, dataclasses.replace(request, properties={**request.properties, "Name": name})
        )


@dataclass(frozen=True, slots=True)
class GatewayResponseProvider:
    """PutGatewayResponse (an update puts it again). Ref: `<rest api id>|<response type>`."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p, ops = request.properties, await self.operations()
        params = {"restApiId": p["RestApiId"], **members(p, ("ResponseType", "StatusCode", "ResponseParameters",
                                                              "ResponseTemplates"))}  # fmt: skip
        await ops["PutGatewayResponse"](request.ctx, params)
        return Made(f"{p['RestApiId']}|{p['ResponseType']}")

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return await self.create(request)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        p, ops = request.properties, await self.operations()
        with gone_already():
            await ops["DeleteGatewayResponse"](
                request.ctx, {"restApiId": p["RestApiId"], "responseType": p["ResponseType"]}
            )


DOCUMENTATION_VERSION = _in_api(
    "CreateDocumentationVersion", "UpdateDocumentationVersion", "DeleteDocumentationVersion",
    "documentationVersion", replacing({"Description": ("/description", "")}),
    lambda p: members(p, ("DocumentationVersion", "Description")), None, ref="version",
)  # fmt: skip


def register(providers: Providers, operations: OperationsOf) -> None:
    providers.add("AWS::ApiGateway::RestApi", RestApiProvider(operations))
    providers.add("AWS::ApiGateway::Method", MethodProvider(operations))
    providers.add("AWS::ApiGateway::Stage", StageProvider(operations, STAGE))
    providers.add("AWS::ApiGateway::Deployment", DeploymentProvider(operations))
    providers.add("AWS::ApiGateway::Model", ModelProvider(operations, MODEL))
    providers.add("AWS::ApiGateway::GatewayResponse", GatewayResponseProvider(operations))
    kinds = {
        "Resource": RESOURCE, "Authorizer": AUTHORIZER, "RequestValidator": REQUEST_VALIDATOR,
        "DocumentationPart": DOCUMENTATION_PART, "DocumentationVersion": DOCUMENTATION_VERSION,
    }  # fmt: skip
    for name, kind in kinds.items():
        providers.add(f"AWS::ApiGateway::{name}", OperatedProvider(operations, kind))
    outside_apis.register(providers, operations)
