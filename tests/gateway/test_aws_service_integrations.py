"""REST APIs' non-proxy `AWS` integrations of AWS services: Step Functions, Lambda, STS, through Overcast's own APIs.

Through the real server: boto3 makes the API (an integration with a mapping template, integration responses,
a deployment), httpx calls the execute-api endpoint, and boto3 checks what the service did. A service's error
status selects the integration response; a service Overcast does not serve answers as an integration failure.
https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html
https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-api-gateway.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.test_done_when_access_logs import lines
from tests.gateway.test_done_when_events import call
from tests.gateway.test_done_when_mapping_templates import Api

PATH_OR_ACTION = "AWS ARN for integration must contain path or action"
ROLE = "arn:aws:iam::000000000000:role/apigateway-states"
PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})
ERROR_TEMPLATE = """{"error": "$input.path('$.__type')", "message": $input.json('$.message')}"""


def uri(service: str, what: str) -> str:
    return f"arn:aws:apigateway:us-east-1:{service}:{what}"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


class RestApi(Api):
    """A REST API whose methods each call one integration."""

    def method(self, path_part: str, http_method: str, integration: dict[str, Any], *responses: dict[str, Any]) -> None:
        resource = self.resource(path_part)
        where = self.where(resource, http_method)
        self.apigw.put_method(**where, authorizationType="NONE")
        self.apigw.put_integration(**where, **integration)
        for response in responses or ({"statusCode": "200"},):
            declared = {name: False for name in response.get("responseParameters", {})}
            self.apigw.put_method_response(**where, statusCode=response["statusCode"], responseParameters=declared)
            self.apigw.put_integration_response(**where, **response)
        return resource


@pytest.fixture(scope="module")
def machines(aws: ClientFactory) -> dict[str, str]:
    sfn = aws("stepfunctions")
    made = {}
    for kind in ("STANDARD", "EXPRESS"):
        name = f"apigw-{kind.lower()}-{uuid.uuid4().hex[:6]}"
        made[kind] = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE, type=kind)["stateMachineArn"]
    return made


@pytest.fixture(scope="module")
def orders(aws: ClientFactory, machines: dict[str, str]) -> RestApi:
    """POST /orders starts an execution (StartExecution), POST /quotes runs one (StartSyncExecution), POST /lost
    starts one of a state machine that does not exist: the tutorial's API, and its error mapped to 400."""
    api = RestApi(aws, "aws-states")
    template = (
        '{"input": "$util.escapeJavaScript($input.json(\'$\'))", "name": "$input.params(\'run\')", '
        '"stateMachineArn": "%s"}'
    )
    lost = machines["STANDARD"].replace(":stateMachine:", ":stateMachine:missing-")
    errors = {
        "statusCode": "400",
        "selectionPattern": r"4\d{2}",
        "responseTemplates": {"application/json": ERROR_TEMPLATE},
    }
    for path_part, action, machine in (
        ("orders", "StartExecution", machines["STANDARD"]),
        ("quotes", "StartSyncExecution", machines["EXPRESS"]),
        ("lost", "StartExecution", lost),
    ):
        integration = {
            "type": "AWS", "integrationHttpMethod": "POST", "uri": uri("states", f"action/{action}"),
            "credentials": ROLE, "requestTemplates": {"application/json": template % machine},
        }  # fmt: skip
        api.method(path_part, "POST", integration, {"statusCode": "200"}, errors)
    api.deploy()
    return api


