"""apigateway (REST APIs) through boto3: Get* lists page through the kit (limit, position) and a position
stays in its list, tags go through the kit's table with API Gateway's limits, and every lookup stays in
the caller's account and region."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

FN = "arn:aws:lambda:us-east-1:000000000000:function:pets"
INVOCATIONS = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"


def _account() -> str:
    """A fresh account (a 12-digit access key id selects it), so its lists hold only this test's items."""
    return str(uuid.uuid4().int)[:12].rjust(12, "1")


@pytest.fixture
def fresh(aws: Callable[..., Any]) -> Callable[..., Any]:
    """`fresh()` -> an apigateway client of a new account; `fresh(account, region)` -> that one's."""

    def make(account: str | None = None, region: str = "us-east-1") -> Any:
        key = account or _account()
        return aws("apigateway", aws_access_key_id=key, aws_secret_access_key="x", region_name=region)

    return make


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def deployed_api(apigw: Any, name: str = "pets") -> str:
    api = apigw.create_rest_api(name=name)
    res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=res, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=res, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    return str(api["id"])


def test_rest_apis_page_by_limit_and_position(fresh: Callable[..., Any]) -> None:
    apigw = fresh()
    made = [apigw.create_rest_api(name=f"api-{i}")["id"] for i in range(5)]
    first = apigw.get_rest_apis(limit=2)
    assert [a["id"] for a in first["items"]] == made[:2] and first["position"]
    second = apigw.get_rest_apis(limit=2, position=first["position"])
    assert [a["id"] for a in second["items"]] == made[2:4]
    last = apigw.get_rest_apis(limit=2, position=second["position"])
    assert [a["id"] for a in last["items"]] == made[4:] and "position" not in last
    every = [a["id"] for page in apigw.get_paginator("get_rest_apis").paginate(limit=2) for a in page["items"]]
    assert every == made
    assert [a["id"] for a in apigw.get_rest_apis(limit=1000)["items"]] == made  # at most 500 a page


def test_default_limit_is_25(fresh: Callable[..., Any]) -> None:
    apigw = fresh()
    for i in range(26):
        apigw.create_api_key(name=f"k{i:02}")
    first = apigw.get_api_keys()
    assert len(first["items"]) == 25 and first["position"]
    assert [k["name"] for k in apigw.get_api_keys(position=first["position"])["items"]] == ["k25"]


def test_a_position_stays_in_its_list(fresh: Callable[..., Any]) -> None:
    apigw = fresh()
    for i in range(3):
        apigw.create_rest_api(name=f"api-{i}")
        apigw.create_api_key(name=f"alpha-{i}")
        apigw.create_api_key(name=f"beta-{i}")
    apis = apigw.get_rest_apis(limit=1)["position"]
    keys = apigw.get_api_keys(limit=1, nameQuery="alpha")["position"]
    for call, kwargs in (
        (apigw.get_api_keys, {"position": apis}),  # another operation's
        (apigw.get_api_keys, {"position": keys, "nameQuery": "beta"}),  # another filter's
        (fresh().get_rest_apis, {"position": apis}),  # another account's
        (fresh(region="eu-west-1").get_rest_apis, {"position": apis}),  # another region's
        (apigw.get_rest_apis, {"position": "not-a-position"}),
    ):
        code, message = error(call, **kwargs)
        assert code == "BadRequestException" and message.startswith("Invalid position specified"), (call, kwargs)
    assert [k["name"] for k in apigw.get_api_keys(nameQuery="alpha", position=keys)["items"]] == ["alpha-1", "alpha-2"]


def test_every_list_of_an_api_pages(fresh: Callable[..., Any]) -> None:
    apigw = fresh()
    api_id = deployed_api(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    root = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")["id"]
    for part in ("a", "b"):
        apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)
    for name in ("one", "two", "three"):
        apigw.create_authorizer(restApiId=api_id, name=name, type="TOKEN", authorizerUri=INVOCATIONS)
    for call, size in (
        (apigw.get_resources, 4),
        (apigw.get_deployments, 2),
        (apigw.get_authorizers, 3),
        (apigw.get_gateway_responses, 21),
    ):
        seen, position = [], None
        while True:
            got = call(restApiId=api_id, limit=2, **({"position": position} if position else {}))
            assert len(got["items"]) <= 2
            seen += got["items"]
            position = got.get("position")
            if not position:
                break
        assert len(seen) == size and seen == call(restApiId=api_id, limit=500)["items"], call
    other = deployed_api(apigw, "other")
    position = apigw.get_resources(restApiId=api_id, limit=1)["position"]
    assert error(apigw.get_resources, restApiId=other, position=position)[0] == "BadRequestException"


