"""The cross-account matrix: what account B is answered when an operation names account A's resource.

`MATRIX` holds, for every operation that takes a name, id or ARN, the parameters naming A's
resource (built by `cross_account_world.build`) and AWS's answer to B:

- by name or id, B's lookup happens in B's account, where the resource does not exist: Lambda's and
  Logs' ResourceNotFoundException, API Gateway's NotFoundException, Step Functions'
  StateMachineDoesNotExist and its kin. API Gateway's ARNs name no account, so they are read as B's.
- by a full ARN of A's account: AccessDeniedException where the service can only share through a
  resource-based policy and A granted none. Cross-account access needs the resource's own policy to
  allow it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
  Step Functions has no resource-based policies at all
  (https://docs.aws.amazon.com/step-functions/latest/dg/security_iam_service-with-iam.html), and a
  Lambda function or layer only through the grants AddPermission / AddLayerVersionPermission make
  (https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html,
  https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html).
  `own` is the answer to the same ARN with B's account in it: then the name is looked up in B's
  account, and not found.

`NAMELESS` lists, with a comment each, the operations that name no existing resource; the lists among
them are called by B too and must not show anything of A's. Every operation of every table Overcast
serves is in one of the two (test_cross_account_matrix checks it), so an operation added later without
its entry fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.api.services.cross_account_world import B, Resources, rest_arn
from tests.functions.zips import handler_zip

DENIED = "AccessDeniedException"
NOT_FOUND = "ResourceNotFoundException"  # Lambda, Logs
SFN_NOT_FOUND = "ResourceNotFound"  # Step Functions' aliases, versions and tags
GONE = "NotFoundException"  # API Gateway (REST and HTTP APIs)
MACHINE_GONE, ACTIVITY_GONE, EXECUTION_GONE = (
    "StateMachineDoesNotExist",
    "ActivityDoesNotExist",
    "ExecutionDoesNotExist",
)
B_ROLE = f"arn:aws:iam::{B}:role/r"
B_AUTHORIZER = (
    f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{B}:function:b/invocations"
)
PASS = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'

Params = Callable[[Resources], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    params: Params  # the call's parameters, naming A's resource
    code: str  # B's answer: an error code
    own: str | None = None  # the answer when every ARN in `params` names B's account instead (None: not tried)
    gap: str = ""  # a known gap, in code another change owns: the case is xfail(strict) with this reason


def _lambda(code: Params, own: str = NOT_FOUND, gap: str = "") -> Case:
    return Case(code, DENIED, own, gap)


FN: Params = lambda r: {"FunctionName": r["function_arn"]}  # noqa: E731
ALIAS: Params = lambda r: {"FunctionName": r["function_arn"], "Qualifier": "live"}  # noqa: E731

LAMBDA: dict[str, tuple[Case, ...]] = {
    "CreateFunction": (
        Case(
            lambda r: {
                "FunctionName": "b-" + r["function"],
                "Role": B_ROLE,
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Code": {"ZipFile": handler_zip()},
                "Layers": [r["layer_version_arn"]],
            },
            DENIED,
        ),
    ),
    "DeleteFunction": (_lambda(FN),),
    "GetFunction": (_lambda(FN), Case(lambda r: {"FunctionName": r["function"]}, NOT_FOUND)),
    "GetFunctionConfiguration": (_lambda(FN),),
    "ListVersionsByFunction": (_lambda(FN),),
    "PublishVersion": (_lambda(FN),),
    "UpdateFunctionCode": (_lambda(lambda r: {**FN(r), "ZipFile": handler_zip("def handler(e, c):\n    return 1\n")}),),
    "UpdateFunctionConfiguration": (_lambda(lambda r: {**FN(r), "Description": "b was here"}),),
    "ListTags": (_lambda(lambda r: {"Resource": r["function_arn"]}), _lambda(lambda r: {"Resource": r["mapping_arn"]})),
    "TagResource": (
        _lambda(lambda r: {"Resource": r["function_arn"], "Tags": {"owner": "b"}}),
        _lambda(lambda r: {"Resource": r["mapping_arn"], "Tags": {"owner": "b"}}),
    ),
    "UntagResource": (
        _lambda(lambda r: {"Resource": r["function_arn"], "TagKeys": ["owner"]}),
        _lambda(lambda r: {"Resource": r["mapping_arn"], "TagKeys": ["owner"]}),
    ),
    "CreateAlias": (_lambda(lambda r: {**FN(r), "Name": "b", "FunctionVersion": "1"}),),
    "DeleteAlias": (_lambda(lambda r: {**FN(r), "Name": "live"}),),
    "GetAlias": (_lambda(lambda r: {**FN(r), "Name": "live"}),),
    "ListAliases": (_lambda(FN),),
    "UpdateAlias": (_lambda(lambda r: {**FN(r), "Name": "live", "Description": "b was here"}),),
    "GetLayerVersion": (_lambda(lambda r: {"LayerName": r["layer_arn"], "VersionNumber": 1}),),
    "GetLayerVersionByArn": (_lambda(lambda r: {"Arn": r["layer_version_arn"]}),),
    # B's own layer of that name does not exist, which these two answer as success (nothing deleted,
    # no versions), so only the other account's ARN is tried.
    "DeleteLayerVersion": (Case(lambda r: {"LayerName": r["layer_arn"], "VersionNumber": 1}, DENIED),),
    "ListLayerVersions": (Case(lambda r: {"LayerName": r["layer_arn"]}, DENIED),),
    # A layer version's policy is its owner's to change or read.
    "AddLayerVersionPermission": (
        _lambda(
            lambda r: {
                "LayerName": r["layer_arn"],
                "VersionNumber": 1,
                "StatementId": "b",
                "Action": "lambda:GetLayerVersion",
                "Principal": B,
            }
        ),
    ),
    "RemoveLayerVersionPermission": (
        _lambda(lambda r: {"LayerName": r["layer_arn"], "VersionNumber": 1, "StatementId": "b"}),
    ),
    "GetLayerVersionPolicy": (_lambda(lambda r: {"LayerName": r["layer_arn"], "VersionNumber": 1}),),
    "Invoke": (_lambda(FN), _lambda(ALIAS)),
    "InvokeWithResponseStream": (_lambda(FN),),
    "InvokeAsync": (_lambda(lambda r: {**FN(r), "InvokeArgs": b"{}"}),),
    "PutFunctionConcurrency": (_lambda(lambda r: {**FN(r), "ReservedConcurrentExecutions": 1}),),
    "GetFunctionConcurrency": (_lambda(FN),),
    "DeleteFunctionConcurrency": (_lambda(FN),),
    "PutProvisionedConcurrencyConfig": (_lambda(lambda r: {**ALIAS(r), "ProvisionedConcurrentExecutions": 1}),),
    "GetProvisionedConcurrencyConfig": (_lambda(ALIAS),),
    "DeleteProvisionedConcurrencyConfig": (_lambda(ALIAS),),
    "ListProvisionedConcurrencyConfigs": (_lambda(FN),),
    # A function's resource-based policy is its owner's to change or read
    # (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
    "AddPermission": (
        _lambda(lambda r: {**FN(r), "StatementId": "b", "Action": "lambda:InvokeFunction", "Principal": B}),
    ),
    "GetPolicy": (_lambda(FN),),
    "RemovePermission": (_lambda(lambda r: {**FN(r), "StatementId": "b"}),),
    # A function URL is its owner's to make, read and change (the URL itself answers whoever calls it).
    "CreateFunctionUrlConfig": (_lambda(lambda r: {**FN(r), "AuthType": "NONE"}),),
    "GetFunctionUrlConfig": (_lambda(FN),),
    "UpdateFunctionUrlConfig": (_lambda(lambda r: {**FN(r), "Cors": {"AllowOrigins": ["*"]}}),),
    "DeleteFunctionUrlConfig": (_lambda(FN),),
    "ListFunctionUrlConfigs": (_lambda(FN),),
    "GetFunctionRecursionConfig": (_lambda(FN),),
    "PutFunctionRecursionConfig": (_lambda(lambda r: {**FN(r), "RecursiveLoop": "Allow"}),),
    "GetRuntimeManagementConfig": (_lambda(FN),),
    "PutRuntimeManagementConfig": (_lambda(lambda r: {**FN(r), "UpdateRuntimeOn": "FunctionUpdate"}),),
    # An event invoke config is its function owner's to set, read and remove.
    "PutFunctionEventInvokeConfig": (_lambda(lambda r: {**FN(r), "MaximumRetryAttempts": 1}),),
    "GetFunctionEventInvokeConfig": (_lambda(FN),),
    "UpdateFunctionEventInvokeConfig": (_lambda(lambda r: {**FN(r), "MaximumRetryAttempts": 0}),),
    "DeleteFunctionEventInvokeConfig": (_lambda(FN),),
    "ListFunctionEventInvokeConfigs": (_lambda(FN),),
    # A mapping is found by its UUID in the caller's account only; A's function cannot be mapped or listed by B.
    "CreateEventSourceMapping": (_lambda(lambda r: {**FN(r), "EventSourceArn": f"arn:aws:sqs:us-east-1:{B}:q"}),),
    "GetEventSourceMapping": (Case(lambda r: {"UUID": r["mapping_uuid"]}, NOT_FOUND),),
    "UpdateEventSourceMapping": (Case(lambda r: {"UUID": r["mapping_uuid"], "BatchSize": 5}, NOT_FOUND),),
    "DeleteEventSourceMapping": (Case(lambda r: {"UUID": r["mapping_uuid"]}, NOT_FOUND),),
    "ListEventSourceMappings": (Case(FN, DENIED),),
}


def _sfn(params: Params, own: str | None) -> Case:
    return Case(params, DENIED, own)


MACHINE: Params = lambda r: {"stateMachineArn": r["machine_arn"]}  # noqa: E731
EXECUTION: Params = lambda r: {"executionArn": r["execution_arn"]}  # noqa: E731
ACTIVITY: Params = lambda r: {"activityArn": r["activity_arn"]}  # noqa: E731
ALIAS_ARN: Params = lambda r: {"stateMachineAliasArn": r["machine_alias_arn"]}  # noqa: E731
TOKEN: Params = lambda r: {"taskToken": r["task_token"]}  # noqa: E731
MAP_RUN: Params = lambda r: {"mapRunArn": r["map_run_arn"]}  # noqa: E731

STEP_FUNCTIONS: dict[str, tuple[Case, ...]] = {
    # B's new machine logging into A's log group: delivery there is refused when the machine is made.
    "CreateStateMachine": (
        Case(
            lambda r: {
                "name": "b-" + r["machine"],
                "definition": PASS,
                "roleArn": B_ROLE,
                "loggingConfiguration": {
                    "level": "ALL",
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": r["log_group_arn"] + ":*"}}],
                },
            },
            DENIED,
        ),
    ),
    "DescribeStateMachine": (
        _sfn(MACHINE, MACHINE_GONE),
        _sfn(lambda r: {"stateMachineArn": r["machine_version_arn"]}, SFN_NOT_FOUND),
    ),
    "UpdateStateMachine": (_sfn(lambda r: {**MACHINE(r), "definition": PASS}, MACHINE_GONE),),
    "DeleteStateMachine": (_sfn(MACHINE, None),),
    "PublishStateMachineVersion": (_sfn(MACHINE, MACHINE_GONE),),
    "ListStateMachineVersions": (_sfn(MACHINE, MACHINE_GONE),),
    "DeleteStateMachineVersion": (_sfn(lambda r: {"stateMachineVersionArn": r["machine_version_arn"]}, None),),
    "ListStateMachineAliases": (_sfn(MACHINE, MACHINE_GONE),),
    "CreateStateMachineAlias": (
        _sfn(
            lambda r: {
                "name": "b",
                "routingConfiguration": [{"stateMachineVersionArn": r["machine_version_arn"], "weight": 100}],
            },
            SFN_NOT_FOUND,
        ),
    ),
    "DescribeStateMachineAlias": (_sfn(ALIAS_ARN, SFN_NOT_FOUND),),
    "UpdateStateMachineAlias": (_sfn(lambda r: {**ALIAS_ARN(r), "description": "b"}, SFN_NOT_FOUND),),
    "DeleteStateMachineAlias": (_sfn(ALIAS_ARN, None),),
    "StartExecution": (
        _sfn(MACHINE, MACHINE_GONE),
        _sfn(lambda r: {"stateMachineArn": r["machine_alias_arn"]}, SFN_NOT_FOUND),
    ),
    "StartSyncExecution": (_sfn(MACHINE, MACHINE_GONE),),
    "ListExecutions": (
        _sfn(MACHINE, MACHINE_GONE),
        _sfn(lambda r: {"stateMachineArn": r["machine_alias_arn"]}, MACHINE_GONE),
        _sfn(MAP_RUN, SFN_NOT_FOUND),
    ),
    "DescribeExecution": (_sfn(EXECUTION, EXECUTION_GONE),),
    "DescribeMapRun": (_sfn(MAP_RUN, SFN_NOT_FOUND),),
    "ListMapRuns": (_sfn(EXECUTION, EXECUTION_GONE),),
    "UpdateMapRun": (_sfn(lambda r: {**MAP_RUN(r), "maxConcurrency": 1}, SFN_NOT_FOUND),),
    "DescribeStateMachineForExecution": (_sfn(EXECUTION, EXECUTION_GONE),),
    "GetExecutionHistory": (_sfn(EXECUTION, EXECUTION_GONE),),
    "StopExecution": (_sfn(EXECUTION, EXECUTION_GONE),),
    "RedriveExecution": (_sfn(EXECUTION, EXECUTION_GONE),),
    "DescribeActivity": (_sfn(ACTIVITY, ACTIVITY_GONE),),
    "DeleteActivity": (_sfn(ACTIVITY, None),),
    "GetActivityTask": (_sfn(ACTIVITY, ACTIVITY_GONE),),
    # A task token names A's task, though it holds no ARN: in B's account it names no task.
    "SendTaskSuccess": (Case(lambda r: {**TOKEN(r), "output": "{}"}, "TaskDoesNotExist"),),
    "SendTaskFailure": (Case(TOKEN, "TaskDoesNotExist"),),
    "SendTaskHeartbeat": (Case(TOKEN, "TaskDoesNotExist"),),
    "ListTagsForResource": (
        _sfn(lambda r: {"resourceArn": r["machine_arn"]}, SFN_NOT_FOUND),
        _sfn(lambda r: {"resourceArn": r["activity_arn"]}, SFN_NOT_FOUND),
    ),
    "TagResource": (
        _sfn(lambda r: {"resourceArn": r["machine_arn"], "tags": [{"key": "owner", "value": "b"}]}, SFN_NOT_FOUND),
    ),
    "UntagResource": (_sfn(lambda r: {"resourceArn": r["activity_arn"], "tagKeys": ["owner"]}, SFN_NOT_FOUND),),
}


def _rest(params: Params) -> Case:
    return Case(params, GONE)


API: Params = lambda r: {"restApiId": r["rest_api"]}  # noqa: E731
DOMAIN: Params = lambda r: {"domainName": r["domain"]}  # noqa: E731
BASE_PATH: Params = lambda r: {**DOMAIN(r), "basePath": "(none)"}  # noqa: E731
LINK: Params = lambda r: {"vpcLinkId": r["vpc_link"]}  # noqa: E731
CERTIFICATE: Params = lambda r: {"clientCertificateId": r["client_certificate"]}  # noqa: E731
DOC: Params = lambda r: {**API(r), "documentationPartId": r["documentation_part"]}  # noqa: E731
VERSION: Params = lambda r: {**API(r), "documentationVersion": r["documentation_version"]}  # noqa: E731
DESCRIBED = {"patchOperations": [{"op": "replace", "path": "/description", "value": "b"}]}
RES: Params = lambda r: {"restApiId": r["rest_api"], "resourceId": r["rest_resource"]}  # noqa: E731
METHOD: Params = lambda r: {**RES(r), "httpMethod": "GET"}  # noqa: E731
STATUS: Params = lambda r: {**METHOD(r), "statusCode": "200"}  # noqa: E731
STAGE: Params = lambda r: {**API(r), "stageName": "prod"}  # noqa: E731
AUTH: Params = lambda r: {**API(r), "authorizerId": r["rest_authorizer"]}  # noqa: E731
DEPLOY: Params = lambda r: {**API(r), "deploymentId": r["rest_deployment"]}  # noqa: E731
GWR: Params = lambda r: {**API(r), "responseType": "DEFAULT_4XX"}  # noqa: E731
MODEL: Params = lambda r: {**API(r), "modelName": "Pet"}  # noqa: E731
VALIDATOR: Params = lambda r: {**API(r), "requestValidatorId": r["rest_validator"]}  # noqa: E731
PLAN: Params = lambda r: {"usagePlanId": r["usage_plan"]}  # noqa: E731
KEY: Params = lambda r: {"apiKey": r["api_key"]}  # noqa: E731
PATCH = {"patchOperations": [{"op": "replace", "path": "/description", "value": "b was here"}]}
OAS = b'{"openapi": "3.0.1", "info": {"title": "b", "version": "1"}, "paths": {}}'


def _tagged(path: Callable[[Resources], str]) -> dict[str, tuple[Case, ...]]:
    """GetTags / TagResource / UntagResource on an API Gateway resource ARN."""
    return {
        "GetTags": (_rest(lambda r: {"resourceArn": rest_arn(path(r))}),),
        "TagResource": (_rest(lambda r: {"resourceArn": rest_arn(path(r)), "tags": {"owner": "b"}}),),
        "UntagResource": (_rest(lambda r: {"resourceArn": rest_arn(path(r)), "tagKeys": ["owner"]}),),
    }


def _merged(*tables: dict[str, tuple[Case, ...]]) -> dict[str, tuple[Case, ...]]:
    merged: dict[str, tuple[Case, ...]] = {}
    for table in tables:
        for operation, cases in table.items():
            merged[operation] = merged.get(operation, ()) + cases
    return merged


APIGATEWAY: dict[str, tuple[Case, ...]] = _merged(
    {
        "CreateRestApi": (_rest(lambda r: {"name": "b", "cloneFrom": r["rest_api"]}),),
        "GetRestApi": (_rest(API),),
        "UpdateRestApi": (_rest(lambda r: {**API(r), **PATCH}),),
        "PutRestApi": (_rest(lambda r: {**API(r), "body": OAS}),),
        "DeleteRestApi": (_rest(API),),
        "GetExport": (_rest(lambda r: {**STAGE(r), "exportType": "oas30"}),),
        "CreateResource": (_rest(lambda r: {**API(r), "parentId": r["rest_resource"], "pathPart": "b"}),),
        "GetResource": (_rest(RES),),
        "GetResources": (_rest(API),),
        "UpdateResource": (
            _rest(lambda r: {**RES(r), "patchOperations": [{"op": "replace", "path": "/pathPart", "value": "b"}]}),
        ),
        "DeleteResource": (_rest(RES),),
        "PutMethod": (_rest(lambda r: {**RES(r), "httpMethod": "POST", "authorizationType": "NONE"}),),
        "GetMethod": (_rest(METHOD),),
        "UpdateMethod": (
            _rest(
                lambda r: {
                    **METHOD(r),
                    "patchOperations": [{"op": "replace", "path": "/apiKeyRequired", "value": "true"}],
                }
            ),
        ),
        "DeleteMethod": (_rest(METHOD),),
        "PutMethodResponse": (_rest(lambda r: {**METHOD(r), "statusCode": "201"}),),
        "GetMethodResponse": (_rest(STATUS),),
        "TestInvokeMethod": (_rest(lambda r: {**METHOD(r), "pathWithQueryString": "/p"}),),
        "UpdateMethodResponse": (
            _rest(
                lambda r: {
                    **STATUS(r),
                    "patchOperations": [{"op": "add", "path": "/responseModels/application~1json", "value": "Empty"}],
                }
            ),
        ),
        "DeleteMethodResponse": (_rest(STATUS),),
        "PutIntegration": (_rest(lambda r: {**METHOD(r), "type": "MOCK"}),),
        "GetIntegration": (_rest(METHOD),),
        "UpdateIntegration": (
            _rest(
                lambda r: {
                    **METHOD(r),
                    "patchOperations": [{"op": "replace", "path": "/timeoutInMillis", "value": "1000"}],
                }
            ),
        ),
        "DeleteIntegration": (_rest(METHOD),),
        "PutIntegrationResponse": (_rest(lambda r: {**METHOD(r), "statusCode": "201"}),),
        "GetIntegrationResponse": (_rest(STATUS),),
        "UpdateIntegrationResponse": (
            _rest(
                lambda r: {
                    **STATUS(r),
                    "patchOperations": [{"op": "replace", "path": "/selectionPattern", "value": "b"}],
                }
            ),
        ),
        "DeleteIntegrationResponse": (_rest(STATUS),),
        "PutGatewayResponse": (_rest(lambda r: {**API(r), "responseType": "DEFAULT_5XX"}),),
        "GetGatewayResponse": (_rest(GWR),),
        "GetGatewayResponses": (_rest(API),),
        "UpdateGatewayResponse": (
            _rest(lambda r: {**GWR(r), "patchOperations": [{"op": "replace", "path": "/statusCode", "value": "400"}]}),
        ),
        "DeleteGatewayResponse": (_rest(GWR),),
        "CreateAuthorizer": (
            _rest(
                lambda r: {
                    **API(r),
                    "name": "b",
                    "type": "REQUEST",
                    "authorizerUri": B_AUTHORIZER,
                }
            ),
        ),
        "GetAuthorizer": (_rest(AUTH),),
        "GetAuthorizers": (_rest(API),),
        "UpdateAuthorizer": (
            _rest(lambda r: {**AUTH(r), "patchOperations": [{"op": "replace", "path": "/name", "value": "b"}]}),
        ),
        "DeleteAuthorizer": (_rest(AUTH),),
        "CreateModel": (_rest(lambda r: {**API(r), "name": "B", "contentType": "application/json", "schema": "{}"}),),
        "GetModel": (_rest(MODEL),),
        "GetModels": (_rest(API),),
        "UpdateModel": (_rest(lambda r: {**MODEL(r), **PATCH}),),
        "DeleteModel": (_rest(MODEL),),
        "CreateRequestValidator": (_rest(lambda r: {**API(r), "name": "b", "validateRequestBody": True}),),
        "GetRequestValidator": (_rest(VALIDATOR),),
        "GetRequestValidators": (_rest(API),),
        "UpdateRequestValidator": (
            _rest(lambda r: {**VALIDATOR(r), "patchOperations": [{"op": "replace", "path": "/name", "value": "b"}]}),
        ),
        "DeleteRequestValidator": (_rest(VALIDATOR),),
        "CreateDeployment": (_rest(lambda r: {**API(r), "stageName": "b"}),),
        "GetDeployment": (_rest(DEPLOY),),
        "GetDeployments": (_rest(API),),
        "UpdateDeployment": (_rest(lambda r: {**DEPLOY(r), **PATCH}),),
        "DeleteDeployment": (_rest(DEPLOY),),
        "CreateStage": (_rest(lambda r: {**DEPLOY(r), "stageName": "b"}),),
        "GetStage": (_rest(STAGE),),
        "GetStages": (_rest(API),),
        "UpdateStage": (_rest(lambda r: {**STAGE(r), **PATCH}),),
        "DeleteStage": (_rest(STAGE),),
        "FlushStageCache": (_rest(STAGE),),
        "FlushStageAuthorizersCache": (_rest(STAGE),),
        "GetApiKey": (_rest(KEY),),
        "UpdateApiKey": (_rest(lambda r: {**KEY(r), **PATCH}),),
        "DeleteApiKey": (_rest(KEY),),
        "CreateUsagePlan": (_rest(lambda r: {"name": "b", "apiStages": [{"apiId": r["rest_api"], "stage": "prod"}]}),),
        "GetUsagePlan": (_rest(PLAN),),
        "UpdateUsagePlan": (_rest(lambda r: {**PLAN(r), **PATCH}),),
        "DeleteUsagePlan": (_rest(PLAN),),
        "CreateUsagePlanKey": (_rest(lambda r: {**PLAN(r), "keyId": r["api_key"], "keyType": "API_KEY"}),),
        "GetUsagePlanKey": (_rest(lambda r: {**PLAN(r), "keyId": r["api_key"]}),),
        "GetUsagePlanKeys": (_rest(PLAN),),
        "DeleteUsagePlanKey": (_rest(lambda r: {**PLAN(r), "keyId": r["api_key"]}),),
        "GetUsage": (_rest(lambda r: {**PLAN(r), "startDate": "2026-01-01", "endDate": "2026-01-02"}),),
        "UpdateUsage": (
            _rest(
                lambda r: {
                    **PLAN(r),
                    "keyId": r["api_key"],
                    "patchOperations": [{"op": "replace", "path": "/remaining", "value": "0"}],
                }
            ),
        ),
    },
    {
        "GetDomainName": (_rest(DOMAIN),),
        "UpdateDomainName": (
            _rest(
                lambda r: {
                    **DOMAIN(r),
                    "patchOperations": [{"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"}],
                }
            ),
        ),
        "DeleteDomainName": (_rest(DOMAIN),),
        # B's own REST API mapped on A's domain: the domain is looked up in B's account.
        "CreateBasePathMapping": (_rest(lambda r: {**DOMAIN(r), "basePath": "b", "restApiId": r["rest_api"]}),),
        "GetBasePathMapping": (_rest(BASE_PATH),),
        "GetBasePathMappings": (_rest(DOMAIN),),
        "UpdateBasePathMapping": (
            _rest(
                lambda r: {**BASE_PATH(r), "patchOperations": [{"op": "replace", "path": "/basePath", "value": "b"}]}
            ),
        ),
        "DeleteBasePathMapping": (_rest(BASE_PATH),),
        "GetVpcLink": (_rest(LINK),),
        "UpdateVpcLink": (
            _rest(lambda r: {**LINK(r), "patchOperations": [{"op": "replace", "path": "/name", "value": "b"}]}),
        ),
        "DeleteVpcLink": (_rest(LINK),),
        "GetClientCertificate": (_rest(CERTIFICATE),),
        "UpdateClientCertificate": (_rest(lambda r: {**CERTIFICATE(r), **DESCRIBED}),),
        "DeleteClientCertificate": (_rest(CERTIFICATE),),
        "CreateDocumentationPart": (
            _rest(lambda r: {**API(r), "location": {"type": "MODEL", "name": "B"}, "properties": "{}"}),
        ),
        "GetDocumentationPart": (_rest(DOC),),
        "GetDocumentationParts": (_rest(API),),
        "UpdateDocumentationPart": (
            _rest(lambda r: {**DOC(r), "patchOperations": [{"op": "replace", "path": "/properties", "value": "{}"}]}),
        ),
        "DeleteDocumentationPart": (_rest(DOC),),
        "ImportDocumentationParts": (
            _rest(lambda r: {**API(r), "body": b'{"x-amazon-apigateway-documentation": {"documentationParts": []}}'}),
        ),
        "CreateDocumentationVersion": (_rest(lambda r: {**API(r), "documentationVersion": "b"}),),
        "GetDocumentationVersion": (_rest(VERSION),),
        "GetDocumentationVersions": (_rest(API),),
        "UpdateDocumentationVersion": (_rest(lambda r: {**VERSION(r), **DESCRIBED}),),
        "DeleteDocumentationVersion": (_rest(VERSION),),
    },
    _tagged(lambda r: f"/restapis/{r['rest_api']}"),
    _tagged(lambda r: f"/restapis/{r['rest_api']}/stages/prod"),
    _tagged(lambda r: f"/apikeys/{r['api_key']}"),
    _tagged(lambda r: f"/usageplans/{r['usage_plan']}"),
    _tagged(lambda r: f"/domainnames/{r['domain']}"),
    _tagged(lambda r: f"/vpclinks/{r['vpc_link']}"),
    _tagged(lambda r: f"/clientcertificates/{r['client_certificate']}"),
)

V2: Params = lambda r: {"ApiId": r["http_api"]}  # noqa: E731
V2_STAGE: Params = lambda r: {**V2(r), "StageName": "prod"}  # noqa: E731
V2_ROUTE: Params = lambda r: {**V2(r), "RouteId": r["route"]}  # noqa: E731
V2_INTEGRATION: Params = lambda r: {**V2(r), "IntegrationId": r["integration"]}  # noqa: E731
V2_AUTH: Params = lambda r: {**V2(r), "AuthorizerId": r["http_authorizer"]}  # noqa: E731
V2_DEPLOY: Params = lambda r: {**V2(r), "DeploymentId": r["http_deployment"]}  # noqa: E731
V2_ARN: Params = lambda r: {"ResourceArn": rest_arn(f"/apis/{r['http_api']}")}  # noqa: E731
V2_DOMAIN: Params = lambda r: {"DomainName": r["domain"]}  # noqa: E731
V2_DOMAIN_ARN: Params = lambda r: {"ResourceArn": rest_arn(f"/domainnames/{r['domain']}")}  # noqa: E731
V2_LINK_ARN: Params = lambda r: {"ResourceArn": rest_arn(f"/vpclinks/{r['http_vpc_link']}")}  # noqa: E731
V2_MAPPING: Params = lambda r: {**V2_DOMAIN(r), "ApiMappingId": r["api_mapping"]}  # noqa: E731
V2_STAGE_ARN: Params = lambda r: {"ResourceArn": rest_arn(f"/apis/{r['http_api']}/stages/prod")}  # noqa: E731

APIGATEWAYV2: dict[str, tuple[Case, ...]] = {
    "GetApi": (_rest(V2),),
    "UpdateApi": (_rest(lambda r: {**V2(r), "Description": "b"}),),
    "DeleteApi": (_rest(V2),),
    "ReimportApi": (_rest(lambda r: {**V2(r), "Body": OAS.decode()}),),
    "ExportApi": (_rest(lambda r: {**V2(r), "Specification": "OAS30", "OutputType": "JSON"}),),
    "DeleteCorsConfiguration": (_rest(V2),),
    "CreateRoute": (_rest(lambda r: {**V2(r), "RouteKey": "GET /b"}),),
    "GetRoute": (_rest(V2_ROUTE),),
    "GetRoutes": (_rest(V2),),
    "UpdateRoute": (_rest(lambda r: {**V2_ROUTE(r), "RouteKey": "GET /b"}),),
    "DeleteRoute": (_rest(V2_ROUTE),),
    # Route responses are WebSocket APIs': another account's call is refused at the API, before its protocol.
    "CreateRouteResponse": (_rest(lambda r: {**V2_ROUTE(r), "RouteResponseKey": "$default"}),),
    "GetRouteResponse": (_rest(lambda r: {**V2_ROUTE(r), "RouteResponseId": "abc123"}),),
    "GetRouteResponses": (_rest(V2_ROUTE),),
    "UpdateRouteResponse": (_rest(lambda r: {**V2_ROUTE(r), "RouteResponseId": "abc123"}),),
    "DeleteRouteResponse": (_rest(lambda r: {**V2_ROUTE(r), "RouteResponseId": "abc123"}),),
    "CreateIntegration": (
        _rest(
            lambda r: {
                **V2(r),
                "IntegrationType": "HTTP_PROXY",
                "IntegrationMethod": "GET",
                "IntegrationUri": "https://example.com",
                "PayloadFormatVersion": "1.0",
            }
        ),
    ),
    "GetIntegration": (_rest(V2_INTEGRATION),),
    "GetIntegrations": (_rest(V2),),
    "UpdateIntegration": (_rest(lambda r: {**V2_INTEGRATION(r), "Description": "b"}),),
    "DeleteIntegration": (_rest(V2_INTEGRATION),),
    # Integration responses are WebSocket APIs': refused at the API, as route responses are.
    "CreateIntegrationResponse": (_rest(lambda r: {**V2_INTEGRATION(r), "IntegrationResponseKey": "$default"}),),
    "GetIntegrationResponse": (_rest(lambda r: {**V2_INTEGRATION(r), "IntegrationResponseId": "abc123"}),),
    "GetIntegrationResponses": (_rest(V2_INTEGRATION),),
    "UpdateIntegrationResponse": (_rest(lambda r: {**V2_INTEGRATION(r), "IntegrationResponseId": "abc123"}),),
    "DeleteIntegrationResponse": (_rest(lambda r: {**V2_INTEGRATION(r), "IntegrationResponseId": "abc123"}),),
    "CreateAuthorizer": (
        _rest(
            lambda r: {
                **V2(r),
                "AuthorizerType": "JWT",
                "IdentitySource": ["$request.header.Authorization"],
                "Name": "b",
                "JwtConfiguration": {"Audience": ["b"], "Issuer": "https://b.example"},
            }
        ),
    ),
    "GetAuthorizer": (_rest(V2_AUTH),),
    "GetAuthorizers": (_rest(V2),),
    "UpdateAuthorizer": (_rest(lambda r: {**V2_AUTH(r), "Name": "b"}),),
    "DeleteAuthorizer": (_rest(V2_AUTH),),
    "CreateDeployment": (_rest(V2),),
    "GetDeployment": (_rest(V2_DEPLOY),),
    "GetDeployments": (_rest(V2),),
    "UpdateDeployment": (_rest(lambda r: {**V2_DEPLOY(r), "Description": "b"}),),
    "DeleteDeployment": (_rest(V2_DEPLOY),),
    "CreateStage": (_rest(lambda r: {**V2(r), "StageName": "b"}),),
    "GetStage": (_rest(V2_STAGE),),
    "GetStages": (_rest(V2),),
    "UpdateStage": (_rest(lambda r: {**V2_STAGE(r), "Description": "b"}),),
    "DeleteStage": (_rest(V2_STAGE),),
    "DeleteAccessLogSettings": (_rest(V2_STAGE),),
    "DeleteRouteSettings": (_rest(lambda r: {**V2_STAGE(r), "RouteKey": "GET /p"}),),
    "GetTags": (_rest(V2_ARN), _rest(V2_STAGE_ARN), _rest(V2_DOMAIN_ARN), _rest(V2_LINK_ARN)),
    "TagResource": (
        _rest(lambda r: {**V2_ARN(r), "Tags": {"owner": "b"}}),
        _rest(lambda r: {**V2_STAGE_ARN(r), "Tags": {"owner": "b"}}),
        _rest(lambda r: {**V2_DOMAIN_ARN(r), "Tags": {"owner": "b"}}),
        _rest(lambda r: {**V2_LINK_ARN(r), "Tags": {"owner": "b"}}),
    ),
    "UntagResource": (_rest(lambda r: {**V2_ARN(r), "TagKeys": ["owner"]}),),
    "GetDomainName": (_rest(V2_DOMAIN),),
    "UpdateDomainName": (_rest(lambda r: {**V2_DOMAIN(r), "RoutingMode": "API_MAPPING_ONLY"}),),
    "DeleteDomainName": (_rest(V2_DOMAIN),),
    "CreateApiMapping": (
        _rest(lambda r: {**V2_DOMAIN(r), "ApiId": r["http_api"], "Stage": "prod", "ApiMappingKey": "b"}),
    ),
    "GetApiMapping": (_rest(V2_MAPPING),),
    "GetApiMappings": (_rest(V2_DOMAIN),),
    "UpdateApiMapping": (_rest(lambda r: {**V2_MAPPING(r), "ApiId": r["http_api"]}),),
    "DeleteApiMapping": (_rest(V2_MAPPING),),
    "GetVpcLink": (_rest(lambda r: {"VpcLinkId": r["http_vpc_link"]}),),
    "UpdateVpcLink": (_rest(lambda r: {"VpcLinkId": r["http_vpc_link"], "Name": "b"}),),
    "DeleteVpcLink": (_rest(lambda r: {"VpcLinkId": r["http_vpc_link"]}),),
}


def _logs(params: Params, arn: bool = False) -> Case:
    """Logs looks names up in the caller's account; an ARN of another account names none of the caller's
    groups either (observe/logs.py): ResourceNotFoundException both ways."""
    return Case(params, NOT_FOUND, NOT_FOUND if arn else None)


GROUP: Params = lambda r: {"logGroupName": r["log_group"]}  # noqa: E731
GROUP_ID: Params = lambda r: {"logGroupIdentifier": r["log_group_arn"]}  # noqa: E731
STREAM: Params = lambda r: {**GROUP(r), "logStreamName": r["log_stream"]}  # noqa: E731

LOGS: dict[str, tuple[Case, ...]] = {
    "CreateLogStream": (_logs(lambda r: {**GROUP(r), "logStreamName": "b"}),),
    "DeleteLogGroup": (_logs(GROUP),),
    "DeleteLogStream": (_logs(STREAM),),
    "PutRetentionPolicy": (_logs(lambda r: {**GROUP(r), "retentionInDays": 1}),),
    "DeleteRetentionPolicy": (_logs(GROUP),),
    "DescribeLogStreams": (_logs(GROUP), _logs(GROUP_ID, arn=True)),
    "GetLogEvents": (_logs(STREAM), _logs(lambda r: {**GROUP_ID(r), "logStreamName": r["log_stream"]}, arn=True)),
    "FilterLogEvents": (_logs(GROUP), _logs(GROUP_ID, arn=True)),
    "PutLogEvents": (_logs(lambda r: {**STREAM(r), "logEvents": [{"timestamp": 1_700_000_000_000, "message": "b"}]}),),
    "ListTagsLogGroup": (_logs(GROUP),),
    "TagLogGroup": (_logs(lambda r: {**GROUP(r), "tags": {"owner": "b"}}),),
    "UntagLogGroup": (_logs(lambda r: {**GROUP(r), "tags": ["owner"]}),),
    "ListTagsForResource": (_logs(lambda r: {"resourceArn": r["log_group_arn"]}, arn=True),),
    "TagResource": (_logs(lambda r: {"resourceArn": r["log_group_arn"], "tags": {"owner": "b"}}, arn=True),),
    "UntagResource": (_logs(lambda r: {"resourceArn": r["log_group_arn"], "tagKeys": ["owner"]}, arn=True),),
}


def _stack(params: Params, arn: bool = False) -> Case:
    """CloudFormation looks a stack up in the caller's account and Region, by name or by id: another account's
    is "Stack with id X does not exist" (ValidationError), as is the same id with the caller's account."""
    return Case(params, INVALID, INVALID if arn else None)


