"""Publish and PublishBatch through boto3 against a real server, delivered as SNS delivers: the HTTP endpoint's
confirmation handshake, signed envelopes a client verifies as AWS documents, raw delivery, filter policies,
recorded email and SMS, retries, FIFO deduplication, and deliveries whose target is not available failing visibly."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.conftest import RunningServer
from tests.events.topics.endpoints import Endpoint, endpoint
from tests.functions.zips import handler_zip

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def sns(topics_aws: Any) -> Any:
    return topics_aws("sns")


def _topic(sns: Any, **attributes: str) -> str:
    return str(sns.create_topic(Name=f"pub-{uuid.uuid4().hex[:8]}", Attributes=attributes)["TopicArn"])


def verify(message: dict[str, Any]) -> None:
    """As https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html says: the certificate
    from SigningCertURL, the string to sign from the message's fields, the signature checked with SHA1
    (SignatureVersion 1) or SHA256 (2). Written from the documentation, not from Overcast's code."""
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{n}\n{message[n]}\n" for n in names if n in message)
    with urllib.request.urlopen(message["SigningCertURL"]) as response:
        certificate = x509.load_pem_x509_certificate(response.read())
    digest = hashes.SHA1() if message["SignatureVersion"] == "1" else hashes.SHA256()
    certificate.public_key().verify(  # type: ignore[call-arg, union-attr]
        base64.b64decode(message["Signature"]),
        text.encode(),
        padding.PKCS1v15(),  # type: ignore[arg-type]
        digest,  # type: ignore[arg-type]
    )


def recorded(topics_server: RunningServer, arn: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The finished deliveries of a topic or subscription, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{topics_server.url}/_overcast/sns/deliveries/{ACCOUNT}/{arn}") as response:
            found: list[dict[str, Any]] = json.load(response)["deliveries"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)  # polls the server's record: the deliveries run in the server


def _confirmed_http(sns: Any, topic: str, hook: Endpoint, **attributes: str) -> str:
    pending = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url, Attributes=attributes)
    assert pending["SubscriptionArn"] == "pending confirmation"
    got = hook.next()
    assert got.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    confirmation = json.loads(got.body)
    verify(confirmation)
    assert confirmation["TopicArn"] == topic and confirmation["Token"]
    with urllib.request.urlopen(confirmation["SubscribeURL"]) as response:
        assert b"<SubscriptionArn>" in response.read()
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert subscription["SubscriptionArn"].startswith(topic + ":")
    return str(subscription["SubscriptionArn"])


def test_an_http_endpoint_confirms_and_receives_signed_notifications(sns: Any) -> None:
    topic = _topic(sns)
    with endpoint() as hook:
        subscription = _confirmed_http(sns, topic, hook)
        attributes = {
            "color": {"DataType": "String", "StringValue": "red"},
            "size": {"DataType": "Number", "StringValue": "3"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        }
        sent = sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes=attributes)
        got = hook.next()
    assert got.headers["x-amz-sns-message-type"] == "Notification"
    assert got.headers["x-amz-sns-subscription-arn"] == subscription
    assert got.headers["x-amz-sns-topic-arn"] == topic
    assert got.headers["content-type"] == "text/plain; charset=UTF-8"
    message = json.loads(got.body)
    assert list(message) == [
        "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
        "SigningCertURL", "UnsubscribeURL", "MessageAttributes",
    ]  # fmt: skip
    assert (message["MessageId"], message["Message"], message["Subject"]) == (sent["MessageId"], "hello", "greeting")
    assert message["MessageAttributes"] == {
        "color": {"Type": "String", "Value": "red"},
        "size": {"Type": "Number", "Value": "3"},
        "blob": {"Type": "Binary", "Value": "AAE="},
    }
    verify(message)
    with urllib.request.urlopen(message["UnsubscribeURL"]) as response:
        assert b"<UnsubscribeResponse" in response.read()
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_signature_version_2_raw_delivery_and_filter_policies(sns: Any) -> None:
    topic = _topic(sns, SignatureVersion="2")
    with endpoint() as hook:
        subscription = _confirmed_http(sns, topic, hook)
        sns.publish(TopicArn=topic, Message="v2")
        message = json.loads(hook.next().body)
        assert message["SignatureVersion"] == "2"
        verify(message)

        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="FilterPolicy", AttributeValue='{"store": [{"prefix": "ex"}]}'
        )
        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="RawMessageDelivery", AttributeValue="true"
        )
        sns.publish(TopicArn=topic, Message="filtered out")  # no attribute: the policy does not match
        attribute = {"store": {"DataType": "String", "StringValue": "example_corp"}}
        sns.publish(TopicArn=topic, Message="raw body", MessageAttributes=attribute)
        got = hook.next()
        assert (got.body, got.headers["x-amz-sns-rawdelivery"]) == ("raw body", "true")
        assert hook.received.empty()  # the unmatched message was never queued for the endpoint


def test_a_body_filter_policy_and_per_protocol_messages_reach_a_recorded_email(
    sns: Any, topics_server: RunningServer
) -> None:
    topic = _topic(sns)
    policy = json.dumps({"order": {"total": [{"numeric": [">", 100]}]}})
    sns.subscribe(
        TopicArn=topic,
        Protocol="email-json",
        Endpoint="a@example.com",
        Attributes={"FilterPolicy": policy, "FilterPolicyScope": "MessageBody"},
    )
    (confirmation,) = recorded(topics_server, topic)
    assert (confirmation["kind"], confirmation["status"]) == ("confirmation", "delivered")
    token = json.loads(confirmation["body"])["Token"]
    subscription = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 5}}))
    big = json.dumps({"order": {"total": 500}})
    structured = json.dumps({"default": big, "email-json": big, "http": "unused"})
    sent = sns.publish(TopicArn=topic, Message=structured, MessageStructure="json")["MessageId"]
    found = [d for d in recorded(topics_server, subscription, 2) if d["kind"] == "notification"]
    assert [(d["message_id"], d["status"]) for d in found] == [(sent, "delivered")]
    assert json.loads(found[0]["body"])["Message"] == big


