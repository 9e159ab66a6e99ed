"""InvokeWithResponseStream through the real server with boto3: chunks as the handler writes them.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html"""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import urllib.parse
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.functions.hostile import create, shell_bootstrap

PYTHON = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no stream today")
    print("buffered")
    return {"whole": event["n"]}
"""

# Waits until the test sets the function's Description to "go" (read from Overcast's endpoint inside
# the instance): what holds a streaming handler open between its chunks.
WAIT_FOR_GO = """
async function waitForGo(context) {
  const config = `${process.env.AWS_ENDPOINT_URL}/2015-03-31/functions/${context.functionName}/configuration`;
  for (;;) {
    const answer = await (await fetch(config)).json();
    if (answer.Description === "go") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
"""

# Writes "first", waits for "go", then writes "second" and ends.
NODE = (
    WAIT_FOR_GO
    + """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType("text/plain");
  responseStream.write("first");
  await waitForGo(context);
  responseStream.write("second");
  responseStream.end();
});
"""
)


def _events(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["EventStream"])


def test_a_function_that_does_not_stream_answers_in_one_chunk(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = create(lam, "python3.12", {"index.py": PYTHON}, prefix="stream")
    response = lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"n": 7}', LogType="Tail")
    assert response["StatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    events = _events(response)
    assert [list(e) for e in events] == [["PayloadChunk"], ["InvokeComplete"]]
    assert json.loads(events[0]["PayloadChunk"]["Payload"]) == {"whole": 7}
    assert "buffered" in base64.b64decode(events[1]["InvokeComplete"]["LogResult"]).decode()

    failed = _events(lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"fail": true}'))
    assert failed == [{"InvokeComplete": {"ErrorCode": "ValueError", "ErrorDetails": "no stream today"}}]


def test_stream_errors_before_any_answer_are_the_apis(aws: ClientFactory) -> None:
    lam = aws("lambda")
    with pytest.raises(ClientError) as missing:
        lam.invoke_with_response_stream(FunctionName="no-such-function", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    name = create(lam, "python3.12", {"index.py": PYTHON}, prefix="stream")
    with pytest.raises(ClientError) as event:
        lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}", InvocationType="Event")
    assert event.value.response["Error"]["Code"] == "ValidationException"
    dry = lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}", InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def test_a_streaming_handlers_first_chunk_arrives_before_it_finishes(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = create(lam, "nodejs20.x", {"index.js": NODE}, prefix="stream", Description="wait")
    response = lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}")
    events = iter(response["EventStream"])
    assert next(events) == {"PayloadChunk": {"Payload": b"first"}}  # the handler is still waiting for "go"
    lam.update_function_configuration(FunctionName=name, Description="go")
    rest = list(events)
    assert rest == [{"PayloadChunk": {"Payload": b"second"}}, {"InvokeComplete": {}}]
    # Invoke gets the same response whole.
    lam.update_function_configuration(FunctionName=name, Description="go")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read() == b"firstsecond"


# Through a RESPONSE_STREAM function URL: a prelude (HttpResponseStream.from) names the status and headers.
NODE_URL = (
    WAIT_FOR_GO
    + """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201, headers: { "content-type": "text/plain", "x-streamed": "yes" }, cookies: ["c=1"],
  });
  responseStream.write("first");
  await waitForGo(context);
  responseStream.end("second");
});
"""
)


def test_a_response_stream_function_url_streams(aws: ClientFactory, server: RunningServer) -> None:
    lam = aws("lambda")
    name = create(lam, "nodejs20.x", {"index.js": NODE_URL}, prefix="stream", Description="wait")
    config = lam.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    assert config["InvokeMode"] == "RESPONSE_STREAM"
    url_id = config["FunctionUrl"].split("//", 1)[1].split(".", 1)[0]
    parsed = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)
    try:
        connection.request("GET", f"/_aws/lambda-url/{url_id}/")
        response = connection.getresponse()
        assert response.status == 201
        assert response.getheader("x-streamed") == "yes" and response.getheader("set-cookie") == "c=1"
        assert response.getheader("transfer-encoding") == "chunked"
        assert response.read(5) == b"first"  # the handler is still waiting for "go"
        lam.update_function_configuration(FunctionName=name, Description="go")
        assert response.read() == b"second"
    finally:
        connection.close()


# A custom runtime in the Runtime API's streaming mode: curl uploads stdin chunked as it is written.
SHELL = shell_bootstrap("""
  CONFIG="$AWS_ENDPOINT_URL/2015-03-31/functions/$AWS_LAMBDA_FUNCTION_NAME/configuration"
  { printf first; until curl -sS "$CONFIG" | grep -q '"Description": *"go"'; do sleep 0.05; done; printf second; } |
    curl -sS -X POST -H "Lambda-Runtime-Function-Response-Mode: streaming" -H "Content-Type: text/plain" \\
      -T - "$API/invocation/$REQUEST_ID/response" > /dev/null""")


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell runtime's bootstrap needs curl")
def test_a_custom_runtime_streams_through_the_runtime_apis_streaming_mode(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = create(lam, "provided.al2023", {"bootstrap": SHELL}, prefix="stream", Description="wait")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    response = lam.invoke_with_response_stream(FunctionName=name, Qualifier="live", Payload=b"{}")
    assert response["ExecutedVersion"] == "1"  # known while it still streams
    events = iter(response["EventStream"])
    assert next(events) == {"PayloadChunk": {"Payload": b"first"}}
    lam.update_function_configuration(FunctionName=name, Description="go")
    assert list(events) == [{"PayloadChunk": {"Payload": b"second"}}, {"InvokeComplete": {}}]
