"""Lambda across accounts, through the real server with two 12-digit access keys: another account's function is
invoked (by the Invoke API, an API's integration or authorizer, a state machine's task) only when its policy grants
it, and then runs in its own account."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.test_done_when_access_logs import HTTP_FORMAT, lines

ALICE, BOB = "340000000001", "340000000002"  # alice owns the functions; bob calls them
ECHO = "def handler(event, context):\n    return {'statusCode': 200, 'body': context.invoked_function_arn}\n"


def _clients(aws: ClientFactory, account: str) -> Callable[..., Any]:
    def client(service: str, **kwargs: Any) -> Any:
        return aws(service, aws_access_key_id=account, aws_secret_access_key="x", **kwargs)

    return client


@pytest.fixture(scope="module")
def alice(aws: ClientFactory) -> Callable[..., Any]:
    return _clients(aws, ALICE)


@pytest.fixture(scope="module")
def bob(aws: ClientFactory) -> Callable[..., Any]:
    return _clients(aws, BOB)


@pytest.fixture
def function(alice: Callable[..., Any]) -> str:
    """A new function of alice's: its ARN."""
    return python_function(alice("lambda"), "shared", ECHO)


def _error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _grant(alice: Callable[..., Any], function: str, principal: str, **kwargs: Any) -> str:
    sid = "s" + uuid.uuid4().hex[:8]
    alice("lambda").add_permission(
        FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction", Principal=principal, **kwargs
    )
    return sid


# --- the Invoke API ---------------------------------------------------------------------------------------------


def test_invoke_of_another_accounts_function_needs_its_policy(
    alice: Callable[..., Any], bob: Callable[..., Any], function: str
) -> None:
    lam = bob("lambda")
    code, message = _error(lam.invoke, FunctionName=function)
    assert code == "AccessDeniedException"
    assert message == (
        f"User: arn:aws:iam::{BOB}:root is not authorized to perform: lambda:InvokeFunction on resource: {function} "
        "because no resource-based policy allows the lambda:InvokeFunction action"
    )
    missing = function.rsplit(":", 1)[0] + ":no-such-function"
    assert _error(lam.invoke, FunctionName=missing)[0] == "AccessDeniedException"  # not told what exists
    _grant(alice, function, "340000000003")  # another account's grant lets bob in no more
    assert _error(lam.invoke, FunctionName=function)[0] == "AccessDeniedException"

    sid = _grant(alice, function, BOB)
    answer = lam.invoke(FunctionName=function)
    assert "FunctionError" not in answer and json.loads(answer["Payload"].read())["body"] == function
    assert _error(lam.get_function, FunctionName=function)[0] == "AccessDeniedException"  # InvokeFunction only
    alice("lambda").remove_permission(FunctionName=function, StatementId=sid)
    assert _error(lam.invoke, FunctionName=function)[0] == "AccessDeniedException"  # the grant is gone at once


def test_a_qualified_grant_governs_only_calls_naming_that_qualifier(
    alice: Callable[..., Any], bob: Callable[..., Any], function: str
) -> None:
    owner = alice("lambda")
    version = owner.publish_version(FunctionName=function)["Version"]
    owner.create_alias(FunctionName=function, Name="live", FunctionVersion=version)
    _grant(alice, f"{function}:live", BOB)
    lam = bob("lambda")
    answer = lam.invoke(FunctionName=f"{function}:live")
    assert json.loads(answer["Payload"].read())["body"] == f"{function}:live" and answer["ExecutedVersion"] == version
    assert _error(lam.invoke, FunctionName=function)[0] == "AccessDeniedException"
    assert _error(lam.invoke, FunctionName=function, Qualifier=version)[0] == "AccessDeniedException"


def test_a_granted_invocation_runs_in_the_owners_account(
    alice: Callable[..., Any], bob: Callable[..., Any], function: str
) -> None:
    _grant(alice, function, f"arn:aws:iam::{BOB}:root")
    name = function.rsplit(":", 1)[1]
    bob("lambda").invoke(FunctionName=function)
    group = f"/aws/lambda/{name}"
    events = _log_events(alice("logs"), group)  # its log is the owner's, as its concurrency and bill are
    assert any(e["message"].startswith("REPORT RequestId:") for e in events)
    assert _error(bob("logs").filter_log_events, logGroupName=group)[0] == "ResourceNotFoundException"


