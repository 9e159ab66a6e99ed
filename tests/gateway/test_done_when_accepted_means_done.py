"""Issue 10, "Done when" 3: what the REST API control plane accepts, the gateway does; the rest is refused
when it is configured, with AWS's error shape, and changes nothing.

Through the real server with boto3: FlushStageAuthorizersCache flushes, AWS service integrations are
accepted wherever an integration is made as AWS accepts them (a proxy one only for Lambda), selection
patterns are checked as Java regexes and chosen by at request time, cloneFrom copies an API and stageKeys
attach a key to stages.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.gateway.test_done_when_authorizers import ECHO, make_function

# A TOKEN authorizer whose every answer is new: the context names the invocation.
NONCE_AUTHORIZER = """
import uuid

def handler(event, context):
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]},
        "context": {"invocation": str(uuid.uuid4())},
    }
"""


def error(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def host(server: RunningServer, api_id: str) -> dict[str, str]:
    return {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}


def new_api(apigw: Any, name: str, **kwargs: Any) -> tuple[str, str]:
    """(API id, the id of its /pets resource)."""
    api_id = str(apigw.create_rest_api(name=name, **kwargs)["id"])
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    return api_id, str(apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"])


def mock(apigw: Any, api_id: str, resource: str, status: int = 200, **method: Any) -> None:
    method.setdefault("authorizationType", "NONE")
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", **method)
    apigw.put_integration(
        restApiId=api_id, resourceId=resource, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": json.dumps({"statusCode": status})},
    )  # fmt: skip
    apigw.put_integration_response(
        restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200", selectionPattern="",
        responseTemplates={"application/json": '{"pets": []}'},
    )  # fmt: skip


# -- FlushStageAuthorizersCache ----------------------------------------------------------------------


def test_flush_stage_authorizers_cache_makes_the_authorizer_answer_again(
    aws: ClientFactory, server: RunningServer
) -> None:
    apigw = aws("apigateway")
    authorizer_arn = make_function(aws, NONCE_AUTHORIZER, "dw-nonce-auth")
    echo_arn = make_function(aws, ECHO, "dw-flush-echo")
    api_id, pets = new_api(apigw, "dw-flush")
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        authorizerResultTtlInSeconds=300,
    )["id"]  # fmt: skip
    apigw.put_method(
        restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer
    )
    apigw.put_integration(
        restApiId=api_id, resourceId=pets, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{echo_arn}/invocations",
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")

    def invocation() -> str:
        response = httpx.get(
            f"{server.url}/prod/pets", headers={**host(server, api_id), "authorization": "t"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return str(response.json()["requestContext"]["authorizer"]["invocation"])

    first = invocation()
    assert invocation() == first  # the second request was answered from the cache: no new invocation
    apigw.flush_stage_authorizers_cache(restApiId=api_id, stageName="prod")
    again = invocation()
    assert again != first  # the authorizer ran again
    assert invocation() == again  # and its new answer is cached in turn
    assert error(apigw.flush_stage_authorizers_cache, restApiId=api_id, stageName="nope")[0] == "NotFoundException"


# -- HTTP and AWS (non-proxy) integrations -------------------------------------------------------------
SQS = "arn:aws:apigateway:us-east-1:sqs:action/SendMessage"  # an AWS service Overcast does not serve


def test_aws_service_integrations_are_accepted_wherever_an_integration_is_made(aws: ClientFactory) -> None:
    """As on AWS: a service Overcast does not serve answers 500 when called (test_aws_service_integrations.py);
    only a proxy integration of another service than Lambda is refused."""
    apigw = aws("apigateway")
    api_id, pets = new_api(apigw, "dw-custom-integrations")
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    code, message, status = error(
        apigw.put_integration, restApiId=api_id, resourceId=pets, httpMethod="GET", type="AWS_PROXY",
        integrationHttpMethod="POST", uri=SQS,
    )  # fmt: skip
    assert (code, status) == ("BadRequestException", 400)
    assert message == "Integrations of type 'AWS_PROXY' currently only supports Lambda function invocations."
    assert error(apigw.get_integration, restApiId=api_id, resourceId=pets, httpMethod="GET")[0] == "NotFoundException"

    # HTTP and AWS non-proxy integrations are accepted, templates and all.
    lambda_uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:000000000000:function:f/invocations"
    )
    for kind, uri in (("HTTP", "https://example.com/pets"), ("AWS", lambda_uri), ("AWS", SQS)):
        made = apigw.put_integration(
            restApiId=api_id, resourceId=pets, httpMethod="GET", type=kind, integrationHttpMethod="POST", uri=uri,
            requestTemplates={"application/json": '{"q": "$input.params(\'q\')"}'}, passthroughBehavior="NEVER",
        )  # fmt: skip
        assert (made["type"], made["uri"], made["passthroughBehavior"]) == (kind, uri, "NEVER")
    code, message, _ = error(
        apigw.update_integration, restApiId=api_id, resourceId=pets, httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/uri", "value": "arn:aws:sqs:us-east-1:000000000000:q"}],
    )  # fmt: skip
    assert (code, message) == ("BadRequestException", "AWS ARN for integration must contain path or action")
    assert apigw.get_integration(restApiId=api_id, resourceId=pets, httpMethod="GET")["uri"] == SQS

    spec = {
        "openapi": "3.0.1",
        "info": {"title": "dw-import"},
        "paths": {"/orders": {"get": {"responses": {}, "x-amazon-apigateway-integration": {
            "type": "aws", "httpMethod": "POST", "uri": SQS}}}},
    }  # fmt: skip
    imported = apigw.import_rest_api(body=json.dumps(spec).encode())
    orders = next(r for r in apigw.get_resources(restApiId=imported["id"])["items"] if r["path"] == "/orders")
    assert apigw.get_integration(restApiId=imported["id"], resourceId=orders["id"], httpMethod="GET")["uri"] == SQS


# -- selection patterns ------------------------------------------------------------------------------------


def test_selection_patterns_are_java_regexes_checked_when_put_and_chosen_by_at_request_time(
    aws: ClientFactory, server: RunningServer
) -> None:
    apigw = aws("apigateway")
    api_id, pets = new_api(apigw, "dw-selection")
    mock(apigw, api_id, pets, status=503)
    where = {"restApiId": api_id, "resourceId": pets, "httpMethod": "GET"}
    for pattern in ("(", "5\\d{2", "(?P<n>5)\\d\\d", "\\y"):
        refused = error(apigw.put_integration_response, **where, statusCode="500", selectionPattern=pattern)
        assert refused == ("BadRequestException", f"Invalid selection pattern specified: {pattern}", 400)
    assert error(apigw.get_integration_response, **where, statusCode="500")[0] == "NotFoundException"
    # Java syntax Python spells otherwise (\p{Digit}) is accepted, and chosen by on the status code.
    apigw.put_integration_response(
        **where, statusCode="500", selectionPattern="5\\p{Digit}{2}",
        responseTemplates={"application/json": '{"failed": true}'},
    )  # fmt: skip
    code, message, _ = error(
        apigw.update_integration_response, **where, statusCode="500",
        patchOperations=[{"op": "replace", "path": "/selectionPattern", "value": "[5"}],
    )  # fmt: skip
    assert (code, message) == ("BadRequestException", "Invalid selection pattern specified: [5")
    assert apigw.get_integration_response(**where, statusCode="500")["selectionPattern"] == "5\\p{Digit}{2}"
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    answer = httpx.get(f"{server.url}/prod/pets", headers=host(server, api_id), timeout=30)
    assert (answer.status_code, answer.json()) == (500, {"failed": True})


# -- cloneFrom -----------------------------------------------------------------------------------------------


def test_clone_from_copies_the_api_under_new_ids(aws: ClientFactory, server: RunningServer) -> None:
    apigw = aws("apigateway")
    authorizer_arn = make_function(aws, NONCE_AUTHORIZER, "dw-clone-auth")
    source, pets = new_api(apigw, "dw-clone-source", description="the original", binaryMediaTypes=["image/png"])
    authorizer = apigw.create_authorizer(
        restApiId=source, name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
    )["id"]  # fmt: skip
    mock(apigw, source, pets, authorizationType="CUSTOM", authorizerId=authorizer)
    apigw.put_gateway_response(restApiId=source, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404")
    apigw.create_deployment(restApiId=source, stageName="prod")

    clone = apigw.create_rest_api(name="dw-clone", cloneFrom=source, tags={"copy": "yes"})
    assert (clone["name"], clone["description"]) == ("dw-clone", "the original")
    assert clone["binaryMediaTypes"] == ["image/png"]
    assert clone["tags"] == {"copy": "yes"} and clone["id"] != source
    copied = {r["path"]: r for r in apigw.get_resources(restApiId=clone["id"], embed=["methods"])["items"]}
    assert sorted(copied) == ["/", "/pets"] and copied["/pets"]["id"] != pets
    assert copied["/"]["id"] == clone["rootResourceId"] and copied["/pets"]["parentId"] == clone["rootResourceId"]
    method = copied["/pets"]["resourceMethods"]["GET"]
    [cloned_authorizer] = apigw.get_authorizers(restApiId=clone["id"])["items"]
    assert cloned_authorizer["id"] != authorizer and method["authorizerId"] == cloned_authorizer["id"]
    assert cloned_authorizer["authorizerUri"].endswith(f"{authorizer_arn}/invocations")
    assert method["methodIntegration"]["type"] == "MOCK"
    assert method["methodIntegration"]["cacheNamespace"] == copied["/pets"]["id"]
    assert method["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"] == {
        "application/json": '{"pets": []}'
    }
    response = apigw.get_gateway_response(restApiId=clone["id"], responseType="MISSING_AUTHENTICATION_TOKEN")
    assert (response["statusCode"], response["defaultResponse"]) == ("404", False)
    assert apigw.get_stages(restApiId=clone["id"])["item"] == []  # stages and deployments stay behind
    assert pets in {r["id"] for r in apigw.get_resources(restApiId=source)["items"]}  # the source is untouched

    apigw.create_deployment(restApiId=clone["id"], stageName="prod")
    answer = httpx.get(
        f"{server.url}/prod/pets", headers={**host(server, clone["id"]), "authorization": "t"}, timeout=30
    )
    assert (answer.status_code, answer.json()) == (200, {"pets": []})
    code, message, _ = error(apigw.create_rest_api, name="dw-clone-nothing", cloneFrom="nosuchapi")
    assert (code, message) == ("NotFoundException", "Invalid API identifier specified 000000000000:nosuchapi")


# -- stageKeys ------------------------------------------------------------------------------------------------


def test_stage_keys_attach_a_key_to_stages(aws: ClientFactory, server: RunningServer) -> None:
    apigw = aws("apigateway")
    api_id, pets = new_api(apigw, "dw-stage-keys")
    mock(apigw, api_id, pets, apiKeyRequired=True)
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    attached = apigw.create_api_key(
        name="dw-attached", enabled=True, stageKeys=[{"restApiId": api_id, "stageName": "v1"}]
    )
    assert attached["stageKeys"] == [f"{api_id}/v1"]
    assert apigw.get_api_key(apiKey=attached["id"])["stageKeys"] == [f"{api_id}/v1"]
    other = apigw.create_api_key(name="dw-unattached", enabled=True)
    assert other["stageKeys"] == []

    def status(key: str | None) -> int:
        headers = {**host(server, api_id), **({"x-api-key": key} if key else {})}
        return httpx.get(f"{server.url}/v1/pets", headers=headers, timeout=30).status_code

    assert [status(attached["value"]), status(other["value"]), status(None)] == [200, 403, 403]
    detached = apigw.update_api_key(
        apiKey=attached["id"], patchOperations=[{"op": "remove", "path": "/stages", "value": f"{api_id}/v1"}]
    )
    assert detached["stageKeys"] == [] and status(attached["value"]) == 403
    apigw.update_api_key(
        apiKey=other["id"], patchOperations=[{"op": "add", "path": "/stages", "value": f"{api_id}/v1"}]
    )
    assert status(other["value"]) == 200

    keys_before = len(apigw.get_api_keys()["items"])
    code, message, _ = error(
        apigw.create_api_key, name="dw-nowhere", stageKeys=[{"restApiId": api_id, "stageName": "nope"}]
    )
    assert (code, message) == ("NotFoundException", f"Invalid stage identifier specified: {api_id}:nope")
    assert len(apigw.get_api_keys()["items"]) == keys_before  # no key was made
    code, _, _ = error(
        apigw.update_api_key, apiKey=other["id"],
        patchOperations=[{"op": "add", "path": "/stages", "value": f"{api_id}/nope"}],
    )  # fmt: skip
    assert code == "NotFoundException"
    assert apigw.get_api_key(apiKey=other["id"])["stageKeys"] == [f"{api_id}/v1"]