INVALID = "ValidationError"  # CloudFormation's one error for a stack it does not find
NO_CHANGE_SET = "ChangeSetNotFound"
STACK: Params = lambda r: {"StackName": r["stack"]}  # noqa: E731
STACK_ID: Params = lambda r: {"StackName": r["stack_id"]}  # noqa: E731
CHANGE_SET: Params = lambda r: {"ChangeSetName": r["change_set_arn"]}  # noqa: E731
RETENTION = '{"Resources": {"G": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 1}}}}'

CLOUDFORMATION: dict[str, tuple[Case, ...]] = {
    "UpdateStack": (
        _stack(lambda r: {**STACK(r), "TemplateBody": RETENTION}),
        _stack(lambda r: {**STACK_ID(r), "TemplateBody": RETENTION}, arn=True),
    ),
    # DeleteStack of a stack the caller does not have succeeds and does nothing, as on AWS.
    "DeleteStack": (Case(STACK, "succeeded: {}"), Case(STACK_ID, "succeeded: {}", "succeeded: {}")),
    "DescribeStacks": (_stack(STACK), _stack(STACK_ID, arn=True)),
    "DescribeStackEvents": (_stack(STACK), _stack(STACK_ID, arn=True)),
    "DescribeStackResource": (_stack(lambda r: {**STACK(r), "LogicalResourceId": "G"}),),
    "DescribeStackResources": (
        _stack(STACK),
        _stack(STACK_ID, arn=True),
        _stack(lambda r: {"PhysicalResourceId": r["stack_group"]}),
    ),
    "ListStackResources": (_stack(STACK), _stack(STACK_ID, arn=True)),
    "GetTemplate": (_stack(STACK), _stack(STACK_ID, arn=True), Case(CHANGE_SET, NO_CHANGE_SET, NO_CHANGE_SET)),
    "GetTemplateSummary": (_stack(STACK), _stack(STACK_ID, arn=True)),
    "CreateChangeSet": (
        _stack(lambda r: {**STACK(r), "ChangeSetName": "b", "TemplateBody": RETENTION}),
        _stack(lambda r: {**STACK_ID(r), "ChangeSetName": "b", "TemplateBody": RETENTION}, arn=True),
    ),
    "DescribeChangeSet": (
        Case(CHANGE_SET, NO_CHANGE_SET, NO_CHANGE_SET),
        Case(lambda r: {**STACK(r), "ChangeSetName": "change"}, NO_CHANGE_SET),
    ),
    "ExecuteChangeSet": (Case(CHANGE_SET, NO_CHANGE_SET, NO_CHANGE_SET),),
    "DeleteChangeSet": (Case(CHANGE_SET, NO_CHANGE_SET, NO_CHANGE_SET),),
    "ListChangeSets": (_stack(STACK), _stack(STACK_ID, arn=True)),
    "ListImports": (Case(lambda r: {"ExportName": r["export"]}, INVALID),),
}


