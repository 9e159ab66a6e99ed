"""Lambda's platform log lines: the START, END and REPORT texts written for every invocation.

Pure functions; the invoke service writes their results to the instance's log stream. AWS's
format (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html and
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html):

    START RequestId: 6bc28136-xmpl-4365-b021-0ce6b2e64ab0 Version: $LATEST
    END RequestId: 6bc28136-xmpl-4365-b021-0ce6b2e64ab0
    REPORT RequestId: 6bc28136-xmpl-4365-b021-0ce6b2e64ab0\tDuration: 2.05 ms\tBilled Duration: 3 ms\t
    Memory Size: 128 MB\tMax Memory Used: 76 MB\tInit Duration: 333.05 ms\t

(the REPORT line is one line: each field is followed by a tab, the last one too). Durations show
two decimals, sizes whole megabytes; Init Duration appears only on a cold start. The texts carry
no trailing newline: the log event's message is the line itself.

When an invocation's output passed Overcast's log ceiling (functions/runtime/python/logbudget.py),
a LOGS line before END says how much was dropped: the fields of Lambda's `platform.logsDropped`
telemetry event (reason, droppedRecords, droppedBytes:
https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html#platform-logsDropped),
written as the plain-text platform lines are.

With LoggingConfig's LogFormat JSON, the platform lines are JSON records instead, as Lambda writes its
system logs then (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html):
`{"time": ..., "type": "platform.start", "record": {...}}`, each record as the Telemetry API's schema
gives it (https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html), and only the
events at or above the function's SystemLogLevel, each event at the level Lambda gives it
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html): START is
platform.start (INFO), END platform.runtimeDone (DEBUG), REPORT platform.report (INFO), LOGS
platform.logsDropped (WARN); a cold start adds platform.initStart (INFO) and platform.initRuntimeDone
(DEBUG) around the init's output. Lambda filters the function's own output by ApplicationLogLevel as well:
a line that is a JSON object is at its "level" (INFO when it has none Lambda knows), so below the level it
is dropped, whichever runtime or library wrote it (`application_shown`); other lines are kept.
"""

from __future__ import annotations

import json
import time
from typing import Any


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_mb: int,
    max_used_mb: int,
    init_ms: float | None,
) -> str:
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_used_mb} MB",
    ]
    if init_ms is not None:
        fields.append(f"Init Duration: {init_ms:.2f} ms")
    return "\t".join(fields) + "\t"


# Overcast's words: Lambda's own reason is "Consumer seems to have fallen behind as it has not acknowledged
# receipt of logs." (the same page), for the extension that reads them.
LOGS_DROPPED_REASON = (
    "The function's log output passed Overcast's limits: max_log_bytes_per_invocation in an invocation, "
    "or what the log writer holds while it catches up."
)


def logs_dropped_line(request_id: str, dropped_lines: int, dropped_bytes: int) -> str:
    return (
        f"LOGS RequestId: {request_id}\tDropped Records: {dropped_lines}\tDropped Bytes: {dropped_bytes}\t"
        f"Reason: {LOGS_DROPPED_REASON}"
    )


# --- JSON system logs --------------------------------------------------------------------------------

SYSTEM_LEVELS = {"DEBUG": 0, "INFO": 1, "WARN": 2}
EVENT_LEVELS = {
    "platform.initStart": "INFO",
    "platform.initRuntimeDone": "DEBUG",
    "platform.start": "INFO",
    "platform.runtimeDone": "DEBUG",
    "platform.report": "INFO",
    "platform.logsDropped": "WARN",
}
# An invocation's outcome (outbox.Finished.outcome) as the records' `status`: success, error, failure or timeout.
STATUS = {"success": "success", "error": "error", "timeout": "timeout", "crash": "error"}


# ApplicationLogLevel's order, under the names runtimes write (Python's WARNING and CRITICAL as well).
APPLICATION_LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "FATAL": 5, "CRITICAL": 5}


def application_shown(message: str, application_level: str) -> bool:
    """Whether a line of the function's output passes its ApplicationLogLevel: a JSON object by its "level"
    (or "log_level", which AWS's Python runtime writes in its record of an unhandled error), INFO when it
    has none or one Lambda does not know (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html)."""
    if not message.startswith("{"):
        return True
    try:
        document = json.loads(message)
    except ValueError:
        return True
    if not isinstance(document, dict):
        return True
    level = document.get("level", document.get("log_level"))
    rank = APPLICATION_LEVELS.get(level.upper(), 2) if isinstance(level, str) else 2
    return rank >= APPLICATION_LEVELS.get(application_level, 2)


def shown(event_type: str, system_level: str) -> bool:
    """Whether a SystemLogLevel lets this event through."""
    return SYSTEM_LEVELS[EVENT_LEVELS[event_type]] >= SYSTEM_LEVELS.get(system_level, 1)


def event(event_type: str, timestamp_ms: int, record: dict[str, Any]) -> str:
    """One system log record, e.g. {"time":"2026-12-07T15:00:00.123Z","type":"platform.start","record":{...}}."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp_ms // 1000)) + f".{timestamp_ms % 1000:03d}Z"
    return json.dumps({"time": stamp, "type": event_type, "record": record}, separators=(",", ":"))


def report_metrics(
    duration_ms: float, billed_ms: int, memory_mb: int, max_used_mb: int, init_ms: float | None
) -> dict[str, Any]:
    """platform.report's metrics: REPORT's fields, under the Telemetry API's names."""
    metrics: dict[str, Any] = {
        "durationMs": round(duration_ms, 2),
        "billedDurationMs": billed_ms,
        "memorySizeMB": memory_mb,
        "maxMemoryUsedMB": max_used_mb,
    }
    if init_ms is not None:
        metrics["initDurationMs"] = round(init_ms, 2)
    return metrics


def logs_dropped_record(dropped_lines: int, dropped_bytes: int) -> dict[str, Any]:
    return {"reason": LOGS_DROPPED_REASON, "droppedRecords": dropped_lines, "droppedBytes": dropped_bytes}
