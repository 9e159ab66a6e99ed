"""ARNs: parsing, formatting in the region's partition, ownership, and the function inside an integration URI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore
import pytest

from overcast.arn import format_arn, integration_function, log_group_of, parse_arn, partition_of


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),
        ("", "aws"),
    ],
)
def test_arns_are_made_in_the_regions_partition(region: str, partition: str) -> None:
    assert partition_of(region) == partition
    assert format_arn("lambda", region, "1", "function:f").startswith(f"arn:{partition}:lambda:")


def test_every_region_of_every_current_partition_gets_its_partition() -> None:
    """botocore's partitions.json is the SDKs' list of AWS's partitions and their regions: each region
    it lists (and one more that only matches the partition's regionRegex) maps to its partition."""
    data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())
    assert len(data["partitions"]) >= 8
    for part in data["partitions"]:
        regions = [r for r in part["regions"] if re.match(part["regionRegex"], r)]
        assert regions, part["id"]
        future = re.sub(r"-\d+$", "-9", regions[0])  # a region the partition does not have yet
        for region in [*regions, future]:
            assert re.match(part["regionRegex"], region)
            assert partition_of(region) == part["id"], region


def test_fields_type_and_owner() -> None:
    arn = parse_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live")
    assert arn is not None
    assert arn.fields() == ["function", "f", "live"]
    assert arn.fields(most=1) == ["function", "f:live"]
    assert arn.resource_type == "function"
    assert arn.owned_by("123456789012", "us-east-1")
    assert not arn.owned_by("123456789012", "eu-west-1") and not arn.owned_by("000000000000", "us-east-1")
    stage = parse_arn("arn:aws:apigateway:us-east-1::/restapis/a1/stages/prod")
    assert (
        stage is not None
        and stage.resource_type == "restapis"
        and stage.fields("/") == ["restapis", "a1", "stages", "prod"]
    )
    role = parse_arn("arn:aws:iam::123456789012:role/r")
    assert role is not None and role.owned_by("123456789012", "eu-west-1")  # global: any region


@pytest.mark.parametrize(
    ("uri", "function"),
    [
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:f:live/invocations",
            "arn:aws:lambda:us-east-1:123456789012:function:f:live",
        ),
        ("arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/f/invocations", "f"),
        ("arn:aws:apigateway:us-east-1:s3:path/bucket/key", None),
        ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions//invocations", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", None),
        ("https://example.com", None),
    ],
)
def test_the_function_inside_an_integration_uri(uri: str, function: str | None) -> None:
    assert integration_function(uri) == function


def test_log_group_of_destination_arns() -> None:
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:my/group") == (
        "123456789012",
        "us-east-1",
        "my/group",
    )
    assert log_group_of("arn:aws:logs:eu-west-1:123456789012:log-group:g:*") == ("123456789012", "eu-west-1", "g")
    for bad in ("", "arn:aws:s3:::bucket", "arn:aws:logs:us-east-1:123456789012:log-group:", "not-an-arn"):
        assert log_group_of(bad) is None, bad
