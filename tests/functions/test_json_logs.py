"""LoggingConfig through a real server and boto3: LogFormat JSON makes the platform lines and the runtimes' own
loggers JSON records, ApplicationLogLevel and SystemLogLevel filter them, a custom LogGroup receives them, and the
Text format is unchanged (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.functions.deployed import ROLE
from tests.functions.zips import handler_zip, make_zip

PYTHON = """
import json
import logging

logger = logging.getLogger()

def handler(event, context):
    print("printed as text")
    print(json.dumps({"level": "debug", "msg": "a printed debug record"}))
    logger.debug("a debug record")
    logger.info("an info record", extra={"order": 7})
    logging.getLogger("orders").warning("a warning from %s", "orders")
    try:
        raise ValueError("bad order")
    except ValueError:
        logger.exception("it failed")
    if event.get("fail"):
        raise KeyError("missing")
    return "done"
"""

NODE = """
exports.handler = async () => {
  console.log('an info record');
  console.debug('a debug record');
  console.warn('a warning', 42);
  console.error(new TypeError('bad type'));
  return 'done';
};
"""


@pytest.fixture(scope="module")
def lam(aws: ClientFactory) -> Any:
    return aws("lambda")


def create(lam: Any, logging: dict[str, str] | None, runtime: str = "python3.12") -> str:
    name = f"jsonlogs-{uuid.uuid4().hex[:8]}"
    python = runtime.startswith("python")
    code = handler_zip(PYTHON) if python else make_zip({"index.js": NODE})
    lam.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler="index.handler", Code={"ZipFile": code},
        Timeout=10, **({"LoggingConfig": logging} if logging is not None else {}),
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def invoke(lam: Any, name: str, event: Any = None) -> tuple[str, list[str]]:
    """The request id and the log lines of one invocation (LogType Tail)."""
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail")
    return answer["ResponseMetadata"]["RequestId"], base64.b64decode(answer["LogResult"]).decode().splitlines()


def records(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def platform(lines: list[str]) -> dict[str, dict[str, Any]]:
    return {record["type"]: record for record in records(lines) if "type" in record}


def test_json_defaults_to_info_levels_and_validates_as_aws(lam: Any) -> None:
    name = create(lam, {"LogFormat": "JSON"})
    got = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert got == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
                   "LogGroup": f"/aws/lambda/{name}"}  # fmt: skip
    changed = lam.update_function_configuration(FunctionName=name, LoggingConfig={"SystemLogLevel": "WARN"})
    assert (changed["LoggingConfig"]["ApplicationLogLevel"], changed["LoggingConfig"]["SystemLogLevel"]) == (
        "INFO",
        "WARN",
    )
    text = lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    assert text["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    for bad in ({"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}, {"SystemLogLevel": "INFO"}):
        with pytest.raises(ClientError) as refused:
            lam.update_function_configuration(FunctionName=name, LoggingConfig=bad)
        error = refused.value.response["Error"]
        assert error["Code"] == "InvalidParameterValueException"
        assert error["Message"].startswith('LogLevel is not supported when LogFormat is set to "Text".')
    with pytest.raises(ClientError) as refused:
        lam.update_function_configuration(
            FunctionName=name, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "ERROR"}
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must satisfy enum value set: [DEBUG, INFO, WARN]" in refused.value.response["Error"]["Message"]


def test_python_json_records_platform_and_logger(lam: Any) -> None:
    name = create(lam, {"LogFormat": "JSON"})
    request_id, lines = invoke(lam, name)
    events = platform(lines)
    assert set(events) == {"platform.initStart", "platform.start", "platform.report"}  # runtimeDone is DEBUG
    assert events["platform.start"]["record"] == {"requestId": request_id, "version": "$LATEST"}
    report = events["platform.report"]
    assert report["time"].endswith("Z") and report["record"]["status"] == "success"
    metrics = report["record"]["metrics"]
    assert set(metrics) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"}
    assert metrics["memorySizeMB"] == 128
    assert "printed as text" in lines  # print() stays text, as on AWS
    assert not any("a printed debug record" in line for line in lines)  # Lambda filters JSON output by its level
    logged = [record for record in records(lines) if "level" in record]
    assert [(r["level"], r["logger"], r["message"]) for r in logged] == [
        ("INFO", "root", "an info record"),
        ("WARNING", "orders", "a warning from orders"),
        ("ERROR", "root", "it failed"),
    ]  # the DEBUG record is dropped at INFO
    assert all(record["requestId"] == request_id for record in logged)
    assert logged[0]["order"] == 7  # `extra` fields are fields of the record
    failure = logged[2]
    assert (failure["errorType"], failure["errorMessage"]) == ("ValueError", "bad order")
    assert failure["stackTrace"] and failure["location"].endswith(":handler:16")
    assert not any(line.startswith(("START", "END", "REPORT")) for line in lines)
    warm_id, warm = invoke(lam, name, {"fail": True})
    events = platform(warm)
    assert "platform.initStart" not in events and "initDurationMs" not in events["platform.report"]["record"]["metrics"]
    assert events["platform.report"]["record"]["status"] == "error"
    assert events["platform.report"]["record"]["errorType"] == "KeyError"
    unhandled = [record for record in records(warm) if record.get("log_level") == "ERROR"]
    assert [(r["errorType"], r["requestId"]) for r in unhandled] == [("KeyError", warm_id)]


def test_levels_filter_application_and_system_logs(lam: Any) -> None:
    name = create(lam, {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "DEBUG"})
    request_id, lines = invoke(lam, name)
    assert "a debug record" in [record.get("message") for record in records(lines)]
    assert "a printed debug record" in [record.get("msg") for record in records(lines)]
    events = platform(lines)
    assert {"platform.initRuntimeDone", "platform.runtimeDone"} <= set(events)
    assert events["platform.runtimeDone"]["record"]["requestId"] == request_id
    lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN"}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    _, lines = invoke(lam, name)
    assert platform(lines) == {}  # START, END and REPORT are below WARN
    assert [record["level"] for record in records(lines)] == ["ERROR"]
    assert lines[0] == "printed as text"


def test_text_format_is_unchanged(lam: Any) -> None:
    name = create(lam, None)
    request_id, lines = invoke(lam, name)
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert records(lines) == [{"level": "debug", "msg": "a printed debug record"}]  # Text filters no output
    # The runtime's text handler at the root logger's default level: warnings and errors only.
    assert any(
        line.startswith("[WARNING]\t") and line.endswith(f"\t{request_id}\ta warning from orders") for line in lines
    )
    assert not any("an info record" in line for line in lines)


def test_json_records_reach_a_custom_log_group(lam: Any, aws: ClientFactory) -> None:
    group = f"/custom/jsonlogs-{uuid.uuid4().hex[:8]}"
    name = create(lam, {"LogFormat": "JSON", "LogGroup": group})
    request_id, _ = invoke(lam, name)
    logs = aws("logs")
    deadline = time.monotonic() + 30
    while True:
        try:
            messages = [event["message"] for event in logs.filter_log_events(logGroupName=group)["events"]]
        except ClientError:  # the group appears with the first batch the outbox writes
            messages = []
        if any('"type":"platform.report"' in message for message in messages) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    types = [json.loads(message).get("type") for message in messages if message.startswith("{")]
    assert types[0] == "platform.initStart" and "platform.report" in types
    assert any(request_id in message for message in messages)


def test_node_console_writes_json_records_at_its_level(lam: Any) -> None:
    name = create(lam, {"LogFormat": "JSON", "ApplicationLogLevel": "INFO"}, runtime="nodejs20.x")
    request_id, lines = invoke(lam, name)
    logged = [record for record in records(lines) if "level" in record]
    assert [record["level"] for record in logged] == ["INFO", "WARN", "ERROR"]  # console.debug dropped at INFO
    assert all(record["requestId"] == request_id and record["timestamp"].endswith("Z") for record in logged)
    assert logged[0]["message"] == "an info record" and logged[1]["message"] == "a warning 42"
    error = logged[2]["message"]
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "bad type") and error["stackTrace"]
    assert {"platform.start", "platform.report"} <= set(platform(lines))
    text = create(lam, None, runtime="nodejs20.x")
    text_id, lines = invoke(lam, text)
    assert any(line.endswith(f"\t{text_id}\tDEBUG\ta debug record") for line in lines)  # Text: no filter
