"""SNS topics and subscriptions through boto3 against a real server, answered as SNS answers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def sns(aws: Any) -> Any:
    return aws("sns")


def _name(kind: str = "t") -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def _error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_topic_is_created_idempotently_read_changed_and_deleted(sns: Any) -> None:
    name = _name()
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "d"})["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "d"})["TopicArn"] == arn
    assert _error(sns.create_topic, Name=name, Attributes={"DisplayName": "other"}) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        400,
    )
    got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert got["DisplayName"] == "d" and got["Owner"] == ACCOUNT and got["TopicArn"] == arn
    assert got["SubscriptionsConfirmed"] == "0" and "FifoTopic" not in got
    policy = json.loads(got["Policy"])
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}
    assert json.loads(got["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3

    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="TracingConfig", AttributeValue="Active")
    got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (got["SignatureVersion"], got["TracingConfig"]) == ("2", "Active")
    for name_, value in [
        ("SignatureVersion", "3"),
        ("TracingConfig", "On"),
        ("Nope", "x"),
        ("FifoTopic", "true"),
        ("ContentBasedDeduplication", "true"),
        ("DeliveryPolicy", '{"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 50, "maxDelayTarget": 10}}}'),
        ("Policy", "not json"),
    ]:
        code, _, status = _error(sns.set_topic_attributes, TopicArn=arn, AttributeName=name_, AttributeValue=value)
        assert (code, status) == ("InvalidParameter", 400), name_

    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # deleting what is gone succeeds, as on SNS
    assert _error(sns.get_topic_attributes, TopicArn=arn) == ("NotFound", "Topic does not exist", 404)


def test_a_fifo_topic_needs_its_suffix_and_keeps_its_fifo_attributes(sns: Any) -> None:
    name = _name("f") + ".fifo"
    arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (got["FifoTopic"], got["ContentBasedDeduplication"]) == ("true", "true")
    archive = '{"MessageRetentionPeriod": 7}'
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ArchivePolicy", AttributeValue=archive)
    code, message, _ = _error(sns.create_topic, Name=_name(), Attributes={"FifoTopic": "true"})
    assert code == "InvalidParameter" and "must end with .fifo" in message
    assert _error(sns.create_topic, Name="bad name")[:2] == ("InvalidParameter", "Invalid parameter: Topic Name")
    code, _, _ = _error(sns.subscribe, TopicArn=arn, Protocol="http", Endpoint="http://example.com")
    assert code == "InvalidParameter"
    sns.delete_topic(TopicArn=arn)


def test_topics_are_listed_100_a_page(sns: Any) -> None:
    made = {sns.create_topic(Name=_name("page"))["TopicArn"] for _ in range(105)}
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = sns.list_topics(**({"NextToken": token} if token else {}))
        assert len(page["Topics"]) <= 100
        seen += [t["TopicArn"] for t in page["Topics"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert made <= set(seen) and len(seen) == len(set(seen)) and pages >= 2
    for arn in made:
        sns.delete_topic(TopicArn=arn)


def test_tags_permissions_and_the_data_protection_policy_are_kept(sns: Any) -> None:
    arn = sns.create_topic(Name=_name(), Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    gone = arn + "-gone"
    assert _error(sns.list_tags_for_resource, ResourceArn=gone) == ("ResourceNotFound", "Resource does not exist", 404)
    code, _, _ = _error(sns.tag_resource, ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert code == "TagLimitExceeded"

    sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert statements[-1] == {
        "Sid": "pub",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SNS:Publish",
        "Resource": arn,
    }
    code, message, _ = _error(sns.add_permission, TopicArn=arn, Label="pub", AWSAccountId=["1"], ActionName=["Publish"])
    assert (code, message) == ("InvalidParameter", "Invalid parameter: Statement already exists")
    sns.remove_permission(TopicArn=arn, Label="pub")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]

    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=arn)
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=policy)
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == policy
    sns.delete_topic(TopicArn=arn)


def test_subscriptions_are_made_confirmed_listed_changed_and_removed(sns: Any) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)["SubscriptionArn"] == sub  # idempotent
    pending = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="a@example.com")["SubscriptionArn"]
    assert pending == "pending confirmation"
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted(s["SubscriptionArn"] for s in listed) == sorted([sub, "PendingConfirmation"])
    assert {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]} >= {sub}
    counts = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (counts["SubscriptionsConfirmed"], counts["SubscriptionsPending"]) == ("1", "1")
    assert _error(sns.confirm_subscription, TopicArn=arn, Token="nope")[:2] == ("InvalidParameter", "Invalid token")

    got = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert got["Protocol"] == "sqs" and got["Endpoint"] == queue and got["RawMessageDelivery"] == "false"
    assert got["PendingConfirmation"] == "false"
    policy = '{"store": ["example_corp"], "price": [{"numeric": [">", 10]}]}'
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    got = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert (got["FilterPolicy"], got["FilterPolicyScope"], got["RawMessageDelivery"]) == (
        policy,
        "MessageAttributes",
        "true",
    )
    nested = '{"a": {"b": ["c"]}}'
    code, message, _ = _error(
        sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested
    )
    assert code == "InvalidParameter" and message.startswith("Invalid parameter: FilterPolicy")
    scope = "MessageBody"
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue=scope)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested)
    code, _, _ = _error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="RedrivePolicy",
        AttributeValue='{"deadLetterTargetArn": "nope"}',
    )
    assert code == "InvalidParameter"

    code, _, _ = _error(sns.subscribe, TopicArn=arn, Protocol="pigeon", Endpoint="x")
    assert code == "InvalidParameter"
    code, _, _ = _error(sns.subscribe, TopicArn=arn, Protocol="lambda", Endpoint="not-an-arn")
    assert code == "InvalidParameter"

    sns.unsubscribe(SubscriptionArn=sub)
    assert _error(sns.get_subscription_attributes, SubscriptionArn=sub) == (
        "NotFound",
        "Subscription does not exist",
        404,
    )
    sns.delete_topic(TopicArn=arn)
    # the topic's subscriptions went with it
    assert all(s["TopicArn"] != arn for s in sns.list_subscriptions()["Subscriptions"])


def test_another_accounts_topic_is_refused_and_an_unknown_one_not_found(sns: Any) -> None:
    other = "arn:aws:sns:us-east-1:111122223333:theirs"
    code, message, status = _error(sns.get_topic_attributes, TopicArn=other)
    assert (code, status) == ("AuthorizationError", 403) and other in message