def test_a_post_starts_a_step_functions_execution_through_states_action_start_execution(
    aws: ClientFactory, server: RunningServer, http: httpx.Client, orders: RestApi, machines: dict[str, str]
) -> None:
    run = f"order-{uuid.uuid4().hex[:8]}"
    answer = call(
        server, http, orders.id, "POST", f"/prod/orders?run={run}", json={"order": 7},
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    started = answer.json()
    assert started["executionArn"].endswith(f":{run}") and isinstance(started["startDate"], float)
    execution = aws("stepfunctions").describe_execution(executionArn=started["executionArn"])
    assert execution["stateMachineArn"] == machines["STANDARD"]
    assert json.loads(execution["input"]) == {"order": 7}


def test_start_sync_execution_answers_the_executions_output(
    server: RunningServer, http: httpx.Client, orders: RestApi
) -> None:
    answer = call(server, http, orders.id, "POST", "/prod/quotes?run=q1", json={"q": 1})
    assert answer.status_code == 200, answer.text
    ran = answer.json()
    assert (ran["status"], json.loads(ran["output"])) == ("SUCCEEDED", {"ok": True})


def test_a_service_error_is_mapped_to_a_400_by_its_selection_pattern(
    server: RunningServer, http: httpx.Client, orders: RestApi
) -> None:
    answer = call(server, http, orders.id, "POST", "/prod/lost?run=r1", json={})
    assert answer.status_code == 400, answer.text
    refused = answer.json()
    assert refused["error"] == "StateMachineDoesNotExist" and "missing-" in refused["message"]
    # TestInvokeMethod calls the service alike.
    lost = next(r["id"] for r in orders.apigw.get_resources(restApiId=orders.id)["items"] if r["path"] == "/lost")
    tested = orders.apigw.test_invoke_method(
        restApiId=orders.id, resourceId=lost, httpMethod="POST", pathWithQueryString="/lost?run=r2", body="{}"
    )
    assert (tested["status"], json.loads(tested["body"])["error"]) == (400, "StateMachineDoesNotExist")


def test_lambda_through_its_rest_paths(aws: ClientFactory, server: RunningServer, http: httpx.Client) -> None:
    """`lambda:path/2015-03-31/functions/{arn}/invocations` invokes the function with the mapped body; another path
    of Lambda's REST API (GetFunction) is called as the integration's method on it."""
    function = python_function(aws("lambda"), "aws-path", "def handler(event, context):\n    return {'got': event}\n")
    api = RestApi(aws, "aws-lambda")
    invoke = {
        "type": "AWS", "integrationHttpMethod": "POST",
        "uri": uri("lambda", f"path/2015-03-31/functions/{function}/invocations"),
        "requestTemplates": {"application/json": '{"who": "$input.params(\'who\')"}'},
    }  # fmt: skip
    api.method("invoke", "POST", invoke)
    name = function.rsplit(":", 1)[1]
    describe = {
        "type": "AWS",
        "integrationHttpMethod": "GET",
        "uri": uri("lambda", f"path/2015-03-31/functions/{name}"),
    }
    api.method("describe", "GET", describe)
    api.deploy()
    invoked = call(server, http, api.id, "POST", "/prod/invoke?who=ann", json={})
    assert (invoked.status_code, invoked.json()) == (200, {"got": {"who": "ann"}})
    described = call(server, http, api.id, "GET", "/prod/describe")
    assert described.status_code == 200, described.text
    assert described.json()["Configuration"]["FunctionArn"] == function


def test_a_query_protocol_action_is_called_as_the_apis_account(
    aws: ClientFactory, server: RunningServer, http: httpx.Client
) -> None:
    """STS (query protocol) gets Action and Version in its query string; the call is the API's account's."""
    account = "210987654321"
    api = RestApi(aws, "aws-sts", client={"aws_access_key_id": account, "aws_secret_access_key": "x"})
    api.method(
        "who", "GET", {"type": "AWS", "integrationHttpMethod": "GET", "uri": uri("sts", "action/GetCallerIdentity")}
    )
    api.deploy()
    answer = call(server, http, api.id, "GET", "/prod/who")
    assert answer.status_code == 200, answer.text
    found = ElementTree.fromstring(answer.content).find(".//{*}Account")
    assert found is not None and found.text == account


def test_a_service_overcast_does_not_serve_answers_as_an_integration_failure(
    aws: ClientFactory, server: RunningServer, http: httpx.Client
) -> None:
    """Accepted when made, as AWS accepts it; called, a 500 whose access log line names what is missing."""
    group = f"/overcast/tests/aws-integrations-{uuid.uuid4().hex[:8]}"
    aws("logs").create_log_group(logGroupName=group)
    api = RestApi(aws, "aws-ssm")
    send = {"type": "AWS", "integrationHttpMethod": "POST", "uri": uri("ssm", "action/GetParameter")}
    api.method("send", "POST", send)
    publish = {"type": "AWS", "integrationHttpMethod": "POST", "uri": uri("ses", "action/SendEmail")}
    api.method("publish", "POST", publish)
    api.deploy()
    api.apigw.update_stage(
        restApiId=api.id, stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn",
             "value": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"},
            {"op": "replace", "path": "/accessLogSettings/format",
             "value": '{"status": $context.status, "integrationError": "$context.integrationErrorMessage"}'},
        ],
    )  # fmt: skip
    for path in ("/prod/send", "/prod/publish"):
        answer = call(server, http, api.id, "POST", path, json={"m": 1})
        assert (answer.status_code, answer.json()) == (500, {"message": "Internal server error"})
    logged = [json.loads(line) for line in lines(aws, group, 2)]
    assert [entry["status"] for entry in logged] == [500, 500]
    ssm, ses = (entry["integrationError"] for entry in logged)
    assert ssm.startswith("ssm:action/GetParameter: ") and "not implemented in Overcast" in ssm
    assert ses == "ses:action/SendEmail: the service ses is not implemented in Overcast yet"


