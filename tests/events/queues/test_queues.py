"""SQS queues through boto3 against a real server: create, find, list, attributes, tags, delete, and AWS's errors."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_answers_aws_local_url_form_and_is_idempotent(sqs: Any, server: RunningServer, queue_name: str) -> None:
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    port = server.url.rsplit(":", 1)[1]
    assert url == f"http://sqs.us-east-1.localhost:{port}/000000000000/{queue_name}"
    assert sqs.create_queue(QueueName=queue_name)["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName=queue_name)["QueueUrl"] == url


def test_create_with_a_different_attribute_is_refused(sqs: Any, queue_name: str) -> None:
    sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "10"})
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "11"})
    assert _code(exc) == "QueueAlreadyExists"


@pytest.mark.parametrize("name", ["has space", "x" * 81, "", "dots.not.allowed"])
def test_invalid_queue_names_are_refused(sqs: Any, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name)
    assert _code(exc) == "InvalidParameterValue"


def test_every_url_form_names_the_queue(sqs: Any, server: RunningServer, queue: str, queue_name: str) -> None:
    port = server.url.rsplit(":", 1)[1]
    forms = [
        queue,
        f"http://localhost:{port}/000000000000/{queue_name}",
        f"{server.url}/000000000000/{queue_name}",
        f"https://sqs.us-east-1.amazonaws.com/000000000000/{queue_name}",
        f"http://localhost:{port}/queue/us-east-1/000000000000/{queue_name}",
    ]
    for form in forms:
        sqs.send_message(QueueUrl=form, MessageBody=form)
    got = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert got["Attributes"]["ApproximateNumberOfMessages"] == str(len(forms))


def test_unknown_queue_is_aws_nonexistent_queue(sqs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_url(QueueName="nope-" + uuid.uuid4().hex)
    assert _code(exc) == "AWS.SimpleQueueService.NonExistentQueue"
    assert exc.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    assert exc.value.response["Error"]["Message"] == "The specified queue does not exist."
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl="http://localhost/000000000000/nope-x", MessageBody="x")


def test_list_queues_by_prefix_and_pages(sqs: Any) -> None:
    prefix = "lst" + uuid.uuid4().hex[:8]
    names = sorted(f"{prefix}-{i:02d}" for i in range(7))
    for name in names:
        sqs.create_queue(QueueName=name)
    everything = sqs.list_queues(QueueNamePrefix=prefix)
    assert [u.rsplit("/", 1)[1] for u in everything["QueueUrls"]] == names
    assert "NextToken" not in everything
    seen: list[str] = []
    kwargs: dict[str, Any] = {"QueueNamePrefix": prefix, "MaxResults": 3}
    while True:
        page = sqs.list_queues(**kwargs)
        seen += [u.rsplit("/", 1)[1] for u in page["QueueUrls"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == names
    paginated = [
        u
        for p in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix, MaxResults=2)
        for u in p.get("QueueUrls", [])
    ]
    assert len(paginated) == 7
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="none-" + uuid.uuid4().hex)


def test_attributes_defaults_and_changes(sqs: Any, queue: str) -> None:
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["DelaySeconds"] == "0"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attributes["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:" + queue.rsplit("/", 1)[1]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}]}
    )
    sqs.set_queue_attributes(
        QueueUrl=queue, Attributes={"VisibilityTimeout": "60", "Policy": policy, "KmsMasterKeyId": "alias/aws/sqs"}
    )
    got = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout", "Policy", "KmsMasterKeyId"])
    assert got["Attributes"] == {"VisibilityTimeout": "60", "Policy": policy, "KmsMasterKeyId": "alias/aws/sqs"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=queue)


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("VisibilityTimeout", "43201", "InvalidAttributeValue"),
        ("DelaySeconds", "901", "InvalidAttributeValue"),
        ("MaximumMessageSize", "1023", "InvalidAttributeValue"),
        ("MaximumMessageSize", "1048577", "InvalidAttributeValue"),
        ("MessageRetentionPeriod", "59", "InvalidAttributeValue"),
        ("ReceiveMessageWaitTimeSeconds", "21", "InvalidAttributeValue"),
        ("KmsDataKeyReusePeriodSeconds", "59", "InvalidAttributeValue"),
        ("VisibilityTimeout", "soon", "InvalidAttributeValue"),
        ("RedrivePolicy", '{"maxReceiveCount": 3}', "InvalidAttributeValue"),
        ("Policy", "not json", "InvalidAttributeValue"),
        ("ContentBasedDeduplication", "true", "InvalidAttributeName"),
    ],
)
def test_attribute_values_outside_aws_ranges_are_refused(
    sqs: Any, queue: str, name: str, value: str, code: str
) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={name: value})
    assert _code(exc) == code


def test_tags(sqs: Any, queue_name: str) -> None:
    url = sqs.create_queue(QueueName=queue_name, tags={"team": "core"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_delete_queue_removes_it_and_its_messages(sqs: Any, queue_name: str) -> None:
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="gone")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName=queue_name)
    again = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=again)


def test_another_account_naming_the_queue_is_denied(aws: ClientFactory, queue: str, queue_name: str) -> None:
    other = aws("sqs", aws_access_key_id="111122223333", aws_secret_access_key="x")
    with pytest.raises(ClientError) as exc:
        other.send_message(QueueUrl=queue, MessageBody="x")
    assert _code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        other.get_queue_url(QueueName=queue_name)
    assert _code(exc) == "AWS.SimpleQueueService.NonExistentQueue"


def _query(server: RunningServer, path: str, **params: str) -> tuple[int, str]:
    body = urllib.parse.urlencode({"Version": "2012-11-05", **params}).encode()
    request = urllib.request.Request(
        server.url + path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_query_protocol_posted_to_the_queue_url(server: RunningServer, sqs: Any, queue: str, queue_name: str) -> None:
    path = f"/000000000000/{queue_name}"
    status, text = _query(server, path, Action="SendMessage", MessageBody="by query")
    assert status == 200 and "<SendMessageResult>" in text and "<MD5OfMessageBody>" in text
    status, text = _query(server, "/", Action="ListQueues", QueueNamePrefix=queue_name)
    assert status == 200 and f"<QueueUrl>{queue}</QueueUrl>" in text
    status, text = _query(server, path, Action="ReceiveMessage", MaxNumberOfMessages="1")
    assert status == 200 and "<Body>by query</Body>" in text
    status, text = _query(server, "/000000000000/nope-q", Action="GetQueueAttributes")
    assert status == 400 and "AWS.SimpleQueueService.NonExistentQueue" in text


def test_add_and_remove_permission_edit_the_policy(sqs: Any, queue: str) -> None:
    sqs.add_permission(QueueUrl=queue, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": "send",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "SQS:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:000000000000:" + queue.rsplit("/", 1)[1],
        }
    ]
    with pytest.raises(ClientError) as exc:
        sqs.add_permission(QueueUrl=queue, Label="send", AWSAccountIds=["111122223333"], Actions=["ReceiveMessage"])
    assert _code(exc) == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=queue, Label="send")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])
    with pytest.raises(ClientError) as exc:
        sqs.remove_permission(QueueUrl=queue, Label="send")
    assert _code(exc) == "InvalidParameterValue"
