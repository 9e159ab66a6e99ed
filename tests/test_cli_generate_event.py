"""`overcast generate-event SERVICE KIND`: sample events in the shapes AWS documents, shaped by options."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from click.testing import CliRunner

from overcast.cli import main
from overcast.sample_events import CATALOGUE, UnknownSample, generate


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["generate-event", *args])
    return result.exit_code, result.output


def test_an_s3_put_event_names_the_bucket_and_key_asked_for() -> None:
    code, output = run("s3", "put", "--bucket", "photos", "--key", "cats/1.jpg")
    assert code == 0
    record = json.loads(output)["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"] == {
        "name": "photos",
        "ownerIdentity": {"principalId": "EXAMPLE"},
        "arn": "arn:aws:s3:::photos",
    }
    assert record["s3"]["object"]["key"] == "cats/1.jpg"


def test_each_sample_has_the_shape_a_handler_reads() -> None:
    rest = generate("apigateway", "aws-proxy", {"method": "GET", "path": "/pets"})
    assert rest["httpMethod"] == "GET" and rest["requestContext"]["path"] == "/prod/pets"
    http = generate("apigateway", "http-api-proxy")
    assert http["version"] == "2.0" and http["requestContext"]["http"]["method"] == "POST"
    sqs = generate("sqs", "receive-message", {"body": "hi", "queue-name": "jobs"})["Records"][0]
    assert sqs["body"] == "hi" and sqs["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:jobs"
    assert sqs["md5OfBody"] == "49f68a5c8493ec2c0bf489821c21fc3b"
    kinesis = generate("kinesis", "get-records", {"data": "abc"})["Records"][0]
    assert base64.b64decode(kinesis["kinesis"]["data"]) == b"abc"
    logs = json.loads(gzip.decompress(base64.b64decode(generate("cloudwatch", "logs")["awslogs"]["data"])))
    assert logs["messageType"] == "DATA_MESSAGE" and logs["logEvents"][0]["message"] == "[ERROR] First test message"
    assert [r["eventName"] for r in generate("dynamodb", "update")["Records"]] == ["INSERT", "MODIFY", "REMOVE"]
    assert generate("cloudwatch", "scheduled-event")["detail-type"] == "Scheduled Event"
    for service, kinds in CATALOGUE.items():
        for kind in kinds:
            json.dumps(generate(service, kind))


def test_without_arguments_it_lists_what_there_is() -> None:
    code, output = run()
    assert code == 0 and "s3 put: an object created" in output and "apigateway aws-proxy" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("s4", "put"), "No sample events for 's4'. Services: apigateway,"),
        (("s3", "copy"), "No sample event 'copy' for s3. Kinds: delete, put"),
        (("s3", "put", "--colour", "red"), "s3 put has no option colour. Options: --account, --bucket,"),
        (("s3", "put", "--bucket"), "Options come as --name value pairs"),
    ],
)
def test_unknown_services_kinds_and_options_are_named_with_what_there_is(args: tuple[str, ...], message: str) -> None:
    code, output = run(*args)
    assert code == 2 and message in output
    with pytest.raises(UnknownSample):
        generate("s4", "put")
