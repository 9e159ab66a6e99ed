"""The engine: a stack's resources made, changed and removed through their providers, in graph waves, with rollback.

Create makes each wave's resources concurrently; any failure rolls the stack back (everything made is
deleted, ROLLBACK_COMPLETE). Update diffs each resource: new ones are made, changed ones updated in
place unless a create-only property changed (then a new one is made, dependents updated to it, and the
old one deleted at cleanup), removed ones deleted at cleanup; a failure restores the previous
resources and properties (UPDATE_ROLLBACK_COMPLETE). Delete removes resources in reverse waves.
DeletionPolicy / UpdateReplacePolicy Retain keep a resource (DELETE_SKIPPED). Statuses and events as
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-resource-configuration-complete.html.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.store import Conflict
from overcast.templates import graph, schemas
from overcast.templates import records as st
from overcast.templates import stack_tables as tables
from overcast.templates.intrinsics import NO_VALUE, resolve
from overcast.templates.journal import Journal
from overcast.templates.live import Live
from overcast.templates.plan import NETWORKING, Plan
from overcast.templates.providers.base import Made, Provider, Providers, ResourceRequest
from overcast.templates.providers.networking import Placeholders
from overcast.templates.records import Output, Stack, StackResource

log = logging.getLogger("overcast")
_PLACEHOLDERS = Placeholders()


class Failed(Exception):
    """A resource failed: its logical id and why (the provider's message)."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id, self.reason = logical_id, reason


def _made(row: StackResource) -> Made:
    return Made(row.physical_id or "", dict(row.attributes))


def _reason(error: BaseException) -> str:
    if isinstance(error, AwsError):
        return f"{error.message} (Service: {error.code})" if error.message else error.code
    log.exception("a resource provider failed", exc_info=error)
    return "Internal Failure"


def _ctx(stack: Stack) -> RequestContext:
    return RequestContext(account_id=stack.account, region=stack.region, service="cloudformation")


def _policy(resource: Mapping[str, Any], name: str) -> str:
    return str(resource.get(name) or "Delete")


def _retained(policy: str, made_now: bool) -> bool:
    """Retain keeps a resource, even one a rolled-back operation made; RetainExceptOnCreate keeps it unless the
    operation rolled back made it (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
    aws-attribute-deletionpolicy.html)."""
    return policy == "Retain" or (policy == "RetainExceptOnCreate" and not made_now)


class Deployer:
    def __init__(self, journal: Journal, providers: Providers) -> None:
        self.journal = journal
        self.providers = providers

    def _provider(self, kind: str) -> Provider:
        provider = self.providers.get(kind)
        if provider is None and kind in NETWORKING:
            return _PLACEHOLDERS
        if provider is None:
            raise Failed("", f"Unrecognized resource type {kind}")
        return provider

    def _request(self, stack: Stack, logical_id: str, kind: str, properties: Mapping[str, Any]) -> ResourceRequest:
        return ResourceRequest(_ctx(stack), stack.name, stack.id, logical_id, kind, properties)

    def _properties(self, plan: Plan, logical_id: str, made: Mapping[str, Made]) -> dict[str, Any]:
        scope = dataclasses.replace(plan.scope, resources=Live(made, plan.networking))
        value = resolve(plan.resource(logical_id).get("Properties") or {}, scope)
        return {} if value is NO_VALUE else dict(value)

    async def _waves(self, waves: Iterable[Iterable[str]], step: Callable[[str], Awaitable[None]]) -> None:
        """Each wave's steps concurrently; after a wave with a failure, the first failure is raised."""
        for wave in waves:
            results = await asyncio.gather(*(step(lid) for lid in wave), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    # --- create -----------------------------------------------------------------------------------------

    async def _make(self, stack: Stack, plan: Plan, logical_id: str, made: dict[str, Made]) -> None:
        kind = plan.type_of(logical_id)
        row = StackResource(stack.id, logical_id, kind, None, {}, st.CREATE_IN_PROGRESS, None, {}, 0.0)
        try:
            properties = self._properties(plan, logical_id, made)
            row = dataclasses.replace(row, properties=properties)
            row = await self.journal.resource(stack, row, st.CREATE_IN_PROGRESS, event_properties=properties)
            result = await self._provider(kind).create(self._request(stack, logical_id, kind, properties))
        except Failed:
            raise
        except Exception as error:
            raise await self._failed(stack, row, st.CREATE_FAILED, error) from None
        await self._done(stack, row, made, result, st.CREATE_COMPLETE)

    async def _failed(self, stack: Stack, row: StackResource, status: str, error: Exception) -> Failed:
        """The resource recorded in its failed status, with the provider's reason; the failure to raise."""
        reason = _reason(error)
        await self.journal.resource(stack, row, status, reason)
        return Failed(row.logical_id, reason)

    async def _done(self, stack: Stack, row: StackResource, made: dict[str, Made], result: Made, status: str) -> None:
        made[row.logical_id] = result
        row = dataclasses.replace(row, physical_id=result.ref, attributes=dict(result.attributes))
        await self.journal.resource(stack, row, status)

    async def create(self, stack: Stack, plan: Plan) -> Stack:
        """Make a stack already recorded CREATE_IN_PROGRESS."""
        if plan.networking:
            named = ", ".join(f"{lid} ({plan.type_of(lid)})" for lid in plan.networking)
            await self.journal.event(
                stack, stack.name, stack.id, "AWS::CloudFormation::Stack", st.CREATE_IN_PROGRESS,
                f"Networking-only resources recorded with placeholder ids, nothing made (they mean nothing on one "
                f"host): {named}",
            )  # fmt: skip
        made: dict[str, Made] = {}
        try:
            await self._waves(plan.waves, lambda lid: self._make(stack, plan, lid, made))
            outputs = self._outputs(plan, made)
            await self._publish(stack, outputs, plan.imports)
        except Failed as failure:
            return await self._roll_back_create(stack, plan, made, failure)
        return await self.journal.stack(stack, st.CREATE_COMPLETE, outputs=outputs)

    async def _roll_back_create(self, stack: Stack, plan: Plan, made: Mapping[str, Made], failure: Failed) -> Stack:
        if failure.logical_id:
            reason = f"The following resource(s) failed to create: [{failure.logical_id}]. "
        else:
            reason = failure.reason
        if stack.disable_rollback:
            return await self.journal.stack(stack, st.CREATE_FAILED, reason)
        stack = await self.journal.stack(stack, st.ROLLBACK_IN_PROGRESS, reason + "Rollback requested by user.")
        rows = {row.logical_id: row for row in await tables.resources_of(self.journal.store, stack.id)}
        try:
            await self._remove(stack, plan.template, list(rows.values()), "DeletionPolicy", made_now=True)
        except Failed as second:
            return await self.journal.stack(stack, st.ROLLBACK_FAILED, f"{second.logical_id}: {second.reason}")
        return await self.journal.stack(stack, st.ROLLBACK_COMPLETE)

    # --- delete -----------------------------------------------------------------------------------------

    async def _remove(
        self,
        stack: Stack,
        template: Mapping[str, Any],
        rows: list[StackResource],
        policy: str,
        forget: bool = False,
        made_now: bool = False,
    ) -> None:
        """Delete `rows` in the reverse of the template's waves (policy: DeletionPolicy or UpdateReplacePolicy;
        `made_now`: rolling back the operation that made them)."""
        resources = template.get("Resources") or {}
        by_id = {row.logical_id: row for row in rows}
        needs = graph.dependencies(template) if resources else {}
        present = {lid: needs.get(lid, set()) & set(by_id) for lid in by_id if lid in resources}
        order = [list(w) for w in reversed(graph.waves(present))] + [[lid for lid in by_id if lid not in present]]

        async def step(lid: str) -> None:
            row = by_id[lid]
            declared = resources.get(lid) or {}
            if row.physical_id is None or row.status == st.DELETE_COMPLETE:
                await self.journal.resource(stack, row, st.DELETE_COMPLETE)
            elif _retained(_policy(declared, policy), made_now):
                await self.journal.resource(stack, row, st.DELETE_SKIPPED)
            else:
                row = await self.journal.resource(stack, row, st.DELETE_IN_PROGRESS)
                try:
                    request = self._request(stack, lid, row.type, row.properties)
                    await self._provider(row.type).delete(request, _made(row))
                except Exception as error:
                    raise await self._failed(stack, row, st.DELETE_FAILED, error) from None
                await self.journal.resource(stack, row, st.DELETE_COMPLETE)
            if forget:
                await self.journal.forget(stack.id, lid)

        await self._waves(order, step)

    async def delete(self, stack: Stack) -> Stack:
        """Remove a stack already recorded DELETE_IN_PROGRESS."""
        store = self.journal.store
        for output in stack.outputs:
            users = [] if output.export_name is None else await tables.importers(store, stack.account, stack.region,
                                                                                   output.export_name)  # fmt: skip
            if users:
                reason = f"Export {output.export_name} cannot be deleted as it is in use by {', '.join(users)}"
                return await self.journal.stack(stack, st.DELETE_FAILED, reason)
        rows = [row for row in await tables.resources_of(store, stack.id) if row.status != st.DELETE_COMPLETE]
        try:
            await self._remove(stack, stack.processed, rows, "DeletionPolicy")
        except Failed as failure:
            reason = f"The following resource(s) failed to delete: [{failure.logical_id}]. "
            return await self.journal.stack(stack, st.DELETE_FAILED, reason)
        async with store.transaction() as tx:
            await tables.replace_exports(tx, stack.account, stack.region, stack.id, {})
            await tables.replace_imports(tx, stack.account, stack.region, stack.id, [])
        return await self.journal.stack(stack, st.DELETE_COMPLETE, deleted=self.journal.clock.now())

    # --- outputs and exports ----------------------------------------------------------------------------

    def _outputs(self, plan: Plan, made: Mapping[str, Made]) -> tuple[Output, ...]:
        scope = dataclasses.replace(plan.scope, resources=Live(made, plan.networking))
        out = []
        for key, declared in (plan.template.get("Outputs") or {}).items():
            condition = declared.get("Condition")
            if condition is not None and not plan.conditions.get(condition, False):
                continue
            try:
                value = _text(resolve(declared.get("Value"), scope))
                export = declared.get("Export")
                name = None if export is None else _text(resolve(export.get("Name"), scope))
            except AwsError as error:
                raise Failed("", f"{error.message} [Outputs/{key}]") from None
            description = declared.get("Description")
            out.append(Output(key, value, None if description is None else str(description), name))
        return tuple(out)

    async def _publish(self, stack: Stack, outputs: tuple[Output, ...], imports: tuple[str, ...]) -> None:
        """The stack's exports and imports become these (refused when another stack exports a name already, or
        imports one this stack would stop exporting or change)."""
        exports = {o.export_name: o.value for o in outputs if o.export_name is not None}
        store = self.journal.store
        for old in stack.outputs:
            if old.export_name is None or exports.get(old.export_name) == old.value:
                continue
            users = [u for u in await tables.importers(store, stack.account, stack.region, old.export_name)
                     if u != stack.id]  # fmt: skip
            if users:
                verb = "update" if old.export_name in exports else "delete"
                raise Failed("", f"Cannot {verb} export {old.export_name} as it is in use by {', '.join(users)}")
        try:
            async with store.transaction() as tx:
                await tables.replace_exports(tx, stack.account, stack.region, stack.id, exports)
                await tables.replace_imports(tx, stack.account, stack.region, stack.id, list(imports))
        except Conflict:
            taken = {e.name: e.stack_id for e in await tables.exports_of(store, stack.account, stack.region)}
            name = next(n for n in exports if taken.get(n, stack.id) != stack.id)
            other = taken[name].split("/")[1] if "/" in taken[name] else taken[name]
            raise Failed("", f"Export with name {name} is already exported by stack {other}") from None

    # --- update -----------------------------------------------------------------------------------------

    async def update(self, stack: Stack, plan: Plan, changes: Mapping[str, Any]) -> Stack:
        """Update a stack already recorded UPDATE_IN_PROGRESS; `changes`: what the stack becomes once the update
        completes (template, parameters, tags, ...)."""
        old_template = stack.processed
        before = {row.logical_id: row for row in await tables.resources_of(self.journal.store, stack.id)}
        made = {lid: _made(row) for lid, row in before.items()}
        replaced: dict[str, StackResource] = {}  # old rows whose resource a new one replaced
        added: list[str] = []
        modified: dict[str, Mapping[str, Any]] = {}  # logical id -> the properties it had

        async def step(lid: str) -> None:
            old = before.get(lid)
            if old is None or old.physical_id is None:
                added.append(lid)
                await self._make(stack, plan, lid, made)
                return
            await self._change(stack, plan, lid, old, made, replaced, modified)

        try:
            await self._waves(plan.waves, step)
            outputs = self._outputs(plan, made)
            await self._publish(stack, outputs, plan.imports)
        except Failed as failure:
            return await self._roll_back_update(stack, plan, before, replaced, added, modified, failure)
        stack = await self.journal.stack(stack, st.UPDATE_CLEANUP, None, outputs=outputs, **changes)
        after = {row.logical_id: row for row in await tables.resources_of(self.journal.store, stack.id)}
        removed = [row for lid, row in before.items() if lid not in plan.active and row.physical_id is not None]
        try:  # the old resources of replaced ones (their rows describe the new ones again after), then removed ones
            await self._remove(stack, old_template, list(replaced.values()), "UpdateReplacePolicy")
            await self._remove(stack, old_template, removed, "DeletionPolicy", forget=True)
        except Failed:
            pass  # AWS completes the update and leaves what it could not clean up
        for lid in replaced:
            await tables.put_resource(self.journal.store, after[lid])
        return await self.journal.stack(stack, st.UPDATE_COMPLETE, updated=self.journal.clock.now())

    async def _change(
        self,
        stack: Stack,
        plan: Plan,
        lid: str,
        old: StackResource,
        made: dict[str, Made],
        replaced: dict[str, StackResource],
        modified: dict[str, Mapping[str, Any]],
    ) -> None:
        kind = plan.type_of(lid)
        try:
            properties = self._properties(plan, lid, made)
        except AwsError as error:
            await self.journal.resource(stack, old, st.UPDATE_FAILED, error.message)
            raise Failed(lid, error.message) from None
        if properties == old.properties and kind == old.type:
            return
        changed = {k for k in set(properties) | set(old.properties) if properties.get(k) != old.properties.get(k)}
        replace = kind != old.type or bool(changed & schemas.create_only(kind))
        row = dataclasses.replace(old, type=kind, properties=properties)
        reason = (
            "Requested update requires the creation of a new physical resource; hence creating one."
            if replace
            else None
        )
        row = await self.journal.resource(stack, row, st.UPDATE_IN_PROGRESS, reason, event_properties=properties)
        request = self._request(stack, lid, kind, properties)
        try:
            if replace:
                result = await self._provider(kind).create(request)
                replaced[lid] = old
            else:
                result = await self._provider(kind).update(request, _made(old), old.properties)
                modified[lid] = old.properties
        except Exception as error:
            raise await self._failed(stack, row, st.UPDATE_FAILED, error) from None
        await self._done(stack, row, made, result, st.UPDATE_COMPLETE)

    async def _roll_back_update(
        self,
        stack: Stack,
        plan: Plan,
        before: Mapping[str, StackResource],
        replaced: Mapping[str, StackResource],
        added: list[str],
        modified: Mapping[str, Mapping[str, Any]],
        failure: Failed,
    ) -> Stack:
        reason = (
            f"The following resource(s) failed to update: [{failure.logical_id}]. "
            if failure.logical_id
            else failure.reason
        )
        stack = await self.journal.stack(stack, st.UPDATE_ROLLBACK_IN_PROGRESS, reason)
        store = self.journal.store
        now = {row.logical_id: row for row in await tables.resources_of(store, stack.id)}
        try:
            for lid in modified:  # back to the properties they had
                row = await self.journal.resource(stack, now[lid], st.UPDATE_IN_PROGRESS)
                request = self._request(stack, lid, before[lid].type, before[lid].properties)
                await self._provider(before[lid].type).update(request, _made(now[lid]), now[lid].properties)
                await self.journal.resource(
                    stack, dataclasses.replace(before[lid], updated=row.updated), st.UPDATE_COMPLETE
                )
            for old in replaced.values():  # the old resource is the stack's again
                await self.journal.resource(stack, old, st.UPDATE_COMPLETE)
        except Exception as error:
            return await self.journal.stack(stack, st.UPDATE_ROLLBACK_FAILED, _reason(error))
        stack = await self.journal.stack(stack, st.UPDATE_ROLLBACK_CLEANUP)
        made_new = [now[lid] for lid in added if lid in now]
        new_of_replaced = [
            now[lid] for lid in replaced if lid in now and now[lid].physical_id != replaced[lid].physical_id
        ]
        try:
            await self._remove(stack, plan.template, made_new, "DeletionPolicy", forget=True, made_now=True)
            await self._remove(stack, {"Resources": {}}, new_of_replaced, "DeletionPolicy")
        except Failed:
            pass
        for old in before.values():  # every row as it was before the update
            await tables.put_resource(store, old)
        return await self.journal.stack(stack, st.UPDATE_ROLLBACK_COMPLETE)


def _text(value: Any) -> str:
    """An output's value as CloudFormation shows it: lists joined with commas."""
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
