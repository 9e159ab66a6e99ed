"""WebSocket APIs through the real server: a real WebSocket client (the `websockets` library) connects, sends
and receives, and functions push to it through `@connections` (the test itself with boto3's
apigatewaymanagementapi client).

One function serves every route: `$connect` refuses a client whose query names `refuse` (its answer's body is
its own event, so the client sees what `$connect` received), `echo` posts the message and its event back
through `@connections`, `$default` answers through its route response (two-way), and `$disconnect` posts
its event to the connection the function's WATCH variable names. Overcast's Python runtime has no boto3 of
its own yet (AWS's Python runtimes include it), so the function sends PostToConnection's request itself,
as the SDK sends it (Overcast does not check signatures); a function cannot see the test's packages.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.api.faults import server_log
from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

HANDLER = """
import json, os, urllib.parse, urllib.request

def post_to_connection(event, connection_id, data):
    # @connections' PostToConnection: POST <stage>/@connections/<id> with the data as the body.
    ctx = event["requestContext"]
    url = (os.environ["AWS_ENDPOINT_URL"] + "/_aws/execute-api/" + ctx["apiId"] + "/" + ctx["stage"]
           + "/@connections/" + urllib.parse.quote(connection_id, safe=""))
    urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=10).read()

def handler(event, context):
    if event.get("type") == "REQUEST":  # the $connect authorizer of the guarded API
        good = (event.get("queryStringParameters") or {}).get("token") == "good"
        effect = "Allow" if good else "Deny"
        statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
        return {"principalId": "user-1", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
                "context": {"role": "admin", "level": 3}}
    ctx = event["requestContext"]
    route = ctx["routeKey"]
    if route == "$connect":
        if "refuse" in (event.get("queryStringParameters") or {}):
            return {"statusCode": 401, "body": json.dumps(event)}
        return {"statusCode": 200}
    if route == "$disconnect":
        watcher = os.environ.get("WATCH")
        if watcher:
            post_to_connection(event, watcher, json.dumps(event).encode())
        return {"statusCode": 200}
    if route == "echo":
        message = json.loads(event["body"])
        out = json.dumps({"echo": message, "event": event}).encode()
        post_to_connection(event, ctx["connectionId"], out)
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps({"default": event["body"], "routeKey": route})}
"""


def configure(lam: Any, function_arn: str, variables: dict[str, str]) -> None:
    lam.update_function_configuration(FunctionName=function_arn, Environment={"Variables": variables})
    lam.get_waiter("function_updated_v2").wait(FunctionName=function_arn)


@pytest.fixture(scope="module")
def function_arn(aws: ClientFactory) -> str:
    arn = python_function(aws("lambda"), "ws", HANDLER, timeout=20)
    configure(aws("lambda"), arn, {})
    return arn


@pytest.fixture(scope="module")
def api_id(aws: ClientFactory, function_arn: str) -> str:
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    api_id = str(api["ApiId"])
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)
    target = f"integrations/{integration['IntegrationId']}"
    for key in ("$connect", "$disconnect", "echo"):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=target)
    default = v2.create_route(
        ApiId=api_id, RouteKey="$default", Target=target, RouteResponseSelectionExpression="$default"
    )
    v2.create_route_response(ApiId=api_id, RouteId=default["RouteId"], RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    return api_id


def open_socket(server: RunningServer, api_id: str, query: str = "", stage: str = "prod") -> ClientConnection:
    """A client on the API's own host name (`<apiId>.execute-api.localhost`), reached at the server's address."""
    port = urlsplit(server.url).port
    assert port is not None
    sock = socket.create_connection(("127.0.0.1", port))
    uri = f"ws://{api_id}.execute-api.localhost:{port}/{stage}{query}"
    return connect(uri, sock=sock, open_timeout=30, close_timeout=10)


def management(server: RunningServer, api_id: str, stage: str = "prod") -> Any:
    """boto3's @connections client, its endpoint the API's stage (the path form of its host)."""
    url = f"{server.url}/_aws/execute-api/{api_id}/{stage}"
    return boto3.client("apigatewaymanagementapi", endpoint_url=url, region_name="us-east-1")


def receive(client: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(client.recv(timeout=30)))


def whoami(client: ClientConnection) -> dict[str, Any]:
    """The event of an `echo` message: its connection id and context, posted back through @connections."""
    client.send(json.dumps({"action": "echo", "text": "who"}))
    return dict(receive(client)["event"])


@pytest.fixture
def client(server: RunningServer, api_id: str) -> Iterator[ClientConnection]:
    with open_socket(server, api_id) as ws:
        yield ws


def test_a_message_routed_by_its_action_reaches_its_function_which_posts_back_through_connections(
    client: ClientConnection, api_id: str, server: RunningServer
) -> None:
    client.send(json.dumps({"action": "echo", "text": "hello"}))
    got = receive(client)
    assert got["echo"] == {"action": "echo", "text": "hello"}
    event = got["event"]
    assert event["body"] == json.dumps({"action": "echo", "text": "hello"})
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "echo" and ctx["eventType"] == "MESSAGE" and ctx["messageDirection"] == "IN"
    assert (ctx["apiId"], ctx["stage"]) == (api_id, "prod")
    assert ctx["domainName"] == f"{api_id}.execute-api.localhost"
    assert ctx["messageId"] and ctx["connectionId"] and ctx["requestId"]
    assert ctx["connectedAt"] <= ctx["requestTimeEpoch"]
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"


def test_messages_no_route_selects_go_to_default_whose_route_response_answers_the_client(
    client: ClientConnection,
) -> None:
    client.send("not json at all")
    assert receive(client) == {"default": "not json at all", "routeKey": "$default"}
    client.send(json.dumps({"action": "dance"}))
    assert receive(client) == {"default": '{"action": "dance"}', "routeKey": "$default"}


def test_get_post_and_delete_connection_through_boto3_then_gone(
    client: ClientConnection, aws: ClientFactory, server: RunningServer, api_id: str
) -> None:
    connection_id = whoami(client)["requestContext"]["connectionId"]
    api = management(server, api_id)
    found = api.get_connection(ConnectionId=connection_id)
    assert found["Identity"]["SourceIp"] == "127.0.0.1"
    assert found["ConnectedAt"] <= found["LastActiveAt"]
    api.post_to_connection(ConnectionId=connection_id, Data=b"pushed from outside")
    assert client.recv(timeout=30) == "pushed from outside"
    api.delete_connection(ConnectionId=connection_id)
    with pytest.raises(ConnectionClosed):
        client.recv(timeout=30)
    for call in (api.post_to_connection, api.get_connection, api.delete_connection):
        kwargs = {"Data": b"x"} if call == api.post_to_connection else {}
        with pytest.raises(ClientError) as raised:
            call(ConnectionId=connection_id, **kwargs)
        assert raised.value.response["Error"]["Code"] == "GoneException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_a_connection_that_was_never_open_is_gone(server: RunningServer) -> None:
    api = management(server, "nope123456")
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId="L0SM9cOFvHcCIhw=", Data=b"x")


def test_disconnect_runs_when_the_client_closes(
    client: ClientConnection, aws: ClientFactory, server: RunningServer, api_id: str, function_arn: str
) -> None:
    watcher = whoami(client)["requestContext"]["connectionId"]
    lam = aws("lambda")
    configure(lam, function_arn, {"WATCH": watcher})
    try:
        with open_socket(server, api_id) as other:
            leaving = whoami(other)["requestContext"]["connectionId"]
            other.close(code=1000, reason="bye")
        event = receive(client)
    finally:
        configure(lam, function_arn, {})
    ctx = event["requestContext"]
    assert (ctx["routeKey"], ctx["eventType"], ctx["connectionId"]) == ("$disconnect", "DISCONNECT", leaving)
    assert (ctx["disconnectStatusCode"], ctx["disconnectReason"]) == (1000, "bye")


def test_a_connect_handler_that_answers_non_2xx_refuses_the_connection(server: RunningServer, api_id: str) -> None:
    with pytest.raises(InvalidStatus) as raised:
        open_socket(server, api_id, "?refuse=yes&room=1")
    response = raised.value.response
    assert response.status_code == 401
    event = json.loads(response.body or b"{}")
    ctx = event["requestContext"]
    assert (ctx["routeKey"], ctx["eventType"], ctx["apiId"], ctx["stage"]) == ("$connect", "CONNECT", api_id, "prod")
    assert ctx["connectionId"] and ctx["connectedAt"] <= ctx["requestTimeEpoch"]
    assert event["queryStringParameters"] == {"refuse": "yes", "room": "1"}
    assert event["headers"]["Host"].startswith(f"{api_id}.execute-api.localhost")
    assert event["headers"]["Sec-Websocket-Key"]
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.1"]
    assert "ASGI callable returned without" not in server_log(server)  # a refusal is an answer, not a failure


def test_a_stage_that_does_not_exist_is_refused(server: RunningServer, api_id: str) -> None:
    with pytest.raises(InvalidStatus) as raised:
        open_socket(server, api_id, stage="nope")
    assert raised.value.response.status_code == 403


def test_a_message_over_128_kb_closes_the_connection_with_1009(client: ClientConnection) -> None:
    client.send("x" * (128 * 1024 + 1))
    with pytest.raises(ConnectionClosed) as raised:
        client.recv(timeout=30)
    assert raised.value.rcvd is not None and raised.value.rcvd.code == 1009


def test_post_to_connection_over_128_kb_is_refused(
    client: ClientConnection, aws: ClientFactory, server: RunningServer, api_id: str
) -> None:
    connection_id = whoami(client)["requestContext"]["connectionId"]
    with pytest.raises(ClientError) as raised:
        management(server, api_id).post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
    assert raised.value.response["Error"]["Code"] == "PayloadTooLargeException"


@pytest.fixture(scope="module")
def guarded_api(aws: ClientFactory, function_arn: str) -> str:
    """An API whose $connect has a Lambda REQUEST authorizer reading the `token` query parameter."""
    v2 = aws("apigatewayv2")
    api_id = str(
        v2.create_api(Name="guarded", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")[
            "ApiId"
        ]
    )
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    authorizer = v2.create_authorizer(
        ApiId=api_id, Name="token", AuthorizerType="REQUEST", AuthorizerUri=uri,
        IdentitySource=["route.request.querystring.token"],
    )  # fmt: skip
    target = (
        "integrations/"
        + v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)["IntegrationId"]
    )
    v2.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        Target=target,
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer["AuthorizerId"],
    )
    v2.create_route(ApiId=api_id, RouteKey="echo", Target=target)
    v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    return api_id


def test_a_connect_authorizer_refuses_a_missing_identity_then_a_denying_policy(
    server: RunningServer, guarded_api: str
) -> None:
    for query, status in (("", 401), ("?token=bad", 403)):
        with pytest.raises(InvalidStatus) as raised:
            open_socket(server, guarded_api, query)
        assert raised.value.response.status_code == status


def test_what_a_connect_authorizer_allowed_with_reaches_every_event_of_the_connection(
    server: RunningServer, guarded_api: str
) -> None:
    with open_socket(server, guarded_api, "?token=good") as client:
        authorizer = whoami(client)["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    assert (authorizer["role"], authorizer["level"]) == ("admin", "3")
    assert isinstance(authorizer["integrationLatency"], int)
