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

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from overcast.store import Store
from overcast.workflows.engine import history
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


async def apply(store: Store, execution: Execution, now: float) -> Execution | None:
    """Write the redrive of an unsuccessful execution: RUNNING again with its redrive count and date, its
    unfinished part's events without replay keys, its open tasks' effects forgotten, and ExecutionRedriven
    appended; the execution as it now is, or None when its status changed meanwhile."""
    arn = execution.arn
    events = await history.keyed(store, arn)
    found = plan(events)
    kept = await store.fetch_all("SELECT effect_key FROM sfn_journal WHERE execution_arn = ?", arn)
    dropped = [r["effect_key"] for r in kept if found.drops(r["effect_key"])]
    count = execution.redrive_count + 1
    last = max((e.id for e in events.values()), default=0)
    async with store.transaction() as tx:
        changed = await tx.execute(
            "UPDATE sfn_executions SET status = ?, output = NULL, error = NULL, cause = NULL, stop_date = NULL,"
            " redrive_count = ?, redrive_date = ? WHERE arn = ? AND status = ?",
            "RUNNING", count, now, arn, execution.status.value,
        )  # fmt: skip
        if not changed:
            return None
        for key, event in superseded(events, found.first_event):
            await history.rekey(tx, arn, event, f"~redrive{count}{key}")
        for effect_key in dropped:
            await tx.execute("DELETE FROM sfn_journal WHERE execution_arn = ? AND effect_key = ?", arn, effect_key)
        redriven = Event(last + 1, "ExecutionRedriven", now, last, {"redriveCount": count})
        await history.append(tx, arn, [(redriven, f"execution/redriven{count}")])
    return dataclasses.replace(
        execution, status=ExecutionStatus.RUNNING, output=None, error=None, cause=None, stop=None,
        redrive_count=count, redrive_date=now,
    )  # fmt: skip
