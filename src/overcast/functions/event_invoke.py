"""Event invoke configs (Put/Get/Update/Delete/ListFunctionEventInvokeConfigs), stored and returned as AWS does.

One config per function and qualifier ($LATEST, a published version or an alias): retries, the maximum age
of an event, and where a success or a failure is sent
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html); asynchronous invocation
(async_dispatch.py) runs with them. Kept in lambda_function_options (option "event-invoke"), which forgets them
with the function, the version or the alias they belong to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import ResourceNotFound
from overcast.functions import options, validation, versions
from overcast.functions.errors import InvalidParameterValue
from overcast.functions.names import constraint_error, function_arn, parse_function_ref
from overcast.functions.records import LATEST
from overcast.functions.version_cache import VersionCache
from overcast.kit.pages import Keyset, fetch_page
from overcast.store import Queries, Row, Store

_OPTION = "event-invoke"
_BY_QUALIFIER = Keyset.of(("qualifier", str))
# The lambda model's DestinationArn and Qualifier patterns (botocore's `lambda` service-2.json).
_DESTINATION_PATTERN = (
    "^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:"
    "(\\d{12})?:(.*)"
)
_DESTINATION = re.compile(_DESTINATION_PATTERN)
_QUALIFIER_PATTERN = "(|[a-zA-Z0-9$_-]+)"
_QUALIFIER = re.compile(f"^{_QUALIFIER_PATTERN}$")
# The services a destination can be: a standard queue, a topic, a function, an event bus, or (on failure only)
# a bucket (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
_SERVICES = {"sqs": "", "sns": "", "lambda": "function:", "events": "event-bus/", "s3": ""}


@dataclass(frozen=True, slots=True)
class EventInvokeSettings:
    """The members a Put sets (all of them) or an Update changes (those not None)."""

    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class EventInvokeConfig:
    function_arn: str  # qualified: the version's or the alias'
    qualifier: str
    last_modified: float
    settings: EventInvokeSettings


def _destination(config: Any, member: str) -> str | None:
    target = config.get(member) if isinstance(config, dict) else None
    return target.get("Destination") if isinstance(target, dict) else None


def settings_in(members: Mapping[str, Any]) -> EventInvokeSettings:
    """The settings a Put or Update request's members (an AWS::Lambda::EventInvokeConfig's properties) name."""
    destinations = members.get("DestinationConfig")
    retries, age = members.get("MaximumRetryAttempts"), members.get("MaximumEventAgeInSeconds")
    return EventInvokeSettings(
        None if retries is None else int(retries),
        None if age is None else int(age),
        _destination(destinations, "OnSuccess"),
        _destination(destinations, "OnFailure"),
    )


def _check(settings: EventInvokeSettings) -> None:
    retries, age = settings.maximum_retry_attempts, settings.maximum_event_age_in_seconds
    if retries is not None and not 0 <= retries <= 2:
        bound = "greater than or equal to 0" if retries < 0 else "less than or equal to 2"
        raise constraint_error(retries, "maximumRetryAttempts", f"Member must have value {bound}")
    if age is not None and not 60 <= age <= 21600:
        bound = "greater than or equal to 60" if age < 60 else "less than or equal to 21600"
        raise constraint_error(age, "maximumEventAgeInSeconds", f"Member must have value {bound}")
    for member, arn in (("onSuccess", settings.on_success), ("onFailure", settings.on_failure)):
        if arn is None:
            continue
        wire = f"destinationConfig.{member}.destination"
        if len(arn) > 350:
            raise constraint_error(arn, wire, "Member must have length less than or equal to 350")
        if not _DESTINATION.match(arn):
            raise constraint_error(arn, wire, f"Member must satisfy regular expression pattern: {_DESTINATION_PATTERN}")
        if arn and not _destination_kind_ok(arn, on_failure=member == "onFailure"):
            # The ARN's shape only: the queues, topics, buses and buckets it names come in later issues.
            raise InvalidParameterValue(f"The provided destination config {member} {arn} is invalid.")


def _destination_kind_ok(arn: str, *, on_failure: bool) -> bool:
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) == 6 else ""
    if service not in _SERVICES or not resource.startswith(_SERVICES[service]) or not resource:
        return False
    return service != "s3" or on_failure


def _qualifier(qualifier: str | None) -> str | None:
    if qualifier is not None and (not _QUALIFIER.match(qualifier) or not 1 <= len(qualifier) <= 128):
        raise constraint_error(
            qualifier, "qualifier", f"Member must satisfy regular expression pattern: {_QUALIFIER_PATTERN}"
        )
    return qualifier


def _text(settings: EventInvokeSettings, modified: float) -> str:
    return json.dumps(
        {
            "retries": settings.maximum_retry_attempts,
            "age": settings.maximum_event_age_in_seconds,
            "success": settings.on_success,
            "failure": settings.on_failure,
            "modified": modified,
        }
    )


def _config(ctx: RequestContext, name: str, qualifier: str, text: str) -> EventInvokeConfig:
    stored = json.loads(text)
    settings = EventInvokeSettings(stored["retries"], stored["age"], stored["success"], stored["failure"])
    arn = function_arn(ctx.account_id, ctx.region, name, qualifier)
    return EventInvokeConfig(arn, qualifier, float(stored["modified"]), settings)


class EventInvokeConfigs:
    """The caller's functions' event invoke configs."""

    def __init__(self, store: Store, clock: Clock, cache: VersionCache) -> None:
        self.store = store
        self.clock = clock
        self.cache = cache  # a change drops it: what `settings` kept there is read again

    async def _target(
        self, q: Queries, ctx: RequestContext, function_name: str, qualifier: str | None
    ) -> tuple[str, str]:
        """(the function's name, the stored qualifier: "$LATEST", a version number or an alias name);
        ResourceNotFoundException unless the function and the version or alias exist."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, _qualifier(qualifier))
        wanted = ref.qualifier or LATEST
        await versions.resolve(q, ctx, ref.name, wanted)
        return ref.name, str(int(wanted)) if wanted.isdigit() else wanted

    async def put(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, settings: EventInvokeSettings
    ) -> EventInvokeConfig:
        """PutFunctionEventInvokeConfig: the whole config, members not given removed."""
        _check(settings)
        async with self.cache.changing(self.store) as tx:
            name, stored_as = await self._target(tx, ctx, function_name, qualifier)
            text = _text(settings, self.clock.now())
            await options.write(tx, ctx, name, stored_as, _OPTION, text)
        return _config(ctx, name, stored_as, text)

    async def update(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, change: EventInvokeSettings
    ) -> EventInvokeConfig:
        """UpdateFunctionEventInvokeConfig: the members given replace the stored ones, the others stay."""
        _check(change)
        async with self.cache.changing(self.store) as tx:
            name, stored_as = await self._target(tx, ctx, function_name, qualifier)
            current = await options.read(tx, ctx, name, stored_as, _OPTION)
            if current is None:
                raise _no_config(ctx, name, stored_as)
            merged = _config(ctx, name, stored_as, current).settings
            given = {field: getattr(change, field) for field in change.__slots__ if getattr(change, field) is not None}
            text = _text(replace(merged, **given), self.clock.now())
            await options.write(tx, ctx, name, stored_as, _OPTION, text)
        return _config(ctx, name, stored_as, text)

    async def get(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> EventInvokeConfig:
        async with self.store.transaction() as tx:
            name, stored_as = await self._target(tx, ctx, function_name, qualifier)
            text = await options.read(tx, ctx, name, stored_as, _OPTION)
        if text is None:
            raise _no_config(ctx, name, stored_as)
        return _config(ctx, name, stored_as, text)

    async def settings(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> EventInvokeSettings:
        """What an asynchronous event runs with: the config's settings, none set where there is no config (or no
        function). Kept in the version cache, which every change to the registry or to a config drops: read from
        the store for every batch of events a dispatcher took, it cost the event loop more than taking them."""

        async def load() -> EventInvokeSettings:
            try:
                return (await self.get(ctx, function_name, qualifier)).settings
            except ResourceNotFound:
                return EventInvokeSettings()

        key = ("event-invoke", ctx.account_id, ctx.region, function_name, qualifier or "")
        return await self.cache.get(key, load)

    async def delete(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> None:
        async with self.cache.changing(self.store) as tx:
            name, stored_as = await self._target(tx, ctx, function_name, qualifier)
            removed = await tx.execute(
                "DELETE FROM lambda_function_options WHERE account = ? AND region = ? AND function_name = ? "
                "AND qualifier = ? AND option = ?",
                ctx.account_id, ctx.region, name, stored_as, _OPTION,
            )  # fmt: skip
        if not removed:
            raise _no_config(ctx, name, stored_as)

    async def list(
        self, ctx: RequestContext, function_name: str, marker: str | None, max_items: int | None
    ) -> tuple[list[EventInvokeConfig], str | None]:
        """ListFunctionEventInvokeConfigs: a function's configs, by qualifier, a page at a time."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        paging = validation.LISTS.start(
            ctx, _BY_QUALIFIER.kinds, max_items, marker, ref.name, operation="ListFunctionEventInvokeConfigs"
        )
        async with self.store.transaction() as tx:
            await versions.resolve(tx, ctx, ref.name, None)
        sql = (
            "SELECT qualifier, value FROM lambda_function_options WHERE account = ? AND region = ? "
            "AND function_name = ? AND option = ?"
        )
        params = [ctx.account_id, ctx.region, ref.name, _OPTION]
        rows, token = await fetch_page(self.store, sql, params, _BY_QUALIFIER, paging)
        return [_row_config(ctx, ref.name, row) for row in rows], token


def _row_config(ctx: RequestContext, name: str, row: Row) -> EventInvokeConfig:
    return _config(ctx, name, str(row["qualifier"]), str(row["value"]))


def _no_config(ctx: RequestContext, name: str, qualifier: str) -> ResourceNotFound:
    # AWS's words as LocalStack and other botocore-based emulators reproduce them (not in AWS's docs).
    arn = function_arn(ctx.account_id, ctx.region, name, qualifier)
    return ResourceNotFound(f"The function {arn} doesn't have an EventInvokeConfig")
