"""Instance profiles and the one role each may hold, in the caller's account.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html and its siblings.
"""

from __future__ import annotations

from collections.abc import Mapping

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, profile_not_found, role_not_found
from overcast.iam.names import check_name, check_path, check_path_prefix
from overcast.iam.records import PROFILE_PREFIX, InstanceProfile, iam_arn, new_id
from overcast.iam.roles import LISTS, TAG_RULES, role_from_row, role_row, tag_key
from overcast.kit import tags
from overcast.kit.pages import Keyset, fetch_page
from overcast.store import Conflict, Queries, Row, Store

_COLUMNS = "name, id, path, created, role_key, name_key"
_BY_NAME = Keyset.of(("name_key", str))


class InstanceProfiles:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def _row(self, q: Queries, ctx: RequestContext, name: str) -> Row:
        row = await q.fetch_one(
            f"SELECT {_COLUMNS} FROM iam_instance_profiles WHERE account = ? AND name_key = ?",
            ctx.account_id, name.lower(),
        )  # fmt: skip
        if row is None:
            raise profile_not_found(name)
        return row

    async def _record(self, q: Queries, ctx: RequestContext, row: Row) -> InstanceProfile:
        roles = () if row["role_key"] is None else (role_from_row(ctx, await role_row(q, ctx, row["role_key"])),)
        return InstanceProfile(
            name=row["name"],
            id=row["id"],
            arn=iam_arn(ctx.region, ctx.account_id, "instance-profile", row["path"], row["name"]),
            path=row["path"],
            created_ms=int(row["created"]),
            roles=roles,
        )

    async def create(
        self, ctx: RequestContext, name: str, path: str | None, profile_tags: Mapping[str, str] | None = None
    ) -> InstanceProfile:
        check_name(name, "instanceProfileName")
        path = check_path(path)
        async with self.store.transaction() as tx:
            try:
                await tx.execute(
                    "INSERT INTO iam_instance_profiles (account, name_key, name, id, path, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    ctx.account_id, name.lower(), name, new_id(PROFILE_PREFIX), path, int(self.clock.now() * 1000),
                )  # fmt: skip
            except Conflict:
                raise EntityAlreadyExists(f"Instance Profile {name} already exists.") from None
            key = tag_key(ctx.account_id, "instance-profile/", path, name)
            await tags.add(tx, key, dict(profile_tags or {}), TAG_RULES)
            return await self._record(tx, ctx, await self._row(tx, ctx, name))

    async def get(self, ctx: RequestContext, name: str) -> InstanceProfile:
        async with self.store.transaction() as tx:
            return await self._record(tx, ctx, await self._row(tx, ctx, name))

    async def page(
        self,
        ctx: RequestContext,
        prefix: str | None,
        max_items: int | None,
        marker: str | None,
        role: str | None = None,
    ) -> tuple[list[InstanceProfile], str | None]:
        """ListInstanceProfiles (by path prefix), or ListInstanceProfilesForRole (`role`)."""
        prefix = check_path_prefix(prefix)
        paging = LISTS.start(ctx, _BY_NAME.kinds, max_items, marker, prefix, role and role.lower())
        async with self.store.transaction() as tx:
            select = f"SELECT {_COLUMNS} FROM iam_instance_profiles WHERE account = ? AND substr(path, 1, ?) = ?"
            params: list[object] = [ctx.account_id, len(prefix), prefix]
            if role is not None:
                await role_row(tx, ctx, role)
                select += " AND role_key = ?"
                params.append(role.lower())
            rows, token = await fetch_page(tx, select, params, _BY_NAME, paging)
            return [await self._record(tx, ctx, row) for row in rows], token

    async def add_role(self, ctx: RequestContext, name: str, role: str) -> None:
        async with self.store.transaction() as tx:
            row = await self._row(tx, ctx, name)
            await role_row(tx, ctx, role)
            if row["role_key"] is not None:
                # "Roles in an instance profile: 1" (reference_iam-quotas.html)
                raise LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
            await tx.execute(
                "UPDATE iam_instance_profiles SET role_key = ? WHERE account = ? AND name_key = ?",
                role.lower(), ctx.account_id, name.lower(),
            )  # fmt: skip

    async def remove_role(self, ctx: RequestContext, name: str, role: str) -> None:
        async with self.store.transaction() as tx:
            row = await self._row(tx, ctx, name)
            await role_row(tx, ctx, role)
            if row["role_key"] != role.lower():
                raise role_not_found(role)
            await tx.execute(
                "UPDATE iam_instance_profiles SET role_key = NULL WHERE account = ? AND name_key = ?",
                ctx.account_id, name.lower(),
            )  # fmt: skip

    async def delete(self, ctx: RequestContext, name: str) -> None:
        async with self.store.transaction() as tx:
            row = await self._row(tx, ctx, name)
            if row["role_key"] is not None:
                raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            await tx.execute(
                "DELETE FROM iam_instance_profiles WHERE account = ? AND name_key = ?", ctx.account_id, name.lower()
            )
            await tags.drop(tx, tag_key(ctx.account_id, "instance-profile/", row["path"], row["name"]))
