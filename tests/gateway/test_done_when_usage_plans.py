"""Issue 5, "Done when" 3 (keys and quotas): API keys and usage plans made with boto3, enforced by the server.

A method with apiKeyRequired: no key -> 403 Forbidden; the plan's key -> 200 three times, the fourth
429 Limit Exceeded (quota 3 per DAY); GetUsage shows the three used.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import httpx

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

HELLO = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello " + (event["requestContext"]["identity"].get("apiKeyId") or "-")}
"""


def test_api_key_required_and_quota_cut_off(aws: ClientFactory, server: RunningServer) -> None:
    arn = python_function(aws("lambda"), "dw-keys", HELLO)

    apigw = aws("apigateway")
    api_id = apigw.create_rest_api(name="dw-keys")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    apigw.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True
    )
    apigw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    key = apigw.create_api_key(name=f"dw-key-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = apigw.create_usage_plan(
        name="dw-plan",
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        quota={"limit": 3, "period": "DAY"},
        throttle={"rateLimit": 100, "burstLimit": 50},
    )
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")

    url = f"{server.url}/prod/"
    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    with httpx.Client(headers=host, timeout=30) as http:
        keyless = http.get(url)
        assert (keyless.status_code, keyless.json()) == (403, {"message": "Forbidden"})
        assert keyless.headers["x-amzn-ErrorType"] == "ForbiddenException"
        wrong = http.get(url, headers={"x-api-key": "not-a-key-value-at-all-0123456789"})
        assert wrong.status_code == 403
        answers = [http.get(url, headers={"x-api-key": key["value"]}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].text == f"hello {key['id']}"
    assert answers[3].json() == {"message": "Limit Exceeded"}
    assert answers[3].headers["x-amzn-ErrorType"] == "LimitExceededException"

    today = time.strftime("%Y-%m-%d", time.gmtime())
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"][key["id"]] == [[3, 0]]
