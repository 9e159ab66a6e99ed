"""Sample events, as `overcast generate-event SERVICE KIND` prints them: what each AWS service sends a function.

Each kind is a function of its options (the same names `sam local generate-event` takes: `--bucket`,
`--key`, `--body`, ...), so an event can be shaped to the app at hand, and is built in the shape AWS
documents for it (the "Using Lambda with <service>" pages of the Lambda developer guide). Ids, hashes and
times are made up but well-formed; nothing is sent anywhere.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TIME_ISO = "2026-01-01T12:00:00.000Z"
TIME_MS = 1767268800000
Event = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One sample: what it is, its options with their defaults, and how it is built from them."""

    summary: str
    options: dict[str, str]
    build: Callable[[dict[str, str]], Event]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SQS's MD5OfBody is an MD5


def _id(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def _headers(o: dict[str, str]) -> dict[str, str]:
    return {"accept": "*/*", "content-type": "application/json", "host": o["domain"], "user-agent": "curl/8.5.0"}


def _rest_proxy(o: dict[str, str]) -> Event:
    headers = {k.title(): v for k, v in _headers(o).items()}
    return {
        "resource": o["resource"],
        "path": o["path"],
        "httpMethod": o["method"],
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": o["resource"],
            "httpMethod": o["method"],
            "extendedRequestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "01/Jan/2026:12:00:00 +0000",
            "path": f"/{o['stage']}{o['path']}",
            "accountId": o["account"],
            "protocol": "HTTP/1.1",
            "stage": o["stage"],
            "domainPrefix": o["domain"].split(".")[0],
            "requestTimeEpoch": TIME_MS,
            "requestId": _id("rest-request"),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "curl/8.5.0", "accountId": None, "user": None},
            "domainName": o["domain"],
            "apiId": o["domain"].split(".")[0],
        },
        "body": o["body"],
        "isBase64Encoded": False,
    }


def _http_proxy(o: dict[str, str]) -> Event:
    return {
        "version": "2.0",
        "routeKey": f"{o['method']} {o['path']}" if o["route"] == "" else o["route"],
        "rawPath": o["path"],
        "rawQueryString": "",
        "headers": _headers(o),
        "requestContext": {
            "accountId": o["account"],
            "apiId": o["domain"].split(".")[0],
            "domainName": o["domain"],
            "domainPrefix": o["domain"].split(".")[0],
            "http": {
                "method": o["method"],
                "path": o["path"],
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{o['method']} {o['path']}" if o["route"] == "" else o["route"],
            "stage": o["stage"],
            "time": "01/Jan/2026:12:00:00 +0000",
            "timeEpoch": TIME_MS,
        },
        "body": o["body"],
        "isBase64Encoded": False,
    }


def _token_authorizer(o: dict[str, str]) -> Event:
    return {
        "type": "TOKEN",
        "authorizationToken": o["token"],
        "methodArn": (
            f"arn:aws:execute-api:{o['region']}:{o['account']}:{o['api']}/{o['stage']}/{o['method']}{o['path']}"
        ),
    }


def _request_authorizer(o: dict[str, str]) -> Event:
    event = _rest_proxy({**o, "body": ""})
    event.pop("body")
    event.pop("isBase64Encoded")
    event["headers"]["Authorization"] = o["token"]
    event["type"] = "REQUEST"
    event["methodArn"] = _token_authorizer(o)["methodArn"]
    return event


def _s3(event_name: str) -> Callable[[dict[str, str]], Event]:
    def build(o: dict[str, str]) -> Event:
        detail: dict[str, Any] = {"key": o["key"], "sequencer": "0A1B2C3D4E5F678901"}
        if event_name.startswith("ObjectCreated"):
            detail.update(size=int(o["size"]), eTag=_md5(o["key"]))
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": o["region"],
                    "eventTime": TIME_ISO,
                    "eventName": event_name,
                    "userIdentity": {"principalId": "EXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {
                        "x-amz-request-id": "EXAMPLE123456789",
                        "x-amz-id-2": "EXAMPLE123/abcdefghijklmno",
                    },
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "testConfigRule",
                        "bucket": {
                            "name": o["bucket"],
                            "ownerIdentity": {"principalId": "EXAMPLE"},
                            "arn": f"arn:aws:s3:::{o['bucket']}",
                        },
                        "object": detail,
                    },
                }
            ]
        }

    return build