def test_usage_plans_and_their_keys_page(fresh: Callable[..., Any]) -> None:
    apigw = fresh()
    keys = [apigw.create_api_key(name=f"k{i}", enabled=True)["id"] for i in range(3)]
    plans = [apigw.create_usage_plan(name=f"p{i}")["id"] for i in range(3)]
    for key in keys:
        apigw.create_usage_plan_key(usagePlanId=plans[0], keyId=key, keyType="API_KEY")
    first = apigw.get_usage_plans(limit=2)
    assert [p["id"] for p in first["items"]] == plans[:2]
    assert [p["id"] for p in apigw.get_usage_plans(limit=2, position=first["position"])["items"]] == plans[2:]
    assert [p["id"] for p in apigw.get_usage_plans(keyId=keys[0])["items"]] == plans[:1]
    page = apigw.get_usage_plan_keys(usagePlanId=plans[0], limit=2)
    assert [k["id"] for k in page["items"]] == keys[:2]
    rest = apigw.get_usage_plan_keys(usagePlanId=plans[0], limit=2, position=page["position"])
    assert [k["id"] for k in rest["items"]] == keys[2:] and "position" not in rest
    assert error(apigw.get_usage_plan_keys, usagePlanId=plans[1], position=page["position"])[0] == (
        "BadRequestException"
    )


def test_tags_with_api_gateways_limits(fresh: Callable[..., Any]) -> None:
    apigw = fresh()
    too_many = {f"k{i}": "v" for i in range(51)}
    assert error(apigw.create_rest_api, name="many", tags=too_many)[0] == "BadRequestException"
    assert error(apigw.create_api_key, name="many", tags=too_many)[0] == "BadRequestException"
    assert error(apigw.create_usage_plan, name="many", tags=too_many)[0] == "BadRequestException"
    assert error(apigw.create_rest_api, name="reserved", tags={"aws:x": "1"})[0] == "BadRequestException"
    # a refused create leaves nothing behind
    assert apigw.get_rest_apis()["items"] == [] and apigw.get_api_keys()["items"] == []
    assert apigw.get_usage_plans()["items"] == []

    api_id = deployed_api(apigw)
    key = apigw.create_api_key(name="k", tags={"a": "1"})["id"]
    plan = apigw.create_usage_plan(name="p", tags={"a": "1"})["id"]
    arns = {
        "api": f"arn:aws:apigateway:us-east-1::/restapis/{api_id}",
        "stage": f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/prod",
        "key": f"arn:aws:apigateway:us-east-1::/apikeys/{key}",
        "plan": f"arn:aws:apigateway:us-east-1::/usageplans/{plan}",
    }
    for arn in arns.values():
        apigw.tag_resource(resourceArn=arn, tags={f"t{i}": "v" for i in range(49)})
        assert error(apigw.tag_resource, resourceArn=arn, tags={"one": "2", "more": "3"})[0] == "BadRequestException"
        assert len(apigw.get_tags(resourceArn=arn)["tags"]) in (49, 50)  # unchanged by the refused call
        apigw.untag_resource(resourceArn=arn, tagKeys=[f"t{i}" for i in range(49)])
    assert apigw.get_api_key(apiKey=key)["tags"] == {"a": "1"}
    assert apigw.get_usage_plan(usagePlanId=plan)["tags"] == {"a": "1"}
    assert "tags" not in apigw.get_stage(restApiId=api_id, stageName="prod")
    assert error(apigw.get_tags, resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/nope")[0] == (
        "NotFoundException"
    )
    assert error(apigw.get_tags, resourceArn="arn:aws:s3:::bucket")[0] == "BadRequestException"

    apigw.delete_stage(restApiId=api_id, stageName="prod")
    apigw.create_deployment(restApiId=api_id, stageName="prod")  # the same stage name again: no old tags
    assert apigw.get_tags(resourceArn=arns["stage"])["tags"] == {}
    apigw.delete_rest_api(restApiId=api_id)
    apigw.delete_api_key(apiKey=key)
    apigw.delete_usage_plan(usagePlanId=plan)
    for arn in arns.values():
        assert error(apigw.get_tags, resourceArn=arn)[0] == "NotFoundException"


def test_another_accounts_or_regions_resources_are_not_found(fresh: Callable[..., Any]) -> None:
    alice, bob, abroad = fresh("111111111111"), fresh("222222222222"), fresh("111111111111", "eu-west-1")
    api_id = deployed_api(alice)
    key = alice.create_api_key(name="k")["id"]
    plan = alice.create_usage_plan(name="p")["id"]
    for client in (bob, abroad):
        code, message = error(client.get_rest_api, restApiId=api_id)
        assert code == "NotFoundException" and api_id in message
        assert error(client.get_stage, restApiId=api_id, stageName="prod")[0] == "NotFoundException"
        assert error(client.get_api_key, apiKey=key)[0] == "NotFoundException"
        assert error(client.get_usage_plan, usagePlanId=plan)[0] == "NotFoundException"
        assert error(client.create_usage_plan, name="x", apiStages=[{"apiId": api_id, "stage": "prod"}])[0] == (
            "NotFoundException"
        )
        for path in (
            f"/restapis/{api_id}",
            f"/restapis/{api_id}/stages/prod",
            f"/apikeys/{key}",
            f"/usageplans/{plan}",
        ):
            for region in ("us-east-1", "eu-west-1"):
                arn = f"arn:aws:apigateway:{region}::{path}"
                assert error(client.tag_resource, resourceArn=arn, tags={"x": "1"})[0] == "NotFoundException"
                assert error(client.get_tags, resourceArn=arn)[0] == "NotFoundException"
    assert alice.get_tags(resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api_id}")["tags"] == {}
