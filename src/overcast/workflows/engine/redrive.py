"""Redrive: whether an execution may be redriven, and what its journal must forget so a replay resumes
at the unsuccessful states instead of the beginning.

A redrive replays the interpreter over the journal like a crash recovery does: completed states answer
from it and run nothing again. What failed must run again, so the plan names (a) the effects of the
Task state entries still open when the execution ended (their failed attempts, retry timers, task
tokens) to delete from the journal, and (b) the first history event of the unfinished part: events
from there on keep their place in the history but lose their replay key, so the replay writes the
re-entered states as new events after ExecutionRedriven.
https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from overcast.workflows.engine.records import Event, Execution, ExecutionStatus

# Executions that ended more than 14 days ago cannot be redriven.
REDRIVABLE_SECONDS = 14 * 86_400
HISTORY_LIMIT_CAUSE = "The execution reached the maximum number of history events"
_REDRIVABLE = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED)


def not_redrivable(execution: Execution, now: float) -> str | None:
    """Why the execution cannot be redriven now (DescribeExecution's redriveStatusReason), else None."""
    # https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
    if execution.status not in _REDRIVABLE:
        return f"Execution is {execution.status.value} and cannot be redriven"
    if (execution.cause or "").startswith(HISTORY_LIMIT_CAUSE):
        return "Execution history event limit exceeded"
    if execution.stop is not None and now - execution.stop > REDRIVABLE_SECONDS:
        return "Execution redrivable period exceeded"
    return None


@dataclass(frozen=True, slots=True)
class Plan:
    """`first_event`: the id from which events lose their replay key; `effects`: the effect-key
    prefixes (state entry keys) whose journaled results are dropped."""

    first_event: int
    effects: tuple[str, ...]

    def drops(self, effect_key: str) -> bool:
        """Whether a journal row (`kind:effect key`) belongs to an unfinished state entry."""
        _, _, key = effect_key.partition(":")
        return any(key.startswith(prefix + "/") for prefix in self.effects)


def plan(events: Mapping[str, Event]) -> Plan:
    """The redrive plan for an execution's persisted events (by replay key)."""
    ordered = sorted(events.items(), key=lambda item: item[1].id)
    entries: dict[tuple[str, str], int] = {}  # (scope, state) -> how many times entered
    open_: dict[tuple[str, str], list[tuple[int, str, str]]] = {}  # -> stack of (id, type, entry key)
    for key, event in ordered:
        scope, _, _ = key.rpartition("!")
        kind = event.type
        name = (event.details or {}).get("name")
        if not isinstance(name, str):
            continue
        slot = (scope, name)
        if kind.endswith("StateEntered"):
            entry = entries.get(slot, 0)
            entries[slot] = entry + 1
            open_.setdefault(slot, []).append((event.id, kind, f"{scope}/{name}#{entry}"))
        elif (kind.endswith("StateExited") or kind.endswith("StateAborted")) and open_.get(slot):
            open_[slot].pop()
    still_open = [item for stack in open_.values() for item in stack]
    last = ordered[-1][1].id if ordered else 0
    first = min((event_id for event_id, _, _ in still_open), default=last)
    tasks = tuple(entry for _, kind, entry in still_open if kind == "TaskStateEntered")
    return Plan(first, tasks)


def superseded(events: Mapping[str, Event], first_event: int) -> Iterable[tuple[str, Event]]:
    """The (replay key, event) pairs a redrive takes the key from."""
    return ((key, event) for key, event in events.items() if event.id >= first_event)
