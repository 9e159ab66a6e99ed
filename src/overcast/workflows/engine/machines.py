"""Machines: the state machine registry — definitions, versions, aliases, activities — in the store.

Everything is keyed by (account, region) through the ARNs. Each mutation is one transaction.
Definitions are checked by the injected `validate(definition)` (the ASL validator), which raises
InvalidDefinition with AWS's message.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.kit.pages import Keyset, Lists, PageLimits, fetch_page
from overcast.kit.tags import Tagging, TagRules
from overcast.store import Conflict, Queries, Row, Store
from overcast.workflows.engine import encryption, logs, names
from overcast.workflows.engine.errors import (
    ActivityAlreadyExists,
    ActivityDoesNotExist,
    ConflictException,
    InvalidToken,
    ResourceNotFound,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    TooManyTags,
    ValidationException,
)
from overcast.workflows.engine.records import (
    EXPRESS,
    STANDARD,
    Activity,
    MachineAlias,
    MachineConfig,
    MachineVersion,
    StateMachine,
)
from overcast.workflows.engine.schema import STEPS

Validate = Callable[[str], Any]

# maxResults: "0 ... uses the default", 100; at most 1000
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html).
PAGES = PageLimits(default=100, most=1000, zero_is_default=True)
BY_NAME = Keyset.of(("name", str))
BY_VERSION = Keyset.of(("-version", int))
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_TagResource.html: 50 tags; TooManyTags
# names the resource.
TAG_RULES = TagRules(
    too_many=lambda arn: TooManyTags("Too many tags", fields={"resourceName": arn}),
    invalid=lambda message: ValidationException(message),
)


def invalid_token(token: str) -> InvalidToken:
    return InvalidToken(f"Invalid Token: '{token}'")


LISTS = Lists("states", PAGES, invalid_token)


def config_json(config: MachineConfig) -> str:
    return json.dumps(dataclasses.asdict(config))


def config_from(text: str) -> MachineConfig:
    return MachineConfig(**json.loads(text))


def no_machine(arn: str) -> StateMachineDoesNotExist:
    return StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")


def _machine(row: Row) -> StateMachine:
    return StateMachine(
        arn=row["arn"],
        name=row["name"],
        config=config_from(row["config"]),
        created=row["created"],
        updated=row["updated"],
        revision_id=row["revision_id"],
    )


def _version(row: Row) -> MachineVersion:
    return MachineVersion(
        arn=row["arn"],
        machine_arn=row["machine_arn"],
        version=int(row["version"]),
        config=config_from(row["config"]),
        revision_id=row["revision_id"],
        description=row["description"],
        created=row["created"],
    )


def _alias(row: Row) -> MachineAlias:
    routing = tuple((item[0], int(item[1])) for item in json.loads(row["routing"]))
    return MachineAlias(
        row["arn"], row["machine_arn"], row["name"], row["description"], routing, row["created"], row["updated"]
    )


def _activity(row: Row) -> Activity:
    # Activities created before encryption settings were kept have none: AWS's default.
    settings = json.loads(row["encryption"]) if row["encryption"] else dict(encryption.DEFAULT)
    return Activity(row["arn"], row["name"], row["created"], settings)


class Machines:
    """Every lookup takes the caller's context and stays in its account and region (`names.owns`)."""

    def __init__(self, store: Store, clock: Clock, validate: Validate) -> None:
        self.store = store
        self.clock = clock
        self.validate = validate
        self.tagging = Tagging(store, self._taggable, TAG_RULES)

    async def start(self) -> None:
        await tags.migrate(self.store)
        await self.store.migrate("stepfunctions", STEPS)

    # --- state machines ---------------------------------------------------------------------------

    async def create(
        self,
        ctx: RequestContext,
        name: str,
        config: MachineConfig,
        publish: bool = False,
        description: str = "",
        tagged: dict[str, str] | None = None,
    ) -> tuple[StateMachine, MachineVersion | None]:
        tagged = tagged or {}
        names.check_name(name)
        if config.type not in (STANDARD, EXPRESS):
            raise ValidationException(
                f"1 validation error detected: Value '{config.type}' at 'type' failed to satisfy constraint: "
                "Member must satisfy enum value set: [STANDARD, EXPRESS]"
            )
        names.check_role_arn(config.role_arn)
        self.validate(config.definition)
        logs.check(ctx, config.logging)
        config = dataclasses.replace(config, encryption=encryption.checked(config.encryption))
        arn = names.machine_arn(ctx, name)
        now = self.clock.now()
        existing = await self.find(ctx, arn)
        if existing is not None:
            # Idempotent when everything matches (AWS: "CreateStateMachine is an idempotent API").
            if existing.config == config and not publish:
                return existing, None
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
        machine = StateMachine(arn, name, config, now, now, str(uuid.uuid4()))
        version = None
        try:
            async with self.store.transaction() as tx:
                await tx.execute(
                    "INSERT INTO sfn_machines (arn, account, region, name, config, created, updated, revision_id,"
                    " next_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arn,
                    ctx.account_id,
                    ctx.region,
                    name,
                    config_json(config),
                    now,
                    now,
                    machine.revision_id,
                    1,
                )
                if publish:
                    version = await self._publish(tx, machine, description)
                await tags.add(tx, arn, tagged, TAG_RULES)
        except Conflict:
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'") from None
        return machine, version

    async def find(self, ctx: RequestContext, arn: str) -> StateMachine | None:
        if not names.owns(ctx, arn, "stateMachine"):
            return None
        row = await self.store.fetch_one("SELECT * FROM sfn_machines WHERE arn = ?", arn)
        return None if row is None else _machine(row)

    async def get(self, ctx: RequestContext, arn: str) -> StateMachine:
        machine = await self.find(ctx, arn)
        if machine is None:
            raise no_machine(arn)
        return machine

    async def listing(
        self, ctx: RequestContext, max_results: int | None, token: str | None
    ) -> tuple[list[StateMachine], str | None]:
        rows, next_token = await fetch_page(
            self.store,
            "SELECT * FROM sfn_machines WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            BY_NAME,
            LISTS.start(ctx, BY_NAME.kinds, max_results, token),
        )
        return [_machine(r) for r in rows], next_token

    async def update(
        self, ctx: RequestContext, arn: str, changes: dict[str, Any], publish: bool = False, description: str = ""
    ) -> tuple[StateMachine, MachineVersion | None]:
        machine = await self.get(ctx, arn)
        if "role_arn" in changes:
            names.check_role_arn(changes["role_arn"])
        if "definition" in changes:
            self.validate(changes["definition"])
        if "logging" in changes:
            logs.check(ctx, changes["logging"])
        if "encryption" in changes:
            changes = {**changes, "encryption": encryption.checked(changes["encryption"])}
        config = dataclasses.replace(machine.config, **changes)
        updated = machine
        if config != machine.config:
            updated = dataclasses.replace(
                machine, config=config, updated=self.clock.now(), revision_id=str(uuid.uuid4())
            )
        version = None
        async with self.store.transaction() as tx:
            if updated is not machine:
                await tx.execute(
                    "UPDATE sfn_machines SET config = ?, updated = ?, revision_id = ? WHERE arn = ?",
                    config_json(config),
                    updated.updated,
                    updated.revision_id,
                    arn,
                )
            if publish:
                version = await self._publish(tx, updated, description)
        return updated, version

    async def delete(self, ctx: RequestContext, arn: str) -> None:
        # Deleting an absent machine succeeds (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DeleteStateMachine.html).
        if not names.owns(ctx, arn, "stateMachine"):
            return
        async with self.store.transaction() as tx:
            for table in ("sfn_versions", "sfn_aliases"):
                for row in await tx.fetch_all(f"SELECT arn FROM {table} WHERE machine_arn = ?", arn):
                    await tags.drop(tx, row["arn"])
                await tx.execute(f"DELETE FROM {table} WHERE machine_arn = ?", arn)
            await tags.drop(tx, arn)
            await tx.execute("DELETE FROM sfn_machines WHERE arn = ?", arn)

    # --- versions -----------------------------------------------------------------------------------

    async def publish(self, ctx: RequestContext, arn: str, revision_id: str | None, description: str) -> MachineVersion:
        machine = await self.get(ctx, arn)
        if revision_id is not None and revision_id != machine.revision_id:
            raise ConflictException(
                f"Failed to publish the State Machine version for revision {revision_id}. "
                f"The current State Machine revision is {machine.revision_id}."
            )
        async with self.store.transaction() as tx:
            return await self._publish(tx, machine, description)

    async def _publish(self, tx: Queries, machine: StateMachine, description: str) -> MachineVersion:
        latest = await tx.fetch_one(
            "SELECT * FROM sfn_versions WHERE machine_arn = ? ORDER BY version DESC LIMIT 1", machine.arn
        )
        if latest is not None and latest["revision_id"] == machine.revision_id:
            return _version(latest)  # publishing an unchanged revision returns its version
        row = await tx.fetch_one(
            "UPDATE sfn_machines SET next_version = next_version + 1 WHERE arn = ? RETURNING next_version", machine.arn
        )
        if row is None:
            raise no_machine(machine.arn)
        number = int(row["next_version"]) - 1
        version = MachineVersion(
            f"{machine.arn}:{number}",
            machine.arn,
            number,
            machine.config,
            machine.revision_id,
            description,
            self.clock.now(),
        )
        await tx.execute(
            "INSERT INTO sfn_versions (arn, machine_arn, version, config, revision_id, description, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            version.arn,
            machine.arn,
            number,
            config_json(machine.config),
            machine.revision_id,
            description,
            version.created,
        )
        return version

    async def version(self, ctx: RequestContext, arn: str) -> MachineVersion:
        found = names.owns(ctx, arn, "stateMachine")
        row = await self.store.fetch_one("SELECT * FROM sfn_versions WHERE arn = ?", arn) if found else None
        if row is None:
            raise not_found(arn)
        return _version(row)

    async def versions(
        self, ctx: RequestContext, machine_arn: str, max_results: int | None, token: str | None
    ) -> tuple[list[MachineVersion], str | None]:
        await self.get(ctx, machine_arn)
        rows, next_token = await fetch_page(
            self.store,
            "SELECT * FROM sfn_versions WHERE machine_arn = ?",
            [machine_arn],
            BY_VERSION,
            LISTS.start(ctx, BY_VERSION.kinds, max_results, token, machine_arn),
        )
        return [_version(r) for r in rows], next_token

    async def delete_version(self, ctx: RequestContext, arn: str) -> None:
        if not names.owns(ctx, arn, "stateMachine"):
            return
        aliases = await self.store.fetch_all(
            "SELECT * FROM sfn_aliases WHERE machine_arn = ?", names.parse_machine_ref(arn).machine_arn
        )
        for alias in map(_alias, aliases):
            if any(target == arn for target, _ in alias.routing):
                raise ConflictException(
                    f"Version to be deleted must not be referenced by an alias. Current list of aliases referencing "
                    f"this version: [{alias.name}]"
                )
        async with self.store.transaction() as tx:
            await tags.drop(tx, arn)
            await tx.execute("DELETE FROM sfn_versions WHERE arn = ?", arn)

    # --- aliases ------------------------------------------------------------------------------------

    async def create_alias(
        self, ctx: RequestContext, name: str, description: str, routing: list[tuple[str, int]]
    ) -> MachineAlias:
        names.check_name(name)
        machine_arn = await self._check_routing(ctx, routing)
        arn = f"{machine_arn}:{name}"
        now = self.clock.now()
        existing = await self.store.fetch_one("SELECT * FROM sfn_aliases WHERE arn = ?", arn)
        if existing is not None:
            alias = _alias(existing)
            if alias.description == description and list(alias.routing) == routing:
                return alias
            raise ConflictException(f"Alias {name} already exists with different configuration.")
        alias = MachineAlias(arn, machine_arn, name, description, tuple(routing), now, now)
        await self.store.execute(
            "INSERT INTO sfn_aliases (arn, machine_arn, name, description, routing, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            arn,
            machine_arn,
            name,
            description,
            json.dumps(routing),
            now,
            now,
        )
        return alias

    async def _check_routing(self, ctx: RequestContext, routing: list[tuple[str, int]]) -> str:
        if not 1 <= len(routing) <= 2 or sum(w for _, w in routing) != 100:
            raise ValidationException(
                "Routing configuration must contain one or two versions whose weights sum to 100."
            )
        machines = set()
        for target, _ in routing:
            version = await self.version(ctx, target)
            machines.add(version.machine_arn)
        if len(machines) != 1 or len({t for t, _ in routing}) != len(routing):
            raise ValidationException("Routing configuration must reference distinct versions of one state machine.")
        return machines.pop()

    async def alias(self, ctx: RequestContext, arn: str) -> MachineAlias:
        found = names.owns(ctx, arn, "stateMachine")
        row = await self.store.fetch_one("SELECT * FROM sfn_aliases WHERE arn = ?", arn) if found else None
        if row is None:
            raise not_found(arn)
        return _alias(row)

    async def update_alias(
        self, ctx: RequestContext, arn: str, description: str | None, routing: list[tuple[str, int]] | None
    ) -> MachineAlias:
        alias = await self.alias(ctx, arn)
        if routing is not None:
            await self._check_routing(ctx, routing)
        alias = dataclasses.replace(
            alias,
            description=alias.description if description is None else description,
            routing=alias.routing if routing is None else tuple(routing),
            updated=self.clock.now(),
        )
        await self.store.execute(
            "UPDATE sfn_aliases SET description = ?, routing = ?, updated = ? WHERE arn = ?",
            alias.description,
            json.dumps([list(r) for r in alias.routing]),
            alias.updated,
            arn,
        )
        return alias

    async def delete_alias(self, ctx: RequestContext, arn: str) -> None:
        if not names.owns(ctx, arn, "stateMachine"):
            return
        async with self.store.transaction() as tx:
            await tags.drop(tx, arn)
            await tx.execute("DELETE FROM sfn_aliases WHERE arn = ?", arn)

    async def aliases(
        self, ctx: RequestContext, machine_arn: str, max_results: int | None, token: str | None
    ) -> tuple[list[MachineAlias], str | None]:
        await self.get(ctx, machine_arn)
        rows, next_token = await fetch_page(
            self.store,
            "SELECT * FROM sfn_aliases WHERE machine_arn = ?",
            [machine_arn],
            BY_NAME,
            LISTS.start(ctx, BY_NAME.kinds, max_results, token, machine_arn),
        )
        return [_alias(r) for r in rows], next_token

    # --- activities ---------------------------------------------------------------------------------

    async def create_activity(
        self,
        ctx: RequestContext,
        name: str,
        tagged: dict[str, str] | None = None,
        encrypted: dict[str, Any] | None = None,
    ) -> Activity:
        names.check_name(name)
        tagged = tagged or {}
        settings = encryption.checked(encrypted)
        arn = names.activity_arn(ctx, name)
        row = await self.store.fetch_one("SELECT * FROM sfn_activities WHERE arn = ?", arn)
        if row is not None:
            return _activity(row)  # idempotent
        activity = Activity(arn, name, self.clock.now(), settings)
        try:
            async with self.store.transaction() as tx:
                await tx.execute(
                    "INSERT INTO sfn_activities (arn, account, region, name, created, encryption)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    arn,
                    ctx.account_id,
                    ctx.region,
                    name,
                    activity.created,
                    json.dumps(settings),
                )
                await tags.add(tx, arn, tagged, TAG_RULES)
        except Conflict:
            raise ActivityAlreadyExists(f"Activity Already Exists: '{arn}'") from None
        return activity

    async def activity(self, ctx: RequestContext, arn: str) -> Activity:
        found = names.owns(ctx, arn, "activity")
        row = await self.store.fetch_one("SELECT * FROM sfn_activities WHERE arn = ?", arn) if found else None
        if row is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return _activity(row)

    async def delete_activity(self, ctx: RequestContext, arn: str) -> None:
        if not names.owns(ctx, arn, "activity"):
            return
        async with self.store.transaction() as tx:
            await tags.drop(tx, arn)
            await tx.execute("DELETE FROM sfn_activities WHERE arn = ?", arn)

    async def activities(
        self, ctx: RequestContext, max_results: int | None, token: str | None
    ) -> tuple[list[Activity], str | None]:
        rows, next_token = await fetch_page(
            self.store,
            "SELECT * FROM sfn_activities WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            BY_NAME,
            LISTS.start(ctx, BY_NAME.kinds, max_results, token),
        )
        return [_activity(r) for r in rows], next_token

    # --- tags (the kit's table; these are what can carry them) --------------------------------------------

    async def _taggable(self, tx: Queries, ctx: RequestContext, arn: str) -> str:
        kind = names.resource_kind(arn)
        if kind == "stateMachine":
            ref = names.parse_machine_ref(arn)
            table = "sfn_machines" if ref.version is None and ref.alias is None else "sfn_versions"
            table = "sfn_aliases" if ref.alias is not None else table
        elif kind == "activity":
            table = "sfn_activities"
        else:
            raise not_found(arn)
        if not names.owns(ctx, arn) or await tx.fetch_one(f"SELECT arn FROM {table} WHERE arn = ?", arn) is None:
            raise not_found(arn)
        return arn


def not_found(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Resource not found: '{arn}'", fields={"resourceName": arn})
