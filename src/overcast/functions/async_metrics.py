"""AsyncMetrics: Lambda's asynchronous invocation metrics, counted per function for the metrics service.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#async-invocation-metrics:
AsyncEventsReceived (events queued), AsyncEventAge (milliseconds from queueing to each attempt),
AsyncEventsDropped (events dropped without a successful run, after their destination or dead-letter
queue), DestinationDeliveryFailures and DeadLetterErrors (sends that failed). Lambda records no
metrics in the metrics store yet (Invocations, Errors and Throttles neither), so these are counters in
memory that a metrics service reads with `snapshot`; they start at zero with each server.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

RECEIVED, AGE, DROPPED = "AsyncEventsReceived", "AsyncEventAge", "AsyncEventsDropped"
DESTINATION_FAILURES, DEAD_LETTER_ERRORS = "DestinationDeliveryFailures", "DeadLetterErrors"
COUNTED = (RECEIVED, DROPPED, DESTINATION_FAILURES, DEAD_LETTER_ERRORS)  # summed; AGE is a statistic

Function = tuple[str, str, str]  # account, Region, function name


class AsyncMetrics:
    def __init__(self) -> None:
        self._counts: Counter[tuple[Function, str]] = Counter()
        self._ages: dict[Function, list[float]] = {}  # [sample count, sum, maximum] of AsyncEventAge, ms

    def count(self, function: Function, metric: str, value: int = 1) -> None:
        self._counts[(function, metric)] += value

    def age(self, function: Function, milliseconds: float) -> None:
        stats = self._ages.setdefault(function, [0.0, 0.0, 0.0])
        stats[0] += 1
        stats[1] += milliseconds
        stats[2] = max(stats[2], milliseconds)

    def forget(self, function: Function) -> None:
        """A deleted function's numbers (a function made again with its name starts at zero)."""
        for metric in COUNTED:
            self._counts.pop((function, metric), None)
        self._ages.pop(function, None)

    def snapshot(self, function: Function) -> Mapping[str, float]:
        """Sums so far of the counted metrics, and AsyncEventAge's SampleCount, Sum and Maximum."""
        out: dict[str, float] = {metric: self._counts[(function, metric)] for metric in COUNTED}
        count, total, maximum = self._ages.get(function, [0.0, 0.0, 0.0])
        out.update({f"{AGE}.SampleCount": count, f"{AGE}.Sum": total, f"{AGE}.Maximum": maximum})
        return out