def _sqs(o: dict[str, str]) -> Event:
    return {
        "Records": [
            {
                "messageId": _id(o["body"]),
                "receiptHandle": "MessageReceiptHandle",
                "body": o["body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(TIME_MS),
                    "SenderId": o["account"],
                    "ApproximateFirstReceiveTimestamp": str(TIME_MS + 2),
                },
                "messageAttributes": {},
                "md5OfBody": _md5(o["body"]),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{o['region']}:{o['account']}:{o['queue_name']}",
                "awsRegion": o["region"],
            }
        ]
    }


def _sns(o: dict[str, str]) -> Event:
    topic = f"arn:aws:sns:{o['region']}:{o['account']}:{o['topic']}"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:{_id(topic)}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": TIME_ISO,
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "MessageId": _id(o["message"]),
                    "Message": o["message"],
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "EXAMPLE",
                    "TopicArn": topic,
                    "Subject": o["subject"],
                },
            }
        ]
    }


def _dynamodb(o: dict[str, str]) -> Event:
    arn = f"arn:aws:dynamodb:{o['region']}:{o['account']}:table/{o['table']}/stream/2026-01-01T00:00:00.000"
    keys = {"Id": {"N": "101"}}
    records = [
        ("INSERT", {"NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}}}),
        ("MODIFY", {"OldImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                    "NewImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}}}),
        ("REMOVE", {"OldImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}}}),
    ]  # fmt: skip
    return {
        "Records": [
            {
                "eventID": str(index),
                "eventName": name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": o["region"],
                "dynamodb": {
                    "ApproximateCreationDateTime": TIME_MS // 1000,
                    "Keys": keys,
                    **images,
                    "SequenceNumber": str(index * 111),
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": arn,
            }
            for index, (name, images) in enumerate(records, 1)
        ]
    }


def _kinesis(o: dict[str, str]) -> Event:
    sequence = "49590338271490256608559692538361571095921575989136588898"
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": o["partition"],
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(o["data"].encode()).decode(),
                    "approximateArrivalTimestamp": TIME_MS / 1000,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{o['account']}:role/lambda-role",
                "awsRegion": o["region"],
                "eventSourceARN": f"arn:aws:kinesis:{o['region']}:{o['account']}:stream/{o['stream']}",
            }
        ]
    }


def _scheduled(o: dict[str, str]) -> Event:
    return {
        "version": "0",
        "id": _id("scheduled"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": o["account"],
        "time": "2026-01-01T12:00:00Z",
        "region": o["region"],
        "resources": [f"arn:aws:events:{o['region']}:{o['account']}:rule/{o['rule']}"],
        "detail": {},
    }


def _logs(o: dict[str, str]) -> Event:
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": o["account"],
        "logGroup": o["group"],
        "logStream": o["stream"],
        "subscriptionFilters": ["subscription"],
        "logEvents": [{"id": "eventId1", "timestamp": TIME_MS, "message": o["message"]}],
    }
    packed = gzip.compress(json.dumps(data).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(packed).decode()}}


def _eventbridge(o: dict[str, str]) -> Event:
    return {
        "version": "0",
        "id": _id(o["detail"]),
        "detail-type": o["detail_type"],
        "source": o["source"],
        "account": o["account"],
        "time": "2026-01-01T12:00:00Z",
        "region": o["region"],
        "resources": [],
        "detail": json.loads(o["detail"]),
    }


