"""Stacks: CloudFormation's domain service; each operation is checked at once, then runs in the background as on AWS.

CreateStack, UpdateStack and DeleteStack answer as soon as the template is checked (ValidationError before
any change otherwise) and the stack recorded in its *_IN_PROGRESS status; the engine (deployment.py)
moves it on. One operation runs on a stack at a time. Every lookup is in the caller's account and Region:
a stack id of another names no stack ("Stack with id X does not exist").
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from overcast.arn import format_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.store import Store
from overcast.templates import document, plan
from overcast.templates import records as st
from overcast.templates import stack_tables as tables
from overcast.templates.deployment import Deployer
from overcast.templates.errors import TemplateValidationError
from overcast.templates.journal import Journal
from overcast.templates.plan import Plan, Transform
from overcast.templates.providers.base import Providers
from overcast.templates.records import Export, Stack, StackEvent, StackResource

MAX_BODY_BYTES = 51_200  # TemplateBody passed inline (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html)
_STACK_NAME_LENGTH = 128


class AlreadyExists(TemplateValidationError):
    code = "AlreadyExistsException"


def no_stack(name: str) -> TemplateValidationError:
    return TemplateValidationError(f"Stack with id {name} does not exist")


@dataclass(frozen=True)
class Request:
    """What CreateStack, UpdateStack and CreateChangeSet are given. A parameter given as None takes its
    previous value (UsePreviousValue)."""

    template_body: str | None = None
    use_previous_template: bool = False
    parameters: Mapping[str, str | None] = field(default_factory=dict)
    tags: Mapping[str, str] | None = None
    capabilities: tuple[str, ...] = ()
    notification_arns: tuple[str, ...] | None = None
    disable_rollback: bool = False


class Stacks:
    def __init__(self, store: Store, clock: Clock, providers: Providers, transform: Transform | None = None) -> None:
        self.store = store
        self.clock = clock
        self.providers = providers
        self.transform = transform  # the SAM transform: the composition root sets it once it exists
        self.journal = Journal(store, clock)
        self.deployer = Deployer(self.journal, providers)
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self, *, sole_owner: bool = False) -> None:
        """`sole_owner`: this process alone runs stack operations on the store (SQLite: one server owns a data
        dir), so a stack still in progress was left by a process that stopped: it is marked failed, to be
        deleted, rather than left in progress for ever."""
        await self.store.migrate("stacks", tables.STEPS)
        if not sole_owner:
            return
        rows = await self.store.fetch_all(
            f"SELECT {tables.STACK_COLUMNS} FROM cfn_stacks WHERE deleted IS NULL AND status IN "
            f"({', '.join('?' * len(st.STOPPED))})",
            *st.STOPPED,
        )
        for row in rows:
            stack = tables.stack_from(row)
            reason = f"Overcast stopped during {stack.status}: the operation did not finish; delete the stack"
            await self.journal.stack(stack, st.STOPPED[stack.status], reason)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def run(self, stack_id: str, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` in the background once the stack's earlier operations are done."""
        lock = self._locks.setdefault(stack_id, asyncio.Lock())

        async def serialized() -> None:
            async with lock:
                await work

        task = asyncio.get_running_loop().create_task(serialized())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Every background operation finished (for the composition root's shutdown and for tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- lookups ----------------------------------------------------------------------------------------

    async def find(self, ctx: RequestContext, name_or_id: str, *, deleted: bool = False) -> Stack | None:
        """A live stack by name, or any stack by id (deleted ones too, as DescribeStacks reads ids)."""
        if name_or_id.startswith("arn:"):
            row = await self.store.fetch_one(
                f"SELECT {tables.STACK_COLUMNS} FROM cfn_stacks WHERE id = ? AND account = ? AND region = ?",
                name_or_id, ctx.account_id, ctx.region,
            )  # fmt: skip
            found = None if row is None else tables.stack_from(row)
            return found if found is None or deleted or found.deleted is None else None
        row = await self.store.fetch_one(
            f"SELECT {tables.STACK_COLUMNS} FROM cfn_stacks WHERE account = ? AND region = ? AND name = ? "
            "AND deleted IS NULL",
            ctx.account_id, ctx.region, name_or_id,
        )  # fmt: skip
        return None if row is None else tables.stack_from(row)

    async def stack(self, ctx: RequestContext, name_or_id: str, *, deleted: bool = True) -> Stack:
        found = await self.find(ctx, name_or_id, deleted=deleted)
        if found is None:
            raise no_stack(name_or_id)
        return found

    async def stacks(self, ctx: RequestContext, statuses: Sequence[str] = ()) -> list[Stack]:
        """Every stack of the caller's, newest first (ListStacks: deleted ones too; DescribeStacks filters)."""
        rows = await self.store.fetch_all(
            f"SELECT {tables.STACK_COLUMNS} FROM cfn_stacks WHERE account = ? AND region = ? ORDER BY created DESC",
            ctx.account_id, ctx.region,
        )  # fmt: skip
        found = [tables.stack_from(row) for row in rows]
        return [s for s in found if not statuses or s.status in statuses]

    async def events(self, ctx: RequestContext, name_or_id: str) -> list[StackEvent]:
        stack = await self.stack(ctx, name_or_id)
        rows = await self.store.fetch_all(
            f"SELECT {tables.EVENT_COLUMNS} FROM cfn_events WHERE stack_id = ? ORDER BY seq DESC", stack.id
        )
        return [tables.event_from(row) for row in rows]

    async def resources(self, ctx: RequestContext, name_or_id: str) -> tuple[Stack, list[StackResource]]:
        stack = await self.stack(ctx, name_or_id)
        return stack, await tables.resources_of(self.store, stack.id)

    async def resource(self, ctx: RequestContext, name_or_id: str, logical_id: str) -> tuple[Stack, StackResource]:
        stack, rows = await self.resources(ctx, name_or_id)
        for row in rows:
            if row.logical_id == logical_id:
                return stack, row
        raise TemplateValidationError(f"Resource {logical_id} does not exist for stack {stack.name}")

    async def holding(self, ctx: RequestContext, physical_id: str) -> Stack:
        """The live stack one of whose resources has this physical id (DescribeStackResources' PhysicalResourceId)."""
        row = await self.store.fetch_one(
            "SELECT r.stack_id FROM cfn_resources r JOIN cfn_stacks s ON s.id = r.stack_id "
            "WHERE r.physical_id = ? AND s.account = ? AND s.region = ? AND s.deleted IS NULL",
            physical_id, ctx.account_id, ctx.region,
        )  # fmt: skip
        if row is None:
            raise TemplateValidationError(f"Stack for {physical_id} does not exist")
        return await self.stack(ctx, str(row["stack_id"]))

    async def exports(self, ctx: RequestContext) -> list[Export]:
        return await tables.exports_of(self.store, ctx.account_id, ctx.region)

    async def imports(self, ctx: RequestContext, export_name: str) -> list[str]:
        """The names of the stacks that import `export_name`."""
        if export_name not in {e.name for e in await self.exports(ctx)}:
            raise TemplateValidationError(f"Export '{export_name}' does not exist.")  # (a guess at the text)
        ids = await tables.importers(self.store, ctx.account_id, ctx.region, export_name)
        return [stack_id.split("/")[1] for stack_id in ids]

    # --- planning ---------------------------------------------------------------------------------------

    async def template(self, ctx: RequestContext, body: str | None) -> tuple[str, dict[str, Any]]:
        """The template given inline: its text and its parse (before transforms)."""
        if body is None:
            raise TemplateValidationError("Either Template URL or Template Body must be specified.")
        if len(body.encode()) > MAX_BODY_BYTES:
            raise TemplateValidationError(
                f"1 validation error detected: Value '{body[:20]}...' at 'templateBody' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_BODY_BYTES}"
            )
        return body, document.parse(body)

    async def plan(
        self,
        ctx: RequestContext,
        stack_name: str,
        stack_id: str,
        request: Request,
        previous: Stack | None,
        *,
        direct: bool = False,
    ) -> tuple[str, Plan, dict[str, str]]:
        """The body, its plan and the parameters it was given (previous values filled in): all checked.
        `direct`: CreateStack / UpdateStack, where a Transform needs CAPABILITY_AUTO_EXPAND (a change set does
        not: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html)."""
        if request.use_previous_template:
            if previous is None or previous.status == st.REVIEW_IN_PROGRESS:
                raise TemplateValidationError("UsePreviousTemplate is only allowed for an existing stack")  # guess
            body, parsed = previous.template_body, document.parse(previous.template_body)
        else:
            body, parsed = await self.template(ctx, request.template_body)
        if direct and plan.transforms_of(parsed) and "CAPABILITY_AUTO_EXPAND" not in request.capabilities:
            raise plan.InsufficientCapabilities("Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
        given: dict[str, str] = {}
        for key, value in request.parameters.items():
            if value is None:
                if previous is None or key not in previous.parameters:
                    raise TemplateValidationError(
                        f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true for a "
                        "parameter key not in the previous template"
                    )
                given[key] = previous.parameters[key]
            else:
                given[key] = value
        expanded = await plan.expand(parsed, ctx, self.transform, given)
        notifications = request.notification_arns
        if notifications is None:
            notifications = previous.notification_arns if previous is not None else ()
        pseudo = plan.pseudo_parameters(ctx, stack_name, stack_id, list(notifications))
        exports = {e.name: e.value for e in await self.exports(ctx) if e.stack_id != stack_id}
        prepared = plan.prepare(expanded, given, pseudo, self.providers, exports, request.capabilities)
        return body, prepared, given

    def new_stack(self, ctx: RequestContext, name: str, status: str, request: Request) -> Stack:
        _check_name(name)
        stack_id = format_arn("cloudformation", ctx.region, ctx.account_id, f"stack/{name}/{uuid.uuid4()}")
        return Stack(
            id=stack_id, name=name, account=ctx.account_id, region=ctx.region, status=status, status_reason=None,
            template_body="{}", processed={}, parameters={}, no_echo=frozenset(), outputs=(),
            tags=dict(request.tags or {}), capabilities=request.capabilities,
            notification_arns=request.notification_arns or (), description=None,
            disable_rollback=request.disable_rollback, created=self.clock.now(), updated=None, deleted=None,
        )  # fmt: skip

    def applied(self, body: str, prepared: Plan, given: Mapping[str, str], request: Request) -> dict[str, Any]:
        """What a stack holds of a template it was created or updated with."""
        changes: dict[str, Any] = {
            "template_body": body,
            "processed": prepared.template,
            "parameters": {name: _raw(p.value) for name, p in prepared.parameters.items()},
            "no_echo": frozenset(name for name, p in prepared.parameters.items() if p.no_echo),
            "description": prepared.template.get("Description"),
            "capabilities": request.capabilities,
        }
        if request.tags is not None:
            changes["tags"] = dict(request.tags)
        if request.notification_arns is not None:
            changes["notification_arns"] = request.notification_arns
        return changes

    # --- operations -------------------------------------------------------------------------------------

    async def create_stack(self, ctx: RequestContext, name: str, request: Request) -> str:
        if await self.find(ctx, name) is not None:
            raise AlreadyExists(f"Stack [{name}] already exists")
        stack = self.new_stack(ctx, name, st.CREATE_IN_PROGRESS, request)
        body, prepared, given = await self.plan(ctx, name, stack.id, request, None, direct=True)
        applied = self.applied(body, prepared, given, request)
        stack = await self.journal.stack(dataclasses.replace(stack, **applied), st.CREATE_IN_PROGRESS, "User Initiated")
        self.run(stack.id, self.deployer.create(stack, prepared))
        return stack.id

    async def update_stack(self, ctx: RequestContext, name_or_id: str, request: Request) -> str:
        stack = await self.stack(ctx, name_or_id, deleted=False)
        _check_updatable(stack)
        body, prepared, given = await self.plan(ctx, stack.name, stack.id, request, stack, direct=True)
        changes = self.applied(body, prepared, given, request)
        if (
            prepared.template == stack.processed
            and changes["parameters"] == dict(stack.parameters)
            and (request.tags is None or dict(request.tags) == dict(stack.tags))
        ):
            raise TemplateValidationError("No updates are to be performed.")
        await self.begin_update(stack, prepared, changes)
        return stack.id

    async def begin_update(self, stack: Stack, prepared: Plan, changes: Mapping[str, Any]) -> None:
        stack = await self.journal.stack(stack, st.UPDATE_IN_PROGRESS, "User Initiated")
        self.run(stack.id, self.deployer.update(stack, prepared, changes))

    async def delete_stack(self, ctx: RequestContext, name_or_id: str) -> None:
        """DeleteStack: a stack that does not exist (or is deleted already) is no error, as on AWS."""
        stack = await self.find(ctx, name_or_id)
        if stack is None or stack.status == st.DELETE_COMPLETE:
            return
        if stack.status == st.DELETE_IN_PROGRESS:
            return
        stack = await self.journal.stack(stack, st.DELETE_IN_PROGRESS, "User Initiated")
        self.run(stack.id, self._delete(stack.id, ctx))

    async def _delete(self, stack_id: str, ctx: RequestContext) -> None:
        stack = await self.stack(ctx, stack_id)  # as the earlier operations left it
        if stack.status != st.DELETE_IN_PROGRESS:
            stack = await self.journal.stack(stack, st.DELETE_IN_PROGRESS, "User Initiated")
        await self.deployer.delete(stack)

    async def template_of(self, ctx: RequestContext, name_or_id: str, stage: str | None) -> tuple[str, list[str]]:
        stack = await self.stack(ctx, name_or_id)
        stages = ["Original", "Processed"]
        if stage == "Processed":
            return json.dumps(stack.processed), stages
        return stack.template_body, stages


def _raw(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _check_name(name: str) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html"""
    if not (name and len(name) <= _STACK_NAME_LENGTH and name[0].isalpha()
            and all(c.isalnum() or c == "-" for c in name) and name.isascii()):  # fmt: skip
        raise TemplateValidationError(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )


def _check_updatable(stack: Stack) -> None:
    if stack.status not in st.UPDATABLE:
        raise TemplateValidationError(f"Stack:{stack.id} is in {stack.status} state and can not be updated.")
