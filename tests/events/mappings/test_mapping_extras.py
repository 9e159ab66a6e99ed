"""Tags, MetricsConfig and KMSKeyArn on a mapping, through boto3 against a real server: kept and answered as
Lambda does (tags through TagResource / UntagResource / ListTags on the mapping's ARN), or refused."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.events.mappings import queue_flows as flows
from tests.functions.hostile import create

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def function(lam: Any) -> str:
    return create(lam, "python3.12", {"index.py": "def handler(event, context):\n    return None\n"}, prefix="tag")


def _code(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_tags_metrics_and_key_are_kept_and_answered(sqs: Any, lam: Any, function: str) -> None:
    arn = flows.queue(sqs)[1]
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, Enabled=False, Tags={"team": "a", "env": "dev"},
        MetricsConfig={"Metrics": ["EventCount"]}, KMSKeyArn=KEY,
    )  # fmt: skip
    mapping_arn = made["EventSourceMappingArn"]
    try:
        assert made["MetricsConfig"] == {"Metrics": ["EventCount"]} and made["KMSKeyArn"] == KEY
        got = lam.get_event_source_mapping(UUID=made["UUID"])
        assert got["MetricsConfig"] == {"Metrics": ["EventCount"]} and got["KMSKeyArn"] == KEY
        assert lam.list_tags(Resource=mapping_arn)["Tags"] == {"team": "a", "env": "dev"}
        lam.tag_resource(Resource=mapping_arn, Tags={"owner": "b"})
        lam.untag_resource(Resource=mapping_arn, TagKeys=["env"])
        assert lam.list_tags(Resource=mapping_arn)["Tags"] == {"team": "a", "owner": "b"}
        # A function's tags are still the function's.
        function_arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
        assert lam.list_tags(Resource=function_arn)["Tags"] == {}

        updated = lam.update_event_source_mapping(UUID=made["UUID"], MetricsConfig={"Metrics": []}, KMSKeyArn="")
        assert updated["MetricsConfig"] == {"Metrics": []} and "KMSKeyArn" not in updated
        listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
        assert listed[0]["MetricsConfig"] == {"Metrics": []}
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])
    code, _ = _code(lam.list_tags, Resource=mapping_arn)
    assert code == "ResourceNotFoundException"
    made_again = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, Enabled=False)
    try:  # a deleted mapping's tags went with it
        assert "MetricsConfig" not in made_again and "KMSKeyArn" not in made_again
        assert lam.list_tags(Resource=made_again["EventSourceMappingArn"])["Tags"] == {}
    finally:
        lam.delete_event_source_mapping(UUID=made_again["UUID"])


def test_what_a_queue_cannot_have_is_refused(sqs: Any, lam: Any, function: str) -> None:
    arn = flows.queue(sqs)[1]
    create_ = lam.create_event_source_mapping
    code, message = _code(create_, EventSourceArn=arn, FunctionName=function, MetricsConfig={"Metrics": ["ErrorCount"]})
    assert code == "InvalidParameterValueException" and "ErrorCount" in message
    code, _ = _code(create_, EventSourceArn=arn, FunctionName=function, Tags={"aws:reserved": "x"})
    assert code == "InvalidParameterValueException"
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
    unknown = arn.replace(":sqs:", ":lambda:").rsplit(":", 2)[0]
    unknown += ":" + arn.split(":")[4] + ":event-source-mapping:00000000-0000-4000-8000-000000000000"
    assert _code(lam.list_tags, Resource=unknown)[0] == "ResourceNotFoundException"
