"""Lambda's START / END / REPORT lines, exactly as AWS writes them."""

from __future__ import annotations

import json

import pytest

from overcast.billing.metering import billed_duration_ms
from overcast.functions.outbox import Finished
from overcast.functions.report import application_shown, end_line, report_line, start_line

RID = "6bc28136-xmpl-4365-b021-0ce6b2e64ab0"


def test_start_and_end() -> None:
    assert start_line(RID, "$LATEST") == f"START RequestId: {RID} Version: $LATEST"
    assert start_line(RID, "7") == f"START RequestId: {RID} Version: 7"
    assert end_line(RID) == f"END RequestId: {RID}"


@pytest.mark.parametrize(
    ("duration", "billed", "memory", "used", "init", "expected"),
    [
        (
            12.34,
            13,
            128,
            41,
            112.34,
            "Duration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\t"
            "Init Duration: 112.34 ms\t",
        ),
        (
            2.0,
            2,
            1152,
            76,
            None,
            "Duration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 1152 MB\tMax Memory Used: 76 MB\t",
        ),
        (
            718.654,
            800,
            128,
            14,
            None,
            "Duration: 718.65 ms\tBilled Duration: 800 ms\tMemory Size: 128 MB\tMax Memory Used: 14 MB\t",
        ),
        (
            0.126,
            1,
            10240,
            10240,
            0.004,
            "Duration: 0.13 ms\tBilled Duration: 1 ms\tMemory Size: 10240 MB\tMax Memory Used: 10240 MB\t"
            "Init Duration: 0.00 ms\t",
        ),
    ],
)
def test_report(duration: float, billed: int, memory: int, used: int, init: float | None, expected: str) -> None:
    assert report_line(RID, duration, billed, memory, used, init) == f"REPORT RequestId: {RID}\t{expected}"


@pytest.mark.parametrize(
    ("granularity", "duration", "init", "billed"),
    [
        (1, 12.34, None, 13),
        (1, 12.0, None, 12),
        (1, 12.000000001, None, 12),
        (1, 0.0, None, 1),
        (1, 0.2, None, 1),
        (1, 4.42, 333.05, 338),  # init billed too (managed runtimes since August 2025)
        (100, 12.34, None, 100),
        (100, 100.0, None, 100),
        (100, 100.01, None, 200),
        (100, 718.65, None, 800),
        (100, 0.0, None, 100),
    ],
)
def test_billed_ms(granularity: int, duration: float, init: float | None, billed: int) -> None:
    assert billed_duration_ms(duration, granularity, init_ms=init) == billed


def _finished(system_level: str, **changes: object) -> Finished:
    log = ((900, "init output"), (1000, "during"))
    base = Finished("111111111111", "us-east-1", "fn", "$LATEST", RID, "/aws/lambda/fn", "stream", 1000, 1012,
                    12.34, 13, 128, None, 112.34, True, "timeout", "x86_64", log, 3, 300, system_level,
                    "Sandbox.Timedout")  # fmt: skip
    return base._replace(**changes)


def test_json_system_logs_in_order_at_their_levels() -> None:
    lines = _finished("DEBUG").lines(41)
    kinds = [json.loads(line.message)["type"] if line.message.startswith("{") else line.message for line in lines]
    assert kinds == ["platform.initStart", "init output", "platform.initRuntimeDone", "platform.start", "during",
                     "platform.logsDropped", "platform.runtimeDone", "platform.report"]  # fmt: skip
    report = json.loads(lines[-1].message)
    assert report == {
        "time": "1970-01-01T00:00:01.012Z",
        "type": "platform.report",
        "record": {
            "requestId": RID,
            "metrics": {
                "durationMs": 12.34,
                "billedDurationMs": 13,
                "memorySizeMB": 128,
                "maxMemoryUsedMB": 41,
                "initDurationMs": 112.34,
            },
            "status": "timeout",
            "errorType": "Sandbox.Timedout",
        },
    }
    dropped = json.loads(lines[5].message)["record"]
    assert (dropped["droppedRecords"], dropped["droppedBytes"]) == (3, 300)
    info = [line.message for line in _finished("INFO").lines(41)]
    assert [json.loads(m)["type"] for m in info if m.startswith("{")] == [
        "platform.initStart", "platform.start", "platform.logsDropped", "platform.report"]  # fmt: skip
    assert [line.message for line in _finished("WARN", dropped_lines=0).lines(41)] == ["init output", "during"]


@pytest.mark.parametrize(
    ("message", "level", "shown"),
    [
        ('{"level": "debug", "msg": "m"}', "INFO", False),
        ('{"level": "DEBUG", "msg": "m"}', "DEBUG", True),
        ('{"level": "WARNING", "message": "m"}', "WARN", True),  # Python's name for WARN
        ('{"msg": "no level"}', "INFO", True),  # INFO when it has none
        ('{"level": "verbose"}', "WARN", False),  # INFO when Lambda does not know it
        ('{"log_level": "ERROR", "errorType": "KeyError"}', "ERROR", True),  # the Python runtime's error record
        ("plain text", "FATAL", True),
        ("{not json", "FATAL", True),
        ('["level", "debug"]', "FATAL", True),
    ],
)
def test_application_level_filters_json_lines(message: str, level: str, shown: bool) -> None:
    assert application_shown(message, level) is shown
