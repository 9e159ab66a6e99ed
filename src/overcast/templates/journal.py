"""What a stack operation writes as it goes: the stack's status, each resource's row, and an event for each step."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from typing import Any

from overcast.clock import Clock
from overcast.store import Store
from overcast.templates import stack_tables as tables
from overcast.templates.records import Stack, StackEvent, StackResource

STACK_TYPE = "AWS::CloudFormation::Stack"


class Journal:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._last = 0

    def _seq(self) -> int:
        """Events are ordered by a sequence that only grows (DescribeStackEvents reads it newest first): the
        clock's microseconds, or one more than the last when the clock has not moved."""
        self._last = max(self._last + 1, int(self.clock.now() * 1_000_000))
        return self._last

    async def event(
        self,
        stack: Stack,
        logical_id: str,
        physical_id: str,
        kind: str,
        status: str,
        reason: str | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        shown = None if properties is None else json.dumps(properties, separators=(",", ":"))
        event = StackEvent(
            stack.id, stack.name, str(uuid.uuid4()), logical_id, physical_id, kind, status, reason, shown,
            self.clock.now(),
        )  # fmt: skip
        await tables.put_event(self.store, self._seq(), event)

    async def stack(self, stack: Stack, status: str, reason: str | None = None, **changes: Any) -> Stack:
        """The stack in its new status (and with `changes`), stored, with its event."""
        updated = dataclasses.replace(stack, status=status, status_reason=reason, **changes)
        await tables.put_stack(self.store, updated)
        await self.event(updated, stack.name, stack.id, STACK_TYPE, status, reason)
        return updated

    async def resource(
        self,
        stack: Stack,
        row: StackResource,
        status: str,
        reason: str | None = None,
        *,
        event_properties: Mapping[str, Any] | None = None,
    ) -> StackResource:
        """The resource's row in its new status, stored, with its event."""
        updated = dataclasses.replace(row, status=status, status_reason=reason, updated=self.clock.now())
        await tables.put_resource(self.store, updated)
        await self.event(stack, row.logical_id, row.physical_id or "", row.type, status, reason, event_properties)
        return updated

    async def forget(self, stack_id: str, logical_id: str) -> None:
        await self.store.execute(
            "DELETE FROM cfn_resources WHERE stack_id = ? AND logical_id = ?", stack_id, logical_id
        )
