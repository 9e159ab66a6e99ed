"""Roles: their trust policies, inline policies and tags, in the caller's account (IAM is global: no region).

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html and its sibling operations.
A role is stored with its documents; nothing is enforced yet (enforcement comes with a later issue).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from overcast.arn import format_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.iam import documents
from overcast.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    role_not_found,
)
from overcast.iam.names import check_name, check_path, check_path_prefix
from overcast.iam.records import DEFAULT_MAX_SESSION, ROLE_PREFIX, Role, iam_arn, new_id
from overcast.kit import tags
from overcast.kit.pages import Keyset, Lists, PageLimits, fetch_page, page_of
from overcast.store import Conflict, Queries, Row, Store

# IAM's lists: MaxItems defaults to 100 (API_ListRoles.html); the model bounds it to 1-1000.
LISTS = Lists("iam", PageLimits(default=100, most=1000), lambda marker: InvalidInput("Invalid Marker."))
_BY_NAME = Keyset.of(("name_key", str))
_ROLE_COLUMNS = "name, id, path, trust_policy, description, max_session, created, boundary"
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html: 50 tags, keys 1-128, values 0-256.
TAG_RULES = tags.TagRules(
    too_many=lambda arn: LimitExceeded("The number of tags has reached the maximum limit."), invalid=InvalidInput
)


def tag_key(account: str, kind: str, path: str, name: str) -> str:
    """The ARN a resource's tags are kept under: in the `aws` partition whatever the caller's region, since an
    IAM resource is one resource in every region of its account."""
    return format_arn("iam", "", account, f"{kind}{path}{name}", "aws")


async def role_row(q: Queries, ctx: RequestContext, name: str) -> Row:
    row = await q.fetch_one(
        f"SELECT {_ROLE_COLUMNS} FROM iam_roles WHERE account = ? AND name_key = ?", ctx.account_id, name.lower()
    )
    if row is None:
        raise role_not_found(name)
    return row


def role_from_row(ctx: RequestContext, row: Row, role_tags: Mapping[str, str] | None = None) -> Role:
    return Role(
        name=row["name"],
        id=row["id"],
        arn=iam_arn(ctx.region, ctx.account_id, "role", row["path"], row["name"]),
        path=row["path"],
        trust_policy=row["trust_policy"],
        description=row["description"],
        max_session=int(row["max_session"]),
        created_ms=int(row["created"]),
        tags=dict(role_tags or {}),
        boundary=row["boundary"],
    )


def _check_max_session(seconds: int | None) -> int:
    if seconds is None:
        return DEFAULT_MAX_SESSION
    if not 3600 <= seconds <= 43200:  # the model's range, worded as IAM words it
        raise InvalidInput(
            f"The requested MaxSessionDuration of {seconds} seconds is invalid. "
            "MaxSessionDuration must be between 3600 and 43200 seconds."
        )
    return seconds


class Roles:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create(
        self,
        ctx: RequestContext,
        name: str,
        trust_policy: str,
        path: str | None = None,
        description: str | None = None,
        max_session: int | None = None,
        role_tags: Mapping[str, str] | None = None,
        boundary: str | None = None,
    ) -> Role:
        """`boundary` is a permissions boundary's policy ARN, already known to name a managed policy
        (Policies.boundary)."""
        check_name(name, "roleName")
        path = check_path(path)
        documents.check_trust_policy(trust_policy)
        seconds = _check_max_session(max_session)
        role_tags = dict(role_tags or {})
        now = int(self.clock.now() * 1000)
        async with self.store.transaction() as tx:
            try:
                await tx.execute(
                    "INSERT INTO iam_roles (account, name_key, name, id, path, trust_policy, description, "
                    "max_session, created, boundary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ctx.account_id, name.lower(), name, new_id(ROLE_PREFIX), path, trust_policy, description,
                    seconds, now, boundary,
                )  # fmt: skip
            except Conflict:
                raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
            await tags.add(tx, tag_key(ctx.account_id, "role/", path, name), role_tags, TAG_RULES)
            return role_from_row(ctx, await role_row(tx, ctx, name), role_tags)

    async def get(self, ctx: RequestContext, name: str) -> Role:
        async with self.store.transaction() as tx:
            row = await role_row(tx, ctx, name)
            found = await tags.read(tx, tag_key(ctx.account_id, "role/", row["path"], row["name"]))
            return role_from_row(ctx, row, found)

    async def page(
        self, ctx: RequestContext, prefix: str | None, max_items: int | None, marker: str | None
    ) -> tuple[list[Role], str | None]:
        prefix = check_path_prefix(prefix)
        paging = LISTS.start(ctx, _BY_NAME.kinds, max_items, marker, prefix)
        select = f"SELECT {_ROLE_COLUMNS}, name_key FROM iam_roles WHERE account = ? AND substr(path, 1, ?) = ?"
        rows, token = await fetch_page(self.store, select, (ctx.account_id, len(prefix), prefix), _BY_NAME, paging)
        return [role_from_row(ctx, row) for row in rows], token

    async def update(self, ctx: RequestContext, name: str, description: str | None, max_session: int | None) -> None:
        async with self.store.transaction() as tx:
            row = await role_row(tx, ctx, name)
            await tx.execute(
                "UPDATE iam_roles SET description = ?, max_session = ? WHERE account = ? AND name_key = ?",
                row["description"] if description is None else description,
                row["max_session"] if max_session is None else _check_max_session(max_session),
                ctx.account_id,
                name.lower(),
            )

    async def update_trust(self, ctx: RequestContext, name: str, trust_policy: str) -> None:
        documents.check_trust_policy(trust_policy)
        await self._set(ctx, name, "trust_policy", trust_policy)

    async def set_boundary(self, ctx: RequestContext, name: str, boundary: str | None) -> None:
        """PutRolePermissionsBoundary (`boundary` already known to name a managed policy, Policies.boundary)
        or, with None, DeleteRolePermissionsBoundary; stored, not enforced."""
        await self._set(ctx, name, "boundary", boundary)

    async def _set(self, ctx: RequestContext, name: str, column: str, value: str | None) -> None:
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, name)
            await tx.execute(
                f"UPDATE iam_roles SET {column} = ? WHERE account = ? AND name_key = ?",
                value, ctx.account_id, name.lower(),
            )  # fmt: skip

    async def delete(self, ctx: RequestContext, name: str) -> None:
        """Refused while the role has policies attached, inline policies or instance profiles, as IAM refuses
        (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html)."""
        key = name.lower()
        async with self.store.transaction() as tx:
            row = await role_row(tx, ctx, name)
            for table, column, message in (
                ("iam_role_attachments", "role_key", "Cannot delete entity, must detach all policies first."),
                ("iam_role_policies", "role_key", "Cannot delete entity, must delete policies first."),
                (
                    "iam_instance_profiles",
                    "role_key",
                    "Cannot delete entity, must remove roles from instance profile first.",
                ),
            ):
                found = await tx.fetch_one(
                    f"SELECT 1 AS found FROM {table} WHERE account = ? AND {column} = ? LIMIT 1", ctx.account_id, key
                )
                if found is not None:
                    raise DeleteConflict(message)
            await tx.execute("DELETE FROM iam_roles WHERE account = ? AND name_key = ?", ctx.account_id, key)
            await tags.drop(tx, tag_key(ctx.account_id, "role/", row["path"], row["name"]))

    # --- inline policies ---

    async def put_policy(self, ctx: RequestContext, role: str, name: str, document: str) -> None:
        check_name(name, "policyName")
        check_name(role, "roleName")
        documents.check_role_policy(document, role)
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, role)
            await tx.execute(
                "INSERT INTO iam_role_policies (account, role_key, name, document) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account, role_key, name) DO UPDATE SET document = excluded.document",
                ctx.account_id, role.lower(), name, document,
            )  # fmt: skip

    async def get_policy(self, ctx: RequestContext, role: str, name: str) -> tuple[str, str, str]:
        """(the role's name, the policy's name, its document)."""
        async with self.store.transaction() as tx:
            row = await role_row(tx, ctx, role)
            found = await tx.fetch_one(
                "SELECT name, document FROM iam_role_policies WHERE account = ? AND role_key = ? AND name = ?",
                ctx.account_id, role.lower(), name,
            )  # fmt: skip
        if found is None:
            raise NoSuchEntity(f"The role policy with name {name} cannot be found.")
        return row["name"], found["name"], found["document"]

    async def delete_policy(self, ctx: RequestContext, role: str, name: str) -> None:
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, role)
            deleted = await tx.execute(
                "DELETE FROM iam_role_policies WHERE account = ? AND role_key = ? AND name = ?",
                ctx.account_id, role.lower(), name,
            )  # fmt: skip
        if not deleted:
            raise NoSuchEntity(f"The role policy with name {name} cannot be found.")

    async def policy_names(
        self, ctx: RequestContext, role: str, max_items: int | None, marker: str | None
    ) -> tuple[list[str], str | None]:
        paging = LISTS.start(ctx, (str,), max_items, marker, role.lower())
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, role)
            select = "SELECT name FROM iam_role_policies WHERE account = ? AND role_key = ?"
            rows, token = await fetch_page(tx, select, (ctx.account_id, role.lower()), Keyset.of(("name", str)), paging)
        return [row["name"] for row in rows], token

    # --- tags ---

    async def _tag_key(self, q: Queries, ctx: RequestContext, name: str) -> str:
        row = await role_row(q, ctx, name)
        return tag_key(ctx.account_id, "role/", row["path"], row["name"])

    async def tag(self, ctx: RequestContext, name: str, new: Mapping[str, str]) -> None:
        async with self.store.transaction() as tx:
            await tags.add(tx, await self._tag_key(tx, ctx, name), new, TAG_RULES)

    async def untag(self, ctx: RequestContext, name: str, keys: Iterable[str]) -> None:
        async with self.store.transaction() as tx:
            await tags.remove(tx, await self._tag_key(tx, ctx, name), keys, TAG_RULES)

    async def tags(
        self, ctx: RequestContext, name: str, max_items: int | None, marker: str | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        paging = LISTS.start(ctx, (str,), max_items, marker, name.lower())
        async with self.store.transaction() as tx:
            found = await tags.read(tx, await self._tag_key(tx, ctx, name))
        return page_of(sorted(found.items()), paging, lambda item: [item[0]])
