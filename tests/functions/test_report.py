"""Lambda's START / END / REPORT lines, exactly as AWS writes them."""

from __future__ import annotations

import pytest

from overcast.billing.metering import billed_duration_ms
from overcast.functions.report import end_line, report_line, start_line

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
