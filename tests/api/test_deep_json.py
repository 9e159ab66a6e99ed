"""JSON nested past what Overcast's parser reads (100,000 deep): AWS's 400 in each protocol's own shape,
never an InternalFailure, on the JSON and query-compatible protocols, rest-json and Lambda's Invoke."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def _post(server: RunningServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_deep_json_on_a_json_protocol_is_a_serialization_exception(server: RunningServer) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
    status, _, body = _post(server, "/", DEEP_JSON, headers)
    assert status == 400
    assert json.loads(body)["__type"] == "SerializationException"


def test_deep_json_to_a_query_protocol_service_answers_its_query_error(server: RunningServer) -> None:
    # CloudWatch speaks the query protocol and, query-compatible, JSON: its error names the query code too.
    target = "GraniteServiceVersion20100801.ListMetrics"
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
    status, answer_headers, _ = _post(server, "/", DEEP_JSON, headers)
    assert status == 400
    assert answer_headers["x-amzn-query-error"] == "SerializationException;Sender"
    cbor_path = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
    cbor_headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    status, answer_headers, _ = _post(server, cbor_path, b"\x81" * 100_000 + b"\x80", cbor_headers)  # arrays in arrays
    assert status == 400
    assert answer_headers["x-amzn-query-error"] == "SerializationException;Sender"


def test_deep_json_on_rest_json_is_lambdas_invalid_request_content(server: RunningServer) -> None:
    headers = {"Content-Type": "application/json"}
    status, answer_headers, body = _post(server, "/2015-03-31/functions", DEEP_JSON, headers)
    assert status == 400
    assert answer_headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert "nesting depth" in json.loads(body)["message"]


def test_a_deep_json_payload_to_invoke_is_invalid_request_content(server: RunningServer, aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = python_function(lam, "deep", "def handler(event, context):\n    return 'ok'\n").rsplit(":", 1)[1]
    status, answer_headers, body = _post(server, f"/2015-03-31/functions/{name}/invocations", DEEP_JSON, {})
    assert status == 400
    assert answer_headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert json.loads(body)["message"].startswith("Could not parse request body into json: Could not parse payload")
    assert lam.invoke(FunctionName=name, Payload=b"[[1]]")["Payload"].read() == b'"ok"'
