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
def sns(aws: Any) -> Any:
    return aws("sns")


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


def recorded(server: RunningServer, arn: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The finished deliveries of a topic or subscription, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{server.url}/_overcast/sns/deliveries/{ACCOUNT}/{arn}") as response:
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


def test_a_body_filter_policy_and_per_protocol_messages_reach_a_recorded_email(sns: Any, server: RunningServer) -> None:
    topic = _topic(sns)
    policy = json.dumps({"order": {"total": [{"numeric": [">", 100]}]}})
    sns.subscribe(
        TopicArn=topic,
        Protocol="email-json",
        Endpoint="a@example.com",
        Attributes={"FilterPolicy": policy, "FilterPolicyScope": "MessageBody"},
    )
    (confirmation,) = recorded(server, topic)
    assert (confirmation["kind"], confirmation["status"]) == ("confirmation", "delivered")
    token = json.loads(confirmation["body"])["Token"]
    subscription = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 5}}))
    big = json.dumps({"order": {"total": 500}})
    structured = json.dumps({"default": big, "email-json": big, "http": "unused"})
    sent = sns.publish(TopicArn=topic, Message=structured, MessageStructure="json")["MessageId"]
    found = [d for d in recorded(server, subscription, 2) if d["kind"] == "notification"]
    assert [(d["message_id"], d["status"]) for d in found] == [(sent, "delivered")]
    assert json.loads(found[0]["body"])["Message"] == big


def test_sms_to_a_phone_number_is_recorded(sns: Any, server: RunningServer) -> None:
    sent = sns.publish(PhoneNumber="+15555550100", Message="your code is 1234")["MessageId"]
    with urllib.request.urlopen(f"{server.url}/_overcast/sns/deliveries/{ACCOUNT}") as response:
        texts = [d for d in json.load(response)["deliveries"] if d["message_id"] == sent]
    assert [(t["endpoint"], t["body"], t["status"]) for t in texts] == [
        ("+15555550100", "your code is 1234", "delivered")
    ]


def _queue(aws: Any, name: str, **attributes: str) -> tuple[Any, str, str]:
    """A queue of the SNS tests' server: (its client, URL, ARN)."""
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def _receive(sqs: Any, url: str) -> dict[str, Any]:
    got = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=20, MessageAttributeNames=["All"], AttributeNames=["All"]
    ).get("Messages", [])
    assert got, "nothing arrived in the queue"
    return dict(got[0])


def test_a_failing_endpoint_is_retried_per_its_policy_then_moved_to_its_dead_letter_queue(
    sns: Any, aws: Any, server: RunningServer
) -> None:
    policy = {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
    topic = _topic(sns)
    sqs, dlq_url, dlq = _queue(aws, f"dlq-{uuid.uuid4().hex[:8]}")
    with endpoint() as hook:
        subscription = _confirmed_http(sns, topic, hook)
        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
        )
        sns.set_subscription_attributes(
            SubscriptionArn=subscription,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": dlq}),
        )
        hook.status[0] = 500
        sent = sns.publish(TopicArn=topic, Message="doomed")["MessageId"]
        bodies = [hook.next().body for _ in range(3)]  # the first try and two retries
        (failed,) = [d for d in recorded(server, subscription, 2) if d["kind"] == "notification"]
    assert all(json.loads(b)["Message"] == "doomed" for b in bodies)
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert "HTTP 500" in failed["detail"] and "moved to the dead-letter queue" in failed["detail"]
    dead = json.loads(_receive(sqs, dlq_url)["Body"])
    assert (dead["MessageId"], dead["Message"]) == (sent, "doomed")


def test_a_queue_gets_the_envelope_or_the_raw_message_with_its_attributes(sns: Any, aws: Any) -> None:
    topic = _topic(sns)
    sqs, url, arn = _queue(aws, f"sub-{uuid.uuid4().hex[:8]}")
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    attributes = {"color": {"DataType": "String", "StringValue": "red"}}
    sent = sns.publish(TopicArn=topic, Message="to a queue", Subject="s", MessageAttributes=attributes)["MessageId"]
    got = _receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
    assert got["Body"].startswith('{\n  "Type" : "Notification",\n')  # as SNS writes it (snsSqsEvent.json)
    envelope = json.loads(got["Body"])
    assert (envelope["MessageId"], envelope["Message"], envelope["TopicArn"]) == (sent, "to a queue", topic)
    assert envelope["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    assert "MessageAttributes" not in got  # they travel inside the envelope
    verify(envelope)

    sns.set_subscription_attributes(
        SubscriptionArn=subscription, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    sns.publish(TopicArn=topic, Message="raw", MessageAttributes=attributes)
    got = _receive(sqs, url)
    assert got["Body"] == "raw"
    assert got["MessageAttributes"] == {"color": {"DataType": "String", "StringValue": "red"}}


def test_a_fifo_topic_delivers_to_a_fifo_queue_once_per_deduplication_id(sns: Any, aws: Any) -> None:
    name = f"fifo-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sqs, url, arn = _queue(aws, name + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    first = sns.publish(TopicArn=topic, Message="once", MessageGroupId="g", MessageDeduplicationId="d")
    sns.publish(TopicArn=topic, Message="once", MessageGroupId="g", MessageDeduplicationId="d")
    sns.publish(TopicArn=topic, Message="next", MessageGroupId="g", MessageDeduplicationId="e")
    bodies = []
    while len(bodies) < 2:
        got = _receive(sqs, url)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
        bodies.append(json.loads(got["Body"]))
        assert got["Attributes"]["MessageGroupId"] == "g" and got["Attributes"]["MessageDeduplicationId"]
    assert [b["Message"] for b in bodies] == ["once", "next"]  # in order, the duplicate dropped
    assert bodies[0]["SequenceNumber"] == first["SequenceNumber"] and "Signature" not in bodies[0]
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


def test_a_function_gets_the_sns_event(sns: Any, aws: Any) -> None:
    name = f"sns-target-{uuid.uuid4().hex[:8]}"
    body = "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n"
    function = aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=f"arn:aws:iam::{ACCOUNT}:role/r",
        Handler="index.handler",
        Code={"ZipFile": handler_zip(body)},
    )["FunctionArn"]
    topic = _topic(sns)
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    attributes = {"Test": {"DataType": "String", "StringValue": "TestString"}}
    sent = sns.publish(TopicArn=topic, Message="Hello from SNS!", Subject="TestInvoke", MessageAttributes=attributes)
    logs = aws("logs")
    deadline = time.monotonic() + 60
    while True:
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="EVENT")["events"]
        except logs.exceptions.ResourceNotFoundException:
            found = []
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # polls the function's log: the invocation runs in the server
    assert found, "the function was never invoked"
    event = json.loads(found[0]["message"].split("EVENT ", 1)[1])
    (record,) = event["Records"]
    assert (record["EventSource"], record["EventVersion"], record["EventSubscriptionArn"]) == (
        "aws:sns", "1.0", subscription,
    )  # fmt: skip
    sns_part = record["Sns"]
    assert sorted(sns_part) == sorted(
        [
            "SignatureVersion",
            "Timestamp",
            "Signature",
            "SigningCertUrl",
            "MessageId",
            "Message",
            "MessageAttributes",
            "Type",
            "UnsubscribeUrl",
            "TopicArn",
            "Subject",
        ]
    )  # fmt: skip  (snsEvent.json's keys)
    assert (sns_part["MessageId"], sns_part["Message"], sns_part["Subject"]) == (
        sent["MessageId"], "Hello from SNS!", "TestInvoke",
    )  # fmt: skip
    assert sns_part["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"}}


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