def test_sms_to_a_phone_number_is_recorded(sns: Any, topics_server: RunningServer) -> None:
    sent = sns.publish(PhoneNumber="+15555550100", Message="your code is 1234")["MessageId"]
    with urllib.request.urlopen(f"{topics_server.url}/_overcast/sns/deliveries/{ACCOUNT}") as response:
        texts = [d for d in json.load(response)["deliveries"] if d["message_id"] == sent]
    assert [(t["endpoint"], t["body"], t["status"]) for t in texts] == [
        ("+15555550100", "your code is 1234", "delivered")
    ]


def test_a_failing_endpoint_is_retried_per_its_policy_then_given_up_visibly(
    sns: Any, topics_server: RunningServer
) -> None:
    policy = {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
    topic = _topic(sns)
    with endpoint() as hook:
        subscription = _confirmed_http(sns, topic, hook)
        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
        )
        dlq = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"
        sns.set_subscription_attributes(
            SubscriptionArn=subscription,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": dlq}),
        )
        hook.status[0] = 500
        sns.publish(TopicArn=topic, Message="doomed")
        bodies = [hook.next().body for _ in range(3)]  # the first try and two retries
        (failed,) = [d for d in recorded(topics_server, subscription, 2) if d["kind"] == "notification"]
    assert all(json.loads(b)["Message"] == "doomed" for b in bodies)
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert "HTTP 500" in failed["detail"] and "dead-letter queue" in failed["detail"] and "SQS" in failed["detail"]


def test_deliveries_whose_target_is_not_available_fail_visibly(
    sns: Any, topics_aws: Any, topics_server: RunningServer
) -> None:
    """Until asynchronous invocation and SQS exist, a delivery to a function or a queue fails, recorded with why."""
    topic = _topic(sns)
    function = topics_aws("lambda").create_function(
        FunctionName=f"sns-target-{uuid.uuid4().hex[:8]}",
        Runtime="python3.12",
        Role=f"arn:aws:iam::{ACCOUNT}:role/r",
        Handler="index.handler",
        Code={"ZipFile": handler_zip()},
    )["FunctionArn"]
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:nowhere"
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    sns.publish(TopicArn=topic, Message="m")
    found = {d["protocol"]: d for d in recorded(topics_server, topic, 2)}
    assert {p: d["status"] for p, d in found.items()} == {"lambda": "failed", "sqs": "failed"}
    assert "SQS" in found["sqs"]["detail"]
    assert "not implemented" in found["lambda"]["detail"]


def test_a_fifo_topic_deduplicates_for_five_minutes_and_numbers_its_messages(sns: Any) -> None:
    name = f"fifo-{uuid.uuid4().hex[:8]}.fifo"
    topic = sns.create_topic(Name=name, Attributes={"FifoTopic": "true"})["TopicArn"]
    first = sns.publish(TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="d1")
    again = sns.publish(TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="d1")
    other = sns.publish(TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="d2")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    assert int(other["SequenceNumber"]) > int(first["SequenceNumber"]) and len(first["SequenceNumber"]) == 20
    for params, reason in [
        ({"MessageDeduplicationId": "x"}, "MessageGroupId parameter is required"),
        ({"MessageGroupId": "g"}, "ContentBasedDeduplication"),
    ]:
        with pytest.raises(ClientError) as caught:
            sns.publish(TopicArn=topic, Message="m", **params)
        assert caught.value.response["Error"]["Code"] == "InvalidParameter"
        assert reason in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x" * (256 * 1024 + 1)}, "Invalid parameter: Message too long"),
        ({"Message": "{}", "MessageStructure": "json"}, "No default entry in JSON message body"),
        ({"Message": "nope", "MessageStructure": "json"}, "JSON message body failed to parse"),
        ({"Message": "m", "Subject": "two\nlines"}, "Invalid parameter: Subject"),
        ({"Message": "m", "MessageGroupId": "g"}, "not valid for this topic type"),
        ({"Message": "m", "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "x"}}}, "to number"),
        ({"Message": "m", "MessageAttributes": {"a": {"DataType": "Weird", "StringValue": "x"}}}, "type prefixes"),
    ],
)
def test_publish_refuses_what_sns_refuses(sns: Any, params: dict[str, Any], message: str) -> None:
    topic = _topic(sns)
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn=topic, **params)
    assert caught.value.response["Error"]["Code"] == "InvalidParameter"
    assert message in caught.value.response["Error"]["Message"]


def test_publish_batch_answers_each_entry_and_refuses_bad_batches(sns: Any) -> None:
    topic = _topic(sns)
    answer = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "ok", "Message": "m"}, {"Id": "empty", "Message": ""}],
    )
    assert [e["Id"] for e in answer["Successful"]] == ["ok"] and answer["Successful"][0]["MessageId"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in answer["Failed"]] == [("empty", "InvalidParameter", True)]
    for entries, code in [
        ([], "EmptyBatchRequest"),
        ([{"Id": str(i), "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "m"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "bad id!", "Message": "m"}], "InvalidBatchEntryId"),
        ([{"Id": str(i), "Message": "x" * 30_000} for i in range(10)], "BatchRequestTooLong"),
    ]:
        with pytest.raises(ClientError) as caught:
            sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        assert caught.value.response["Error"]["Code"] == code
