"""Retry and Catch in a definition: retriers, catchers, their ErrorEquals and the reserved `States.` names.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from overcast.workflows.asl import model as m
from overcast.workflows.asl.diagnostics import Findings
from overcast.workflows.asl.expressions import check_assign, check_path, is_int
from overcast.workflows.asl.model import ABSENT

# The errors Step Functions itself raises; a custom error may not take a `States.` name of its own.
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
_STATES_ERRORS = frozenset({
    "States.ALL",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
    "States.BranchFailed",
})


def retry_and_catch(f: Findings, doc: dict[str, Any], at: str, language: str) -> dict[str, Any]:
    """The `retry` and `catch` fields of a Task, Parallel or Map state's record."""
    return {
        "retry": retriers(f, doc.get("Retry"), f"{at}/Retry"),
        "catch": catchers(f, doc.get("Catch"), f"{at}/Catch", language),
    }


def _entries(f: Findings, doc: Any, at: str) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """A Retry or Catch list's objects, in order: (location, object, whether it is the last entry)."""
    if doc is None:
        return
    if not isinstance(doc, list):
        f.schema("Expected value of type: Array", at)
        return
    for i, entry in enumerate(doc):
        if isinstance(entry, dict):
            yield f"{at}[{i}]", entry, i == len(doc) - 1
        else:
            f.schema("Expected value of type: Object", f"{at}[{i}]")


def retriers(f: Findings, doc: Any, at: str) -> tuple[m.Retrier, ...]:
    out = []
    for where, r, last in _entries(f, doc, at):
        errors = error_equals(f, r.get("ErrorEquals"), where, last=last, kind="Retrier")
        interval = r.get("IntervalSeconds", 1)
        attempts = r.get("MaxAttempts", 3)
        backoff = r.get("BackoffRate", 2.0)
        max_delay = r.get("MaxDelaySeconds")
        jitter = r.get("JitterStrategy", "NONE")
        if not is_int(interval) or interval < 1:
            f.schema("Expected value of type: Integer >= 1", f"{where}/IntervalSeconds")
        if not is_int(attempts) or attempts < 0:
            f.schema("Expected value of type: Integer >= 0", f"{where}/MaxAttempts")
        if not isinstance(backoff, (int, float)) or isinstance(backoff, bool) or backoff < 1:
            f.schema("Expected value of type: Number >= 1.0", f"{where}/BackoffRate")
        if max_delay is not None and (not is_int(max_delay) or max_delay < 1):
            f.schema("Expected value of type: Integer >= 1", f"{where}/MaxDelaySeconds")
        if jitter not in ("FULL", "NONE"):
            f.schema(f"Value is not one of the allowed values [FULL, NONE]: {jitter}", f"{where}/JitterStrategy")
        out.append(
            m.Retrier(errors, interval if is_int(interval) else 1, attempts if is_int(attempts) else 3,
                      float(backoff) if isinstance(backoff, (int, float)) else 2.0,
                      max_delay if is_int(max_delay) else None,
                      jitter if jitter in ("FULL", "NONE") else "NONE")
        )
    return tuple(out)


def catchers(f: Findings, doc: Any, at: str, language: str) -> tuple[m.Catcher, ...]:
    out = []
    for where, cdoc, last in _entries(f, doc, at):
        errors = error_equals(f, cdoc.get("ErrorEquals"), where, last=last, kind="Catcher")
        nxt = cdoc.get("Next")
        if not isinstance(nxt, str):
            f.schema("These fields are required: [Next]", where)
            continue
        result_path = cdoc.get("ResultPath", "$")
        if isinstance(result_path, str):
            check_path(f, result_path, f"{where}/ResultPath")
        if "Assign" in cdoc:
            check_assign(f, cdoc["Assign"], f"{where}/Assign", language)
        out.append(m.Catcher(errors, nxt, result_path, cdoc.get("Assign", ABSENT), cdoc.get("Output", ABSENT)))
    return tuple(out)


def error_equals(f: Findings, doc: Any, at: str, *, last: bool, kind: str) -> tuple[str, ...]:
    if not isinstance(doc, list) or not doc or not all(isinstance(e, str) for e in doc):
        f.schema("These fields are required: [ErrorEquals]", at)
        return ()
    for i, name in enumerate(doc):
        check_error_name(f, name, f"{at}/ErrorEquals[{i}]")
    if "States.ALL" in doc:
        # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
        if len(doc) != 1:
            f.schema(f"{kind} with 'States.ALL' must not name other errors", f"{at}/ErrorEquals")
        elif not last:
            f.schema(f"{kind} with 'States.ALL' must be the last one", f"{at}/ErrorEquals")
    return tuple(doc)


def check_error_name(f: Findings, name: str, at: str) -> None:
    """A custom error may not use the `States.` prefix: those names are the service's own."""
    if name.startswith("States.") and name not in _STATES_ERRORS:
        f.schema(f"Custom error names may not start with 'States.': {name}", at)