@pytest.mark.parametrize(
    ("kind", "given", "message"),
    [
        ("AWS", "non-valid-arn", "Invalid ARN specified in the request"),
        ("AWS", "arn:aws:iam::000000000000:role/service-role/x", PATH_OR_ACTION),
        ("AWS", "arn:aws:apigateway:us-east-1:states:StartExecution", PATH_OR_ACTION),
        ("AWS_PROXY", uri("states", "action/StartExecution"),
         "Integrations of type 'AWS_PROXY' currently only supports Lambda function invocations."),
    ],
)  # fmt: skip
def test_put_integration_refuses_what_aws_refuses(aws: ClientFactory, kind: str, given: str, message: str) -> None:
    api = RestApi(aws, "aws-refused")
    apigw = api.apigw
    resource = apigw.create_resource(restApiId=api.id, parentId=api.root, pathPart="x")["id"]
    apigw.put_method(restApiId=api.id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
    with pytest.raises(ClientError) as raised:
        apigw.put_integration(
            restApiId=api.id, resourceId=resource, httpMethod="POST", type=kind, integrationHttpMethod="POST",
            uri=given,
        )  # fmt: skip
    assert raised.value.response["Error"] == {"Code": "BadRequestException", "Message": message}


def test_a_json_1_1_action_with_no_body(aws: ClientFactory, server: RunningServer, http: httpx.Client) -> None:
    """CloudWatch Logs (JSON 1.1) through `logs:action/DescribeLogGroups`: with no body, and with a mapped one."""
    group = f"/0-described-{uuid.uuid4().hex[:8]}"  # sorted before the suite's other groups: on the first page
    aws("logs").create_log_group(logGroupName=group)
    api = RestApi(aws, "aws-logs")
    api.method(
        "all", "GET", {"type": "AWS", "integrationHttpMethod": "GET", "uri": uri("logs", "action/DescribeLogGroups")}
    )
    some = {
        "type": "AWS", "integrationHttpMethod": "POST", "uri": uri("logs", "action/DescribeLogGroups"),
        "requestTemplates": {"application/json": '{"logGroupNamePrefix": "$input.params(\'prefix\')"}'},
    }  # fmt: skip
    api.method("some", "GET", some)
    api.deploy()
    every = call(server, http, api.id, "GET", "/prod/all")
    assert every.status_code == 200, every.text
    assert group in [g["logGroupName"] for g in every.json()["logGroups"]]
    found = call(server, http, api.id, "GET", f"/prod/some?prefix={group}")
    assert [g["logGroupName"] for g in found.json()["logGroups"]] == [group]