def _log_events(logs: Any, group: str) -> list[dict[str, Any]]:
    """The group's events once its REPORT line has arrived (logs are written shortly after the answer)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            events: list[dict[str, Any]] = logs.filter_log_events(logGroupName=group)["events"]
        except ClientError:
            events = []
        if any(e["message"].startswith("REPORT") for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


# --- API Gateway --------------------------------------------------------------------------------------------------


def _http_api(bob: Callable[..., Any], function: str) -> tuple[str, str]:
    """An HTTP API of bob's whose routes go to `function`, with an access log: (its id, the log group)."""
    v2 = bob("apigatewayv2")
    api_id = v2.create_api(Name="x-" + uuid.uuid4().hex[:8], ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /pets", Target=f"integrations/{integration}")
    group = f"/overcast/tests/xaccount-{uuid.uuid4().hex[:8]}"
    bob("logs").create_log_group(logGroupName=group)
    v2.create_stage(
        ApiId=api_id, StageName="live", AutoDeploy=True,
        AccessLogSettings={"DestinationArn": f"arn:aws:logs:us-east-1:{BOB}:log-group:{group}", "Format": HTTP_FORMAT},
    )  # fmt: skip
    return api_id, group


def _get(server: RunningServer, api_id: str, path: str) -> httpx.Response:
    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    return httpx.get(f"{server.url}{path}", headers=host, timeout=30)


def test_an_http_api_invokes_another_accounts_function_only_with_its_grant(
    server: RunningServer, aws: ClientFactory, alice: Callable[..., Any], bob: Callable[..., Any], function: str
) -> None:
    api_id, group = _http_api(bob, function)
    refused = _get(server, api_id, "/live/pets")
    assert (refused.status_code, refused.json()) == (500, {"message": "Internal Server Error"})
    other_api = f"arn:aws:execute-api:us-east-1:{BOB}:otherapi1/*"
    _grant(alice, function, "apigateway.amazonaws.com", SourceArn=other_api)  # a grant to another API of bob's
    assert _get(server, api_id, "/live/pets").status_code == 500
    _grant(alice, function, "apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{BOB}:{api_id}/*")
    served = _get(server, api_id, "/live/pets")
    assert (served.status_code, served.text) == (200, function)
    ids = [r.headers["apigw-requestid"] for r in (refused, served)]
    logged = lines(_clients(aws, BOB), group, 3)
    assert (
        logged[0] == f"{ids[0]} GET GET /pets 500 /live/pets" and logged[-1] == f"{ids[1]} GET GET /pets 200 /live/pets"
    )


def test_a_rest_api_and_its_authorizer_need_a_grant_each(
    server: RunningServer, alice: Callable[..., Any], bob: Callable[..., Any], function: str
) -> None:
    authorizer = python_function(
        alice("lambda"), "authz",
        "def handler(event, context):\n    return {'principalId': 'u', 'policyDocument': {'Version': '2012-10-17',"
        " 'Statement': [{'Action': 'execute-api:Invoke', 'Effect': 'Allow', 'Resource': event['methodArn']}]}}\n",
    )  # fmt: skip
    apigw = bob("apigateway")
    api_id = apigw.create_rest_api(name="x-" + uuid.uuid4().hex[:8])["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"
    authorizer_id = apigw.create_authorizer(
        restApiId=api_id, name="a", type="TOKEN", authorizerUri=uri.format(authorizer),
        identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=0,
    )["id"]  # fmt: skip
    apigw.put_method(
        restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer_id
    )
    apigw.put_integration(
        restApiId=api_id, resourceId=pets, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=uri.format(function),
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    path = f"/_aws/execute-api/{api_id}/prod/pets"

    def get() -> httpx.Response:
        return httpx.get(f"{server.url}{path}", headers={"authorization": "token"}, timeout=30)

    unauthorized = get()  # the authorizer may not be invoked: API Gateway's authorizer error
    assert (unauthorized.status_code, unauthorized.json()) == (500, {"message": None})
    _grant(
        alice,
        authorizer,
        "apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{BOB}:{api_id}/authorizers/{authorizer_id}",
    )
    refused = get()  # the authorizer ran; the integration's function may not be invoked
    assert (refused.status_code, refused.json()) == (500, {"message": "Internal server error"})
    _grant(
        alice,
        function,
        "apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{BOB}:{api_id}/*/GET/pets",
    )
    served = get()
    assert (served.status_code, served.text) == (200, function)


# --- Step Functions -----------------------------------------------------------------------------------------------


def _express(bob: Callable[..., Any], definition: dict[str, Any]) -> dict[str, Any]:
    sfn = bob("stepfunctions")
    arn = sfn.create_state_machine(
        name="x-" + uuid.uuid4().hex[:8], definition=json.dumps(definition), roleArn=f"arn:aws:iam::{BOB}:role/runner",
        type="EXPRESS",
    )["stateMachineArn"]  # fmt: skip
    sync = bob("stepfunctions", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    return dict(sync.start_sync_execution(stateMachineArn=arn, input="{}"))


@pytest.mark.parametrize("optimized", [False, True], ids=["function-arn", "lambda-invoke"])
def test_a_state_machine_invokes_another_accounts_function_only_with_its_grant(
    alice: Callable[..., Any], bob: Callable[..., Any], function: str, optimized: bool
) -> None:
    if optimized:
        task = {"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": function}}
    else:
        task = {"Resource": function}
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "End": True, **task}}}
    failed = _express(bob, definition)
    assert failed["status"] == "FAILED" and failed["error"] == "Lambda.AWSLambdaException"
    assert f"User: arn:aws:sts::{BOB}:assumed-role/runner/" in failed["cause"]
    assert "Error Code: AccessDeniedException" in failed["cause"]
    _grant(alice, function, f"arn:aws:iam::{BOB}:role/runner")  # the execution role, as AWS wants it named
    succeeded = _express(bob, definition)
    assert succeeded["status"] == "SUCCEEDED", succeeded
    output = json.loads(succeeded["output"])
    assert (output["Payload"] if optimized else output)["body"] == function
