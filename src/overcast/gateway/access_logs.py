"""Access logs: a stage's access log format filled with a request's `$context` variables.

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

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["clf_time", "context_variables", "format_access_log"]

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
