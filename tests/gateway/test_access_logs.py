"""Access logs: `$context` variables substituted into a stage's format as API Gateway does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from overcast.apis.deployed import ApiKind, DeployedApi
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.gateway import access_logs
from overcast.gateway.access_logs import AccessLogs, clf_time, context_variables, format_access_log
from overcast.gateway.request import GatewayRequest
from overcast.gateway.responses import GatewayResult
from overcast.gateway.trace import Trace
from overcast.observe.logs import LogStore
from overcast.store import Store

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z

VARIABLES = context_variables(
    account_id="123456789012",
    api_id="abc123",
    stage="prod",
    request_id="req-1",
    http_method="GET",
    path="/prod/pets/1",
    source_ip="203.0.113.7",
    domain_name="abc123.execute-api.localhost",
    status=200,
    response_length=42,
    request_time_epoch_ms=T0 + 3_723_000,
    user_agent='curl/8.0 "quoted"',
    resource_path="/pets/{id}",
    route_key="GET /pets/{id}",
    response_latency_ms=12.4,
    integration_latency_ms=10.6,
    integration_status=200,
    authorizer_context={"tenant": "t1", "n": 3, "ok": True},
    authorizer_claims={"sub": "user-1"},
)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("$context.requestId", "req-1"),
        (
            '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey '
            '$context.protocol" '
            "$context.status $context.responseLength $context.requestId",
            '203.0.113.7 - - [01/Jan/2026:01:02:03 +0000] "GET GET /pets/{id} HTTP/1.1" 200 42 req-1',
        ),
        ("$context.requestId,$context.status,$context.integrationLatency", "req-1,200,11"),
        (
            "<r><id>$context.requestId</id><ip>$context.identity.sourceIp</ip></r>",
            "<r><id>req-1</id><ip>203.0.113.7</ip></r>",
        ),
        ("$context.integrationErrorMessage|$context.authorizer.error|$context.nothing.here", "-|-|-"),
        ("$context.authorizer.tenant $context.authorizer.n $context.authorizer.ok", "t1 3 true"),
        ("$context.authorizer.claims.sub $context.authorizer.claims.email", "user-1 -"),
        ("id=$context.requestId.", "id=req-1."),  # a trailing dot is text
        ("$context.domainPrefix $context.stage $context.apiId $context.accountId", "abc123 prod abc123 123456789012"),
        ("$context.requestTimeEpoch $context.responseLatency $context.path", f"{T0 + 3_723_000} 12 /prod/pets/1"),
        ("no variables", "no variables"),
    ],
)
def test_text_formats(fmt: str, expected: str) -> None:
    assert format_access_log(fmt, VARIABLES) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            '{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "status": "$context.status" }',
            {"requestId": "req-1", "ip": "203.0.113.7", "status": "200"},
        ),
        ('{"ua": "$context.identity.userAgent"}', {"ua": 'curl/8.0 "quoted"'}),  # escaped inside a string
        ('{"status": $context.status, "len": $context.responseLength}', {"status": 200, "len": 42}),  # bare numbers
        ('{"err": $context.integrationErrorMessage, "x": "$context.unknown"}', {"err": "-", "x": "-"}),
        ('{"ok": $context.authorizer.ok, "sub": $context.authorizer.claims.sub}', {"ok": True, "sub": "user-1"}),
        ('{"msg": "a \\"$context.requestId\\" b"}', {"msg": 'a "req-1" b'}),  # escaped quotes do not end the string
    ],
)
def test_json_formats_stay_json(fmt: str, expected: dict[str, Any]) -> None:
    assert json.loads(format_access_log(fmt, VARIABLES)) == expected


def test_error_message_string_is_quoted_for_json() -> None:
    variables = {
        **VARIABLES,
        **context_variables(
            account_id="1",
            api_id="a",
            stage="s",
            request_id="r",
            http_method="GET",
            path="/",
            source_ip="::1",
            domain_name="",
            status=429,
            response_length=0,
            request_time_epoch_ms=T0,
            error_message='Too Many "Requests"',
            error_response_type="THROTTLED",
        ),
    }
    line = format_access_log('{"m": $context.error.messageString, "t": "$context.error.responseType"}', variables)
    assert json.loads(line) == {"m": 'Too Many "Requests"', "t": "THROTTLED"}
    assert format_access_log("$context.error.message", variables) == 'Too Many "Requests"'


@pytest.mark.parametrize(
    ("epoch_ms", "expected"),
    [(T0, "01/Jan/2026:00:00:00 +0000"), (T0 + 86_400_000 * 45 + 59_999, "15/Feb/2026:00:00:59 +0000")],
)
def test_clf_time(epoch_ms: int, expected: str) -> None:
    assert clf_time(epoch_ms) == expected



async def test_lines_past_what_may_wait_for_the_store_are_dropped_and_counted(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(access_logs, "MAX_WAITING_LINES", 3)
    clock = FakeClock()
    logs = LogStore(sqlite_store, clock)
    await logs.start()
    ctx = RequestContext(account_id="111111111111", region="us-east-1")
    await logs.create_group(ctx, "access")
    api = DeployedApi(
        "111111111111", "us-east-1", "abc", ApiKind.HTTP, "$default", "d1", (),
        access_log_format="$context.requestId",
        access_log_destination="arn:aws:logs:us-east-1:111111111111:log-group:access",
    )  # fmt: skip
    writer = AccessLogs(logs, clock)
    result = GatewayResult(200, [], b"")
    for n in range(5):  # the store written to by nobody meanwhile: two lines more than may wait
        request = GatewayRequest("GET", "/", "", (), b"", "127.0.0.1", "abc.execute-api.localhost", f"r{n}", 0)
        writer.observe(api, request, result, Trace())
    await writer.flush()
    stored, _ = await logs.filter_events(ctx, "access")
    assert [event.message for event in stored] == ["r0", "r1", "r2"]
    assert "2 access log lines dropped" in caplog.text
    await writer.close()