_ACCOUNT = {"region": "us-east-1", "account": "123456789012"}
_HTTP = {**_ACCOUNT, "method": "POST", "path": "/path/to/resource", "stage": "prod", "body": '{"test":"body"}',
         "domain": "1234567890.execute-api.us-east-1.amazonaws.com"}  # fmt: skip

CATALOGUE: dict[str, dict[str, Kind]] = {
    "apigateway": {
        "aws-proxy": Kind(
            "a REST API's Lambda proxy request (payload 1.0)", {**_HTTP, "resource": "/{proxy+}"}, _rest_proxy
        ),
        "http-api-proxy": Kind("an HTTP API's request (payload 2.0)", {**_HTTP, "route": ""}, _http_proxy),
        "authorizer": Kind(
            "a TOKEN authorizer's request", {**_HTTP, "token": "allow", "api": "1234567890"}, _token_authorizer
        ),
        "request-authorizer": Kind(
            "a REQUEST authorizer's request",
            {**_HTTP, "resource": "/{proxy+}", "token": "allow", "api": "1234567890"},
            _request_authorizer,
        ),
    },
    "s3": {
        "put": Kind(
            "an object created",
            {**_ACCOUNT, "bucket": "example-bucket", "key": "test/key", "size": "1024"},
            _s3("ObjectCreated:Put"),
        ),
        "delete": Kind(
            "an object deleted",
            {**_ACCOUNT, "bucket": "example-bucket", "key": "test/key"},
            _s3("ObjectRemoved:Delete"),
        ),
    },
    "sqs": {
        "receive-message": Kind(
            "a batch of one message", {**_ACCOUNT, "queue_name": "my-queue", "body": "Hello from SQS!"}, _sqs
        )
    },
    "sns": {
        "notification": Kind(
            "a notification",
            {**_ACCOUNT, "topic": "my-topic", "message": "Hello from SNS!", "subject": "TestInvoke"},
            _sns,
        )
    },
    "dynamodb": {
        "update": Kind(
            "a stream batch: an insert, a modify and a remove", {**_ACCOUNT, "table": "ExampleTable"}, _dynamodb
        )
    },
    "kinesis": {
        "get-records": Kind(
            "a batch of one record",
            {**_ACCOUNT, "stream": "my-stream", "partition": "1", "data": "Hello, this is a test."},
            _kinesis,
        )
    },
    "cloudwatch": {
        "scheduled-event": Kind("a schedule's event", {**_ACCOUNT, "rule": "my-schedule"}, _scheduled),
        "logs": Kind(
            "a subscription filter's batch (gzip, base64)",
            {
                **_ACCOUNT,
                "group": "/aws/lambda/example",
                "stream": "2026/01/01/[$LATEST]example",
                "message": "[ERROR] First test message",
            },
            _logs,
        ),
    },
    "eventbridge": {
        "event": Kind(
            "an event on a bus",
            {**_ACCOUNT, "source": "com.example.app", "detail_type": "Example Event", "detail": '{"key": "value"}'},
            _eventbridge,
        ),
    },
}


class UnknownSample(LookupError):
    """A service, kind or option the catalogue does not have; the message names what it does have."""


def generate(service: str, kind: str, options: dict[str, str] | None = None) -> Event:
    """The sample event `kind` of `service` with `options` (option names with `-` or `_`) over its defaults."""
    kinds = CATALOGUE.get(service)
    if kinds is None:
        raise UnknownSample(f"No sample events for '{service}'. Services: {', '.join(sorted(CATALOGUE))}")
    sample = kinds.get(kind)
    if sample is None:
        raise UnknownSample(f"No sample event '{kind}' for {service}. Kinds: {', '.join(sorted(kinds))}")
    given = {name.replace("-", "_"): value for name, value in (options or {}).items()}
    unknown = sorted(set(given) - set(sample.options))
    if unknown:
        names = ", ".join("--" + name.replace("_", "-") for name in sorted(sample.options))
        raise UnknownSample(f"{service} {kind} has no option {', '.join(unknown)}. Options: {names}")
    return sample.build({**sample.options, **given})
