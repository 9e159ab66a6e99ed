"""Access logs: a stage's access log format filled with a request's `$context` variables, written to its log group.

A stage's `accessLogSettings.format` names `$context.<variable>`s (case-sensitive) in free text,
CLF, JSON, XML or CSV; each is replaced by the request's value, and a variable without a value
(unknown, absent, or empty) by "-".
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html

A JSON format stays JSON: inside a string literal a value is escaped as JSON string content;
outside one a number or boolean stays bare and anything else (including "-") becomes a JSON string.
`$context.error.messageString` is the message already quoted, for use outside quotes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.apis.deployed import ApiKind, DeployedApi
from overcast.arn import log_group_of
from overcast.clock import Clock
from overcast.gateway.events import extended_request_id, route_key
from overcast.gateway.request import GatewayRequest
from overcast.gateway.responses import GatewayResult
from overcast.observe.logs import LogEvent, LogStore, StreamEvents

if TYPE_CHECKING:
    from overcast.gateway.trace import Trace

__all__ = ["AccessLogs", "clf_time", "context_variables", "format_access_log", "request_variables"]

log = logging.getLogger("overcast.gateway.access_logs")

_TOKENS = re.compile(r'\\.|"|\$context\.([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_access_log(fmt: str, variables: Mapping[str, Any]) -> str:
    """`fmt` with each `$context.x` replaced by `variables["x"]` ("-" when absent, None or empty)."""
    is_json = fmt.lstrip().startswith(("{", "["))
    out: list[str] = []
    in_string = False
    last = 0
    for match in _TOKENS.finditer(fmt):
        token = match.group(0)
        if token == '"' or token.startswith("\\"):
            in_string = (not in_string) if token == '"' else in_string
            continue
        name = match.group(1)
        out.append(fmt[last : match.start()])
        last = match.end()
        value = _text(variables.get(name))
        if not is_json:
            out.append(value)
        elif in_string:
            out.append(json.dumps(value)[1:-1])
        elif _NUMBER.fullmatch(value) or value in ("true", "false", "null") or _is_quoted(value):
            out.append(value)
        else:
            out.append(json.dumps(value))
    out.append(fmt[last:])
    return "".join(out)


def _is_quoted(value: str) -> bool:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return False
    try:
        return isinstance(json.loads(value), str)
    except ValueError:
        return False


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def clf_time(epoch_ms: int) -> str:
    """`$context.requestTime`: CLF time, e.g. "01/Jan/2026:00:00:00 +0000" (English month, UTC)."""
    t = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"


def context_variables(
    *,
    account_id: str,
    api_id: str,
    stage: str,
    request_id: str,
    http_method: str,
    path: str,
    source_ip: str,
    domain_name: str,
    status: int,
    response_length: int,
    request_time_epoch_ms: int,
    protocol: str = "HTTP/1.1",
    user_agent: str | None = None,
    extended_request_id: str | None = None,
    resource_path: str | None = None,
    resource_id: str | None = None,
    route_key: str | None = None,
    response_latency_ms: float | None = None,
    integration_latency_ms: float | None = None,
    integration_status: int | None = None,
    integration_error_message: str | None = None,
    error_message: str | None = None,
    error_response_type: str | None = None,
    authorizer_error: str | None = None,
    authorizer_principal_id: str | None = None,
    authorizer_context: Mapping[str, Any] | None = None,
    authorizer_claims: Mapping[str, Any] | None = None,
    api_key: str | None = None,
    api_key_id: str | None = None,
    data_processed: int | None = None,
) -> dict[str, Any]:
    """The `$context` variables of one request, by name without the "$context." prefix.

    `path` is the full request path (with the stage, as `$context.path` shows it); latencies are
    milliseconds. Values left None log as "-".
    """
    variables: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "stage": stage,
        "requestId": request_id,
        "extendedRequestId": extended_request_id or request_id,
        "httpMethod": http_method,
        "path": path,
        "resourcePath": resource_path,
        "resourceId": resource_id,
        "routeKey": route_key,
        "protocol": protocol,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0] if domain_name else None,
        "identity.sourceIp": source_ip,
        "identity.userAgent": user_agent,
        "identity.apiKey": api_key,
        "identity.apiKeyId": api_key_id,
        "status": status,
        "responseLength": response_length,
        "requestTime": clf_time(request_time_epoch_ms),
        "requestTimeEpoch": request_time_epoch_ms,
        "responseLatency": _ms(response_latency_ms),
        "integrationLatency": _ms(integration_latency_ms),
        "integration.latency": _ms(integration_latency_ms),
        "integrationStatus": integration_status,
        "integration.status": integration_status,
        "integration.integrationStatus": integration_status,
        "integrationErrorMessage": integration_error_message,
        "integration.error": integration_error_message,
        "error.message": error_message,
        "error.messageString": json.dumps(error_message) if error_message is not None else None,
        "error.responseType": error_response_type,
        "authorizer.error": authorizer_error,
        "authorizer.principalId": authorizer_principal_id,
        "dataProcessed": data_processed,
    }
    for key, value in (authorizer_context or {}).items():
        variables.setdefault(f"authorizer.{key}", value)
    for key, value in (authorizer_claims or {}).items():
        variables[f"authorizer.claims.{key}"] = value
    return variables


def _ms(value: float | None) -> int | None:
    return None if value is None else round(value)


# --- the writer: one line per request into the stage's log group ------------------------------------

FLUSH_DELAY_S = 0.05  # gather a burst of requests into one store write; short next to a human reader
# Lines waiting for the store at most; past it (the store that far behind) lines are dropped and the count
# logged, as the outbox bounds function logs: memory does not follow a stalled store.
MAX_WAITING_LINES = 100_000


def stream_name(api_id: str, stage: str) -> str:
    """The log stream an API stage's access log lines go to. AWS does not document its stream names;
    Overcast uses one stream per API stage, named after them."""
    return f"{api_id}_{stage}"


class AccessLogs:
    """The data plane's access-log observer: for a stage with accessLogSettings, each request's line is
    buffered and written to the destination log group through the LogStore, in batches (like Lambda's
    own logs, delivery is asynchronous; `close` writes what is left).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
    """

    def __init__(self, logs: LogStore, clock: Clock, delay_s: float = FLUSH_DELAY_S) -> None:
        self.logs = logs
        self.clock = clock
        self.delay_s = delay_s
        self._pending: dict[tuple[str, str, str, str], list[LogEvent]] = {}
        self._waiting = 0  # lines in _pending
        self._dropped = 0  # lines dropped since the last flush, the store being that far behind
        self._flusher: asyncio.Task[None] | None = None

    def observe(self, api: DeployedApi, request: GatewayRequest, result: GatewayResult, trace: Trace) -> None:
        if not api.access_log_destination or not api.access_log_format:
            return
        group = log_group_of(api.access_log_destination)
        if group is None or group[:2] != (api.account_id, api.region):
            # API Gateway writes access logs with its own account's CloudWatch role, which reaches no other
            # account's log group: such lines are lost, as on AWS
            # (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
            return
        if self._waiting >= MAX_WAITING_LINES:
            self._dropped += 1
            return
        line = format_access_log(api.access_log_format, request_variables(api, request, result, trace))
        key = (*group, stream_name(api.api_id, api.stage))
        self._pending.setdefault(key, []).append(LogEvent(request.time_epoch_ms, line))
        self._waiting += 1
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await self.clock.sleep(self.delay_s)
        # Lines observed while a flush is writing find this task still running and start no other: they
        # are written by the next turn here, not left waiting for a later request.
        while self._pending:
            await self.flush()

    async def flush(self) -> None:
        """Write every buffered line now."""
        pending, self._pending, self._waiting = self._pending, {}, 0
        if self._dropped:
            log.warning("%d access log lines dropped: the store fell %d lines behind", self._dropped, MAX_WAITING_LINES)
            self._dropped = 0
        if not pending:
            return
        batches = [StreamEvents(a, r, g, s, events) for (a, r, g, s), events in pending.items()]
        try:
            await self.logs.put_many(batches)
        except Exception:
            # The store refused (disk full, closed): these lines are lost; say so.
            log.exception("writing %d access log lines failed", sum(len(e) for e in pending.values()))

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()


def request_variables(api: DeployedApi, request: GatewayRequest, result: GatewayResult, trace: Trace) -> dict[str, Any]:
    """The `$context` variables of one answered request, from what the pipeline recorded in `trace`."""
    rest = api.kind is ApiKind.REST
    route = trace.match.route if trace.match is not None else None
    auth = trace.auth
    shaped = dict(auth.request_context_authorizer or {}) if auth is not None else {}
    claims: Mapping[str, Any] | None = None
    context: Mapping[str, Any] | None = None
    if isinstance(shaped.get("jwt"), dict):  # HTTP API JWT, payload 2.0
        claims = shaped["jwt"].get("claims")
    elif isinstance(shaped.get("lambda"), dict):  # HTTP API Lambda authorizer, payload 2.0
        context = shaped["lambda"]
    elif isinstance(shaped.get("claims"), dict):  # JWT, payload 1.0
        claims = shaped["claims"]
    else:
        context = shaped
    domain = request.host.rsplit(":", 1)[0] if ":" in request.host and not request.host.endswith("]") else request.host
    return context_variables(
        account_id=api.account_id,
        api_id=api.api_id,
        stage=api.stage,
        request_id=request.request_id,
        http_method=request.method,
        path=request.stage_prefix + request.path,
        source_ip=request.source_ip,
        domain_name=domain,
        status=result.status,
        response_length=len(result.body),
        request_time_epoch_ms=request.time_epoch_ms,
        user_agent=request.header("user-agent"),
        extended_request_id=extended_request_id(request.request_id) if rest else request.request_id,
        resource_path=route.path if route is not None and rest else None,
        resource_id=route.resource_id if route is not None and rest else None,
        route_key=route_key(route) if route is not None and not rest else None,
        response_latency_ms=trace.latency_ms,
        integration_latency_ms=trace.integration_latency_ms,
        integration_status=trace.integration_status,
        integration_error_message=trace.integration_error or None,
        error_message=trace.error or None,
        error_response_type=trace.error_type or None,
        authorizer_error=(auth.error or None) if auth is not None else None,
        authorizer_principal_id=auth.principal_id if auth is not None else None,
        authorizer_context=context,
        authorizer_claims=claims,
        api_key_id=trace.api_key_id,
        data_processed=None if rest else len(request.body) + len(result.body),
    )
