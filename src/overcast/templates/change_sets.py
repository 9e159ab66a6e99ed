"""Change sets: an update (or a stack's first creation) computed as a diff to review, then executed or dropped.

CreateChangeSet checks the template at once (ValidationError before any change) and computes its diff (the
change set is CREATE_COMPLETE, or FAILED, when the call answers); a CREATE change set for a stack that does not
exist records the stack in REVIEW_IN_PROGRESS, with no resources, until it is executed
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-create.html).
A change set with no changes FAILS with AWS's own reason, which `aws cloudformation deploy` reads.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from overcast.arn import format_arn
from overcast.context import RequestContext
from overcast.templates import records as st
from overcast.templates import stack_tables as tables
from overcast.templates.changes import diff
from overcast.templates.errors import TemplateValidationError
from overcast.templates.plan import Plan
from overcast.templates.records import ChangeSet, Stack
from overcast.templates.stacks import AlreadyExists, Request, Stacks, no_stack


class ChangeSetNotFound(TemplateValidationError):
    code, status = "ChangeSetNotFound", 404


class InvalidChangeSetStatus(TemplateValidationError):
    code = "InvalidChangeSetStatus"


def _no_change_set(name: str) -> ChangeSetNotFound:
    return ChangeSetNotFound(f"ChangeSet [{name}] does not exist")


class ChangeSets:
    def __init__(self, stacks: Stacks) -> None:
        self.stacks = stacks
        self.store = stacks.store

    async def create(
        self, ctx: RequestContext, stack_name: str, name: str, kind: str, request: Request, description: str | None
    ) -> ChangeSet:
        stack = await self.stacks.find(ctx, stack_name)
        if kind == "CREATE":
            if stack is not None and stack.status != st.REVIEW_IN_PROGRESS:
                raise AlreadyExists(f"Stack [{stack_name}] already exists and cannot be created again with the "
                                    "changeSet [" + name + "].")  # fmt: skip
            if stack is None:
                stack = self.stacks.new_stack(ctx, stack_name, st.REVIEW_IN_PROGRESS, request)
        elif stack is None:
            raise no_stack(stack_name)
        elif stack.status == st.REVIEW_IN_PROGRESS or stack.status not in st.UPDATABLE:
            raise TemplateValidationError(f"Stack:{stack.id} is in {stack.status} state and can not be updated.")
        if await self._find(ctx, stack.id, name) is not None:
            raise AlreadyExists(f"ChangeSet {name} already exists")  # (a guess at the text)
        previous = stack if kind == "UPDATE" else None
        body, prepared, given = await self.stacks.plan(ctx, stack.name, stack.id, request, previous)
        if kind == "CREATE" and await self.stacks.find(ctx, stack.id) is None:
            await self.stacks.journal.stack(stack, st.REVIEW_IN_PROGRESS, "User Initiated")
        change_set = ChangeSet(
            id=format_arn("cloudformation", ctx.region, ctx.account_id, f"changeSet/{name}/{uuid.uuid4()}"),
            name=name, stack_id=stack.id, stack_name=stack.name, kind=kind, status=st.CS_CREATE_PENDING,
            status_reason=None, execution_status=st.EXEC_UNAVAILABLE, template_body=body, parameters=given,
            tags=dict(request.tags or {}) if request.tags is not None else dict(stack.tags),
            capabilities=request.capabilities, description=description, changes=(), created=self.stacks.clock.now(),
            notification_arns=request.notification_arns or (),
        )  # fmt: skip
        # The diff touches no resource and takes milliseconds: it is done before the answer, so a client's first
        # DescribeChangeSet finds it complete (the AWS CLI's deploy waits 5 s between polls otherwise).
        return await self._compute(ctx, change_set, stack, prepared, request)

    async def _compute(
        self, ctx: RequestContext, change_set: ChangeSet, stack: Stack, prepared: Plan, request: Request
    ) -> ChangeSet:
        rows = [] if change_set.kind == "CREATE" else await tables.resources_of(self.store, stack.id)
        changes = diff(prepared, rows, stack.processed)
        applied = self.stacks.applied(change_set.template_body, prepared, change_set.parameters, request)
        same = (
            change_set.kind == "UPDATE"
            and not changes
            and applied["parameters"] == dict(stack.parameters)
            and change_set.tags == dict(stack.tags)
            and prepared.template.get("Outputs") == stack.processed.get("Outputs")
        )
        if same:
            done = dataclasses.replace(change_set, status=st.CS_FAILED, status_reason=st.NO_CHANGES)
        else:
            done = dataclasses.replace(
                change_set, status=st.CS_CREATE_COMPLETE, execution_status=st.EXEC_AVAILABLE, changes=changes
            )
        await tables.put_change_set(self.store, ctx.account_id, ctx.region, done)
        return done

    async def _find(self, ctx: RequestContext, stack_id: str, name: str) -> ChangeSet | None:
        row = await self.store.fetch_one(
            f"SELECT {tables.CHANGE_SET_COLUMNS} FROM cfn_change_sets WHERE account = ? AND region = ? "
            "AND stack_id = ? AND name = ?",
            ctx.account_id, ctx.region, stack_id, name,
        )  # fmt: skip
        return None if row is None else tables.change_set_from(row)

    async def get(self, ctx: RequestContext, name_or_id: str, stack_name: str | None) -> ChangeSet:
        """A change set by its ARN, or by its name and its stack's name or id."""
        if name_or_id.startswith("arn:"):
            row = await self.store.fetch_one(
                f"SELECT {tables.CHANGE_SET_COLUMNS} FROM cfn_change_sets WHERE id = ? AND account = ? AND region = ?",
                name_or_id, ctx.account_id, ctx.region,
            )  # fmt: skip
            if row is None:
                raise _no_change_set(name_or_id)
            return tables.change_set_from(row)
        if not stack_name:
            raise TemplateValidationError("StackName must be specified if ChangeSetName is not specified as an ARN.")
        stack = await self.stacks.find(ctx, stack_name, deleted=True)
        found = None if stack is None else await self._find(ctx, stack.id, name_or_id)
        if found is None:
            raise _no_change_set(name_or_id)
        return found

    async def list(self, ctx: RequestContext, stack_name: str) -> list[ChangeSet]:
        stack = await self.stacks.stack(ctx, stack_name)
        rows = await self.store.fetch_all(
            f"SELECT {tables.CHANGE_SET_COLUMNS} FROM cfn_change_sets WHERE stack_id = ? ORDER BY created", stack.id
        )
        return [tables.change_set_from(row) for row in rows]

    async def delete(self, ctx: RequestContext, name_or_id: str, stack_name: str | None) -> None:
        change_set = await self.get(ctx, name_or_id, stack_name)
        if change_set.execution_status == st.EXEC_IN_PROGRESS:
            raise InvalidChangeSetStatus(
                f"Cannot delete ChangeSet in status {change_set.execution_status}"
            )  # (a guess at the text)
        await self.store.execute("DELETE FROM cfn_change_sets WHERE id = ?", change_set.id)

    async def execute(self, ctx: RequestContext, name_or_id: str, stack_name: str | None) -> None:
        change_set = await self.get(ctx, name_or_id, stack_name)
        if change_set.execution_status != st.EXEC_AVAILABLE:
            raise InvalidChangeSetStatus(
                f"ChangeSet [{change_set.id}] cannot be executed in its current execution status of "
                f"[{change_set.execution_status}]"
            )
        stack = await self.stacks.stack(ctx, change_set.stack_id)
        request = Request(
            template_body=change_set.template_body,
            parameters=dict(change_set.parameters),
            tags=dict(change_set.tags),
            capabilities=change_set.capabilities,
            notification_arns=change_set.notification_arns or None,
        )
        previous = stack if change_set.kind == "UPDATE" else None
        body, prepared, given = await self.stacks.plan(ctx, stack.name, stack.id, request, previous)
        applied = self.stacks.applied(body, prepared, given, request)
        await self._mark(ctx, change_set, stack.id)
        if change_set.kind == "CREATE":
            stack = await self.stacks.journal.stack(
                dataclasses.replace(stack, **applied), st.CREATE_IN_PROGRESS, "User Initiated"
            )
            self.stacks.run(stack.id, self._finish(ctx, change_set, self.stacks.deployer.create(stack, prepared)))
        else:
            stack = await self.stacks.journal.stack(stack, st.UPDATE_IN_PROGRESS, "User Initiated")
            self.stacks.run(
                stack.id, self._finish(ctx, change_set, self.stacks.deployer.update(stack, prepared, applied))
            )

    async def _mark(self, ctx: RequestContext, executed: ChangeSet, stack_id: str) -> None:
        """The change set EXECUTE_IN_PROGRESS; the stack's others OBSOLETE."""
        for other in await self.list(ctx, stack_id):
            status = st.EXEC_IN_PROGRESS if other.id == executed.id else st.EXEC_OBSOLETE
            await tables.put_change_set(
                self.store, ctx.account_id, ctx.region, dataclasses.replace(other, execution_status=status)
            )

    async def _finish(self, ctx: RequestContext, change_set: ChangeSet, work: Any) -> None:
        stack: Stack = await work
        good = stack.status in (st.CREATE_COMPLETE, st.UPDATE_COMPLETE)
        current = await self.get(ctx, change_set.id, None)
        status = st.EXEC_COMPLETE if good else st.EXEC_FAILED
        await tables.put_change_set(
            self.store, ctx.account_id, ctx.region, dataclasses.replace(current, execution_status=status)
        )