def _iam(params: Params, arn: bool = False) -> Case:
    """IAM acts only in the caller's account: a name is looked up there (NoSuchEntity), and a policy ARN of
    another account is refused (AccessDenied); the same ARN with B's account names nothing of B's."""
    return Case(params, "AccessDenied", "NoSuchEntity") if arn else Case(params, "NoSuchEntity")


ROLE_NAME: Params = lambda r: {"RoleName": r["role"]}  # noqa: E731
POLICY_ARN: Params = lambda r: {"PolicyArn": r["policy_arn"]}  # noqa: E731
PROFILE: Params = lambda r: {"InstanceProfileName": r["instance_profile"]}  # noqa: E731
TRUST = (
    '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)
ALLOW = '{"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}'
AWS_MANAGED = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

IAM: dict[str, tuple[Case, ...]] = {
    "GetRole": (_iam(ROLE_NAME),),
    "UpdateRole": (_iam(lambda r: {**ROLE_NAME(r), "Description": "b"}),),
    "UpdateRoleDescription": (_iam(lambda r: {**ROLE_NAME(r), "Description": "b"}),),
    "UpdateAssumeRolePolicy": (_iam(lambda r: {**ROLE_NAME(r), "PolicyDocument": TRUST}),),
    "DeleteRole": (_iam(ROLE_NAME),),
    "TagRole": (_iam(lambda r: {**ROLE_NAME(r), "Tags": [{"Key": "owner", "Value": "b"}]}),),
    "UntagRole": (_iam(lambda r: {**ROLE_NAME(r), "TagKeys": ["owner"]}),),
    "ListRoleTags": (_iam(ROLE_NAME),),
    "PutRolePolicy": (_iam(lambda r: {**ROLE_NAME(r), "PolicyName": "inline", "PolicyDocument": ALLOW}),),
    "GetRolePolicy": (_iam(lambda r: {**ROLE_NAME(r), "PolicyName": "inline"}),),
    "DeleteRolePolicy": (_iam(lambda r: {**ROLE_NAME(r), "PolicyName": "inline"}),),
    "ListRolePolicies": (_iam(ROLE_NAME),),
    "GetPolicy": (_iam(POLICY_ARN, arn=True),),
    "DeletePolicy": (_iam(POLICY_ARN, arn=True),),
    "CreatePolicyVersion": (_iam(lambda r: {**POLICY_ARN(r), "PolicyDocument": ALLOW}, arn=True),),
    "GetPolicyVersion": (_iam(lambda r: {**POLICY_ARN(r), "VersionId": "v1"}, arn=True),),
    "ListPolicyVersions": (_iam(POLICY_ARN, arn=True),),
    "DeletePolicyVersion": (_iam(lambda r: {**POLICY_ARN(r), "VersionId": "v1"}, arn=True),),
    "SetDefaultPolicyVersion": (_iam(lambda r: {**POLICY_ARN(r), "VersionId": "v1"}, arn=True),),
    "ListEntitiesForPolicy": (_iam(POLICY_ARN, arn=True),),
    # the role is looked up first, in B's account
    "AttachRolePolicy": (
        _iam(lambda r: {**ROLE_NAME(r), "PolicyArn": AWS_MANAGED}),
        Case(lambda r: {**ROLE_NAME(r), **POLICY_ARN(r)}, "NoSuchEntity", "NoSuchEntity"),
    ),
    "DetachRolePolicy": (
        _iam(lambda r: {**ROLE_NAME(r), "PolicyArn": AWS_MANAGED}),
        Case(lambda r: {**ROLE_NAME(r), **POLICY_ARN(r)}, "NoSuchEntity", "NoSuchEntity"),
    ),
    "ListAttachedRolePolicies": (_iam(ROLE_NAME),),
    "GetInstanceProfile": (_iam(PROFILE),),
    "DeleteInstanceProfile": (_iam(PROFILE),),
    "AddRoleToInstanceProfile": (_iam(lambda r: {**PROFILE(r), **ROLE_NAME(r)}),),
    "RemoveRoleFromInstanceProfile": (_iam(lambda r: {**PROFILE(r), **ROLE_NAME(r)}),),
    "ListInstanceProfilesForRole": (_iam(ROLE_NAME),),
}


def _sns(params: Params, not_found: str = "NotFound") -> Case:
    """SNS names topics and subscriptions by ARN: another account's is refused (AuthorizationError) unless its
    topic policy allows the caller (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html);
    the same ARN with B's account names nothing of B's."""
    return Case(params, "AuthorizationError", not_found)


TOPIC: Params = lambda r: {"TopicArn": r["topic_arn"]}  # noqa: E731
TOPIC_RESOURCE: Params = lambda r: {"ResourceArn": r["topic_arn"]}  # noqa: E731
SUBSCRIPTION: Params = lambda r: {"SubscriptionArn": r["subscription_arn"]}  # noqa: E731

SNS: dict[str, tuple[Case, ...]] = {
    "DeleteTopic": (Case(TOPIC, "AuthorizationError", "succeeded: {}"),),  # deleting nothing succeeds
    "GetTopicAttributes": (_sns(TOPIC),),
    "SetTopicAttributes": (_sns(lambda r: {**TOPIC(r), "AttributeName": "DisplayName", "AttributeValue": "b"}),),
    "AddPermission": (_sns(lambda r: {**TOPIC(r), "Label": "b", "AWSAccountId": [B], "ActionName": ["Publish"]}),),
    "RemovePermission": (_sns(lambda r: {**TOPIC(r), "Label": "__default_statement_ID"}),),
    "GetDataProtectionPolicy": (_sns(TOPIC_RESOURCE, "ResourceNotFound"),),
    "PutDataProtectionPolicy": (
        _sns(lambda r: {**TOPIC_RESOURCE(r), "DataProtectionPolicy": '{"Statement": []}'}, "ResourceNotFound"),
    ),
    "TagResource": (
        _sns(lambda r: {**TOPIC_RESOURCE(r), "Tags": [{"Key": "owner", "Value": "b"}]}, "ResourceNotFound"),
    ),
    "UntagResource": (_sns(lambda r: {**TOPIC_RESOURCE(r), "TagKeys": ["owner"]}, "ResourceNotFound"),),
    "ListTagsForResource": (_sns(TOPIC_RESOURCE, "ResourceNotFound"),),
    "Subscribe": (_sns(lambda r: {**TOPIC(r), "Protocol": "email", "Endpoint": "b@example.com"}),),
    "ConfirmSubscription": (_sns(lambda r: {**TOPIC(r), "Token": "t"}),),
    "ListSubscriptionsByTopic": (_sns(TOPIC),),
    "Unsubscribe": (_sns(SUBSCRIPTION),),
    "GetSubscriptionAttributes": (_sns(SUBSCRIPTION),),
    "SetSubscriptionAttributes": (
        _sns(lambda r: {**SUBSCRIPTION(r), "AttributeName": "RawMessageDelivery", "AttributeValue": "true"}),
    ),
    "Publish": (_sns(lambda r: {**TOPIC(r), "Message": "m"}),),
    "PublishBatch": (
        _sns(lambda r: {"TopicArn": r["topic_arn"], "PublishBatchRequestEntries": [{"Id": "1", "Message": "m"}]}),
    ),
}


# SQS: a queue URL names its account. Another account's queue answers AccessDenied unless its queue policy
# grants the caller (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html);
# Overcast stores queue policies but does not evaluate them yet, so every such call is denied.
SQS_DENIED = "AccessDenied"
QUEUE: Params = lambda r: {"QueueUrl": r["queue_url"]}  # noqa: E731
RECEIPT = "cmVjZWlwdA=="
SQS: dict[str, tuple[Case, ...]] = {
    "GetQueueUrl": (
        Case(lambda r: {"QueueName": r["queue"]}, "AWS.SimpleQueueService.NonExistentQueue"),
        Case(lambda r: {"QueueName": r["queue"], "QueueOwnerAWSAccountId": r["queue_arn"].split(":")[4]}, SQS_DENIED),
    ),
    "DeleteQueue": (Case(QUEUE, SQS_DENIED),),
    "GetQueueAttributes": (Case(lambda r: {**QUEUE(r), "AttributeNames": ["All"]}, SQS_DENIED),),
    "SetQueueAttributes": (Case(lambda r: {**QUEUE(r), "Attributes": {"DelaySeconds": "5"}}, SQS_DENIED),),
    "PurgeQueue": (Case(QUEUE, SQS_DENIED),),
    "AddPermission": (
        Case(lambda r: {**QUEUE(r), "Label": "b", "AWSAccountIds": [B], "Actions": ["SendMessage"]}, SQS_DENIED),
    ),
    "RemovePermission": (Case(lambda r: {**QUEUE(r), "Label": "b"}, SQS_DENIED),),
    "ListDeadLetterSourceQueues": (Case(QUEUE, SQS_DENIED),),
    "TagQueue": (Case(lambda r: {**QUEUE(r), "Tags": {"owner": "b"}}, SQS_DENIED),),
    "UntagQueue": (Case(lambda r: {**QUEUE(r), "TagKeys": ["owner"]}, SQS_DENIED),),
    "ListQueueTags": (Case(QUEUE, SQS_DENIED),),
    "SendMessage": (Case(lambda r: {**QUEUE(r), "MessageBody": "b"}, SQS_DENIED),),
    "SendMessageBatch": (Case(lambda r: {**QUEUE(r), "Entries": [{"Id": "b", "MessageBody": "b"}]}, SQS_DENIED),),
    "ReceiveMessage": (Case(QUEUE, SQS_DENIED),),
    "DeleteMessage": (Case(lambda r: {**QUEUE(r), "ReceiptHandle": RECEIPT}, SQS_DENIED),),
    "DeleteMessageBatch": (
        Case(lambda r: {**QUEUE(r), "Entries": [{"Id": "b", "ReceiptHandle": RECEIPT}]}, SQS_DENIED),
    ),
    "ChangeMessageVisibility": (
        Case(lambda r: {**QUEUE(r), "ReceiptHandle": RECEIPT, "VisibilityTimeout": 0}, SQS_DENIED),
    ),
    "StartMessageMoveTask": (
        Case(lambda r: {"SourceArn": r["queue_arn"]}, SQS_DENIED, "AWS.SimpleQueueService.NonExistentQueue"),
    ),
    "ListMessageMoveTasks": (
        Case(lambda r: {"SourceArn": r["queue_arn"]}, SQS_DENIED, "AWS.SimpleQueueService.NonExistentQueue"),
    ),
    # a task handle of no task of B's (A has none running)
    "CancelMessageMoveTask": (Case(lambda r: {"TaskHandle": RECEIPT}, "ResourceNotFoundException"),),
    "ChangeMessageVisibilityBatch": (
        Case(lambda r: {**QUEUE(r), "Entries": [{"Id": "b", "ReceiptHandle": RECEIPT}]}, SQS_DENIED),
    ),
}

MATRIX: dict[str, dict[str, tuple[Case, ...]]] = {
    "lambda": LAMBDA,
    "stepfunctions": STEP_FUNCTIONS,
    "apigateway": APIGATEWAY,
    "apigatewayv2": APIGATEWAYV2,
    "logs": LOGS,
    "cloudformation": CLOUDFORMATION,
    "iam": IAM,
    "sns": SNS,
    "sqs": SQS,
}

# Operations that name no existing resource, each with the parameters B calls it with (None: not called,
# with the reason). What B is answered must hold nothing of A's: no ARN of A's account, no id of A's.
NAMELESS: dict[str, dict[str, dict[str, Any] | None]] = {
    "lambda": {
        "ListFunctions": {},  # B's functions only
        "ListLayers": {},
        "GetAccountSettings": {},  # B's own counts
        "PublishLayerVersion": None,  # a new layer (version), in the caller's account
    },
    "stepfunctions": {
        "ListStateMachines": {},
        "ListActivities": {},
        "CreateStateMachine": None,  # a new machine, in the caller's account (in MATRIX with A's log group)
        "CreateActivity": None,  # a new activity, in the caller's account
        "ValidateStateMachineDefinition": None,  # checks a definition given in the call
        "TestState": None,  # runs a state given in the call
    },
    "apigateway": {
        "GetRestApis": {},
        "GetApiKeys": {"includeValues": True},
        "GetUsagePlans": {},
        "CreateApiKey": None,  # a new key, named by the caller
        "GetDomainNames": {},
        "CreateDomainName": None,  # a new domain name, in the caller's account
        "GetVpcLinks": {},
        "CreateVpcLink": None,  # a new link, in the caller's account
        "GetClientCertificates": {},
        "GenerateClientCertificate": None,  # a new certificate, in the caller's account
        "GetAccount": {},  # B's own settings
        "UpdateAccount": None,  # B's own settings
        "ImportRestApi": None,  # a new API from the body given
    },
    "apigatewayv2": {
        "GetApis": {},
        "CreateApi": None,  # a new API (a quick-create target is only checked when invoked)
        "GetDomainNames": {},
        "CreateDomainName": None,  # a new domain name, in the caller's account
        "GetVpcLinks": {},
        "CreateVpcLink": None,  # a new link, in the caller's account
        "ImportApi": None,  # a new API from the body given
    },
    "logs": {
        "DescribeLogGroups": {},
        "CreateLogGroup": None,  # a new group, in the caller's account
    },
    "sts": {
        "GetCallerIdentity": {},  # B's own identity
    },
    "cloudformation": {
        "ListStacks": {},
        "ListExports": {},
        "CreateStack": None,  # a new stack, in the caller's account
        "ValidateTemplate": None,  # checks a template given in the call
        "ListTypes": None,  # the server's resource types, the same for every account
    },
    "iam": {
        "ListRoles": {},  # B's roles only
        "ListPolicies": {},  # AWS's policies and B's own
        "ListInstanceProfiles": {},
        "CreateRole": None,  # a new role, in the caller's account
        "CreatePolicy": None,  # a new policy, in the caller's account
        "CreateInstanceProfile": None,  # a new instance profile, in the caller's account
    },
    "sns": {
        "ListTopics": {},  # B's topics only
        "ListSubscriptions": {},  # B's subscriptions only
        "CreateTopic": None,  # a new topic, in the caller's account
    },
    "sqs": {
        "ListQueues": {},  # B's queues only
        "CreateQueue": None,  # a new queue, in the caller's account
    },
}
