"""apigatewayv2 through boto3: lookups stay in the caller's account and region, tokens in their list, tags in limits.

Two 12-digit access key ids are two accounts; tags go through the kit's one table with API Gateway's limits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ALICE, BOB = "310000000001", "310000000002"  # accounts no other test uses, so their lists are this module's
FN = f"arn:aws:lambda:us-east-1:{ALICE}:function:pets"


def _client(aws: Any, account: str, region: str = "us-east-1") -> Any:
    return aws("apigatewayv2", aws_access_key_id=account, aws_secret_access_key="x", region_name=region)


@pytest.fixture(scope="module")
def alice(aws: Any) -> Any:
    return _client(aws, ALICE)


@pytest.fixture(scope="module")
def bob(aws: Any) -> Any:
    return _client(aws, BOB)


def _error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _api(v2: Any, **kwargs: Any) -> str:
    api_id: str = v2.create_api(Name="s-" + uuid.uuid4().hex[:8], ProtocolType="HTTP", **kwargs)["ApiId"]
    return api_id


def _arn(api_id: str, stage: str | None = None, region: str = "us-east-1") -> str:
    return f"arn:aws:apigateway:{region}::/apis/{api_id}" + (f"/stages/{stage}" if stage else "")


def _all_apis(v2: Any) -> list[str]:
    pages = v2.get_paginator("get_apis").paginate(PaginationConfig={"PageSize": 2})
    return [a["ApiId"] for page in pages for a in page["Items"]]


def test_lists_page_in_creation_order_and_a_new_item_does_not_shift_a_page(alice: Any) -> None:
    before = _all_apis(alice)
    made = [_api(alice) for _ in range(5)]
    first = alice.get_apis(MaxResults="2")
    seen = [a["ApiId"] for a in first["Items"]]
    assert len(seen) == 2 and "NextToken" in first
    token = first["NextToken"]
    later = _api(alice)  # created between two pages: it comes last, and the next page starts where this one ended
    while token:
        page = alice.get_apis(MaxResults="2", NextToken=token)
        assert len(page["Items"]) <= 2
        seen += [a["ApiId"] for a in page["Items"]]
        token = page.get("NextToken")
    assert seen == [*before, *made, later][: len(seen)] and seen[-1] == later and len(seen) == len(before) + 6
    assert _all_apis(alice) == seen  # boto3's paginator reads the same pages

    api_id = made[0]
    integration = alice.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FN)
    target = f"integrations/{integration['IntegrationId']}"
    keys = [f"GET /r{i}" for i in range(5)]
    for key in keys:
        alice.create_route(ApiId=api_id, RouteKey=key, Target=target)
    pages = alice.get_paginator("get_routes").paginate(ApiId=api_id, PaginationConfig={"PageSize": 2})
    assert [[r["RouteKey"] for r in page["Items"]] for page in pages] == [keys[:2], keys[2:4], keys[4:]]
    # MaxResults "0" or none: one page of up to 500, with no NextToken when that is all.
    for asked in ({}, {"MaxResults": "0"}):
        whole = alice.get_routes(ApiId=api_id, **asked)
        assert [r["RouteKey"] for r in whole["Items"]] == keys and "NextToken" not in whole


def test_a_next_token_is_refused_outside_its_list(alice: Any, bob: Any, aws: Any) -> None:
    one, two = _api(alice), _api(alice)
    for api_id in (one, two):
        for i in range(3):
            alice.create_stage(ApiId=api_id, StageName=f"s{i}")
    token = alice.get_stages(ApiId=one, MaxResults="1")["NextToken"]
    assert alice.get_stages(ApiId=one, MaxResults="1", NextToken=token)["Items"][0]["StageName"] == "s1"
    elsewhere = _client(aws, ALICE, "eu-west-1")
    for call, kwargs in (
        (alice.get_stages, {"ApiId": two}),  # another API's list
        (alice.get_deployments, {"ApiId": one}),  # another operation
        (alice.get_apis, {}),
        (elsewhere.get_apis, {}),  # another region
        (bob.get_apis, {}),  # another account
    ):
        code, message = _error(call, NextToken=token, **kwargs)
        assert (code, message) == ("BadRequestException", f"Invalid NextToken {token}"), call
    assert _error(alice.get_apis, NextToken="not-a-token")[0] == "BadRequestException"
    for size in ("-1", "x"):
        assert _error(alice.get_apis, MaxResults=size) == (
            "BadRequestException",
            f"Invalid MaxResults {size}: it must be a positive number",
        )


def test_another_accounts_or_regions_api_does_not_exist_for_the_caller(alice: Any, bob: Any, aws: Any) -> None:
    api_id = _api(alice, Target=FN, Tags={"owner": "alice"})
    before = alice.get_api(ApiId=api_id)
    before.pop("ResponseMetadata")
    elsewhere = _client(aws, ALICE, "eu-west-1")
    for caller, account in ((bob, BOB), (elsewhere, ALICE)):
        missing = ("NotFoundException", f"Invalid API identifier specified {account}:{api_id}")
        for call, kwargs in (
            (caller.get_api, {"ApiId": api_id}),
            (caller.update_api, {"ApiId": api_id, "Name": "stolen"}),
            (caller.get_routes, {"ApiId": api_id}),
            (caller.create_route, {"ApiId": api_id, "RouteKey": "GET /x"}),
            (caller.get_stage, {"ApiId": api_id, "StageName": "$default"}),
            (caller.create_deployment, {"ApiId": api_id}),
            (caller.export_api, {"ApiId": api_id, "Specification": "OAS30", "OutputType": "JSON"}),
            (caller.tag_resource, {"ResourceArn": _arn(api_id), "Tags": {"owner": "bob"}}),
            (caller.untag_resource, {"ResourceArn": _arn(api_id), "TagKeys": ["owner"]}),
            (caller.get_tags, {"ResourceArn": _arn(api_id, "$default")}),
            (caller.delete_stage, {"ApiId": api_id, "StageName": "$default"}),
            (caller.delete_api, {"ApiId": api_id}),
        ):
            assert _error(call, **kwargs) == missing, (call, account)
        assert api_id not in [a["ApiId"] for a in caller.get_apis()["Items"]]
    after = alice.get_api(ApiId=api_id)
    after.pop("ResponseMetadata")
    assert after == before and after["Tags"] == {"owner": "alice"}
    # An ARN naming the API in another region names nothing in the caller's region.
    code, message = _error(alice.get_tags, ResourceArn=_arn(api_id, region="eu-west-1"))
    assert (code, message) == ("NotFoundException", f"Invalid API identifier specified {ALICE}:{api_id}")
    assert _error(alice.get_tags, ResourceArn=f"arn:aws:lambda:us-east-1:{ALICE}:function:f")[0] == (
        "BadRequestException"
    )


def test_tags_follow_api_gateways_limits_and_a_refusal_changes_nothing(alice: Any) -> None:
    before = _all_apis(alice)
    code, _ = _error(alice.create_api, Name="t", ProtocolType="HTTP", Tags={f"k{i}": "v" for i in range(51)})
    assert code == "BadRequestException" and _all_apis(alice) == before  # no API was created

    api_id = _api(alice, Tags={f"k{i}": "v" for i in range(49)})
    arn = _arn(api_id)
    alice.tag_resource(ResourceArn=arn, Tags={"k0": "again", "k49": "v"})  # an overwrite and a 50th tag
    for bad in ({"k50": "v"}, {"aws:owner": "x"}, {"k" * 129: "v"}, {"k1": "v" * 257}, {"AWS:x": "y"}):
        assert _error(alice.tag_resource, ResourceArn=arn, Tags=bad)[0] == "BadRequestException", bad
    assert _error(alice.untag_resource, ResourceArn=arn, TagKeys=["aws:owner"])[0] == "BadRequestException"
    tags = alice.get_tags(ResourceArn=arn)["Tags"]
    assert len(tags) == 50 and tags["k0"] == "again" and alice.get_api(ApiId=api_id)["Tags"] == tags
    alice.untag_resource(ResourceArn=arn, TagKeys=["k0", "not-there"])
    assert len(alice.get_tags(ResourceArn=arn)["Tags"]) == 49

    # A stage's tags: given at creation, listed with it, and gone with it (a stage made again starts bare).
    alice.create_stage(ApiId=api_id, StageName="prod", Tags={"env": "prod"})
    assert alice.get_stage(ApiId=api_id, StageName="prod")["Tags"] == {"env": "prod"}
    assert [s["Tags"] for s in alice.get_stages(ApiId=api_id)["Items"]] == [{"env": "prod"}]
    alice.tag_resource(ResourceArn=_arn(api_id, "prod"), Tags={"tier": "1"})
    assert alice.update_stage(ApiId=api_id, StageName="prod", Description="d")["Tags"] == {"env": "prod", "tier": "1"}
    alice.delete_stage(ApiId=api_id, StageName="prod")
    assert _error(alice.get_tags, ResourceArn=_arn(api_id, "prod")) == (
        "NotFoundException",
        "Invalid stage identifier specified prod",
    )
    assert alice.create_stage(ApiId=api_id, StageName="prod")["Tags"] == {}
    assert alice.get_tags(ResourceArn=_arn(api_id, "prod"))["Tags"] == {}
