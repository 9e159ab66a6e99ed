"""Managed policies attached to roles: AttachRolePolicy, DetachRolePolicy, ListAttachedRolePolicies and
ListEntitiesForPolicy, in the caller's account."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.iam.errors import LimitExceeded, NoSuchEntity, policy_not_found
from overcast.iam.names import check_path_prefix
from overcast.iam.policies import named, record
from overcast.iam.records import Role
from overcast.iam.roles import LISTS, role_from_row, role_row
from overcast.kit.pages import page_of
from overcast.store import Store

# "Managed policies attached to an IAM role: 10" (IAM's default quota,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entities).
MOST_PER_ROLE = 10


class Attachments:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def attach(self, ctx: RequestContext, role: str, arn: str) -> None:
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, role)
            policy = await record(
                tx, ctx, await named(tx, ctx, arn, "AttachRolePolicy", NoSuchEntity(_unattachable(arn)))
            )
            count = await tx.fetch_one(
                "SELECT COUNT(*) AS n FROM iam_role_attachments WHERE account = ? AND role_key = ?",
                ctx.account_id, role.lower(),
            )  # fmt: skip
            if count is not None and int(count["n"]) >= MOST_PER_ROLE:
                raise LimitExceeded(f"Cannot exceed quota for PoliciesPerRole: {MOST_PER_ROLE}")
            await tx.execute(
                "INSERT INTO iam_role_attachments (account, role_key, policy_arn) VALUES (?, ?, ?) "
                "ON CONFLICT (account, role_key, policy_arn) DO NOTHING",
                ctx.account_id, role.lower(), policy.arn,
            )  # fmt: skip

    async def detach(self, ctx: RequestContext, role: str, arn: str) -> None:
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, role)
            policy = await record(tx, ctx, await named(tx, ctx, arn, "DetachRolePolicy"))
            deleted = await tx.execute(
                "DELETE FROM iam_role_attachments WHERE account = ? AND role_key = ? AND policy_arn = ?",
                ctx.account_id, role.lower(), policy.arn,
            )  # fmt: skip
        if not deleted:
            raise policy_not_found(arn)

    async def attached(
        self, ctx: RequestContext, role: str, prefix: str | None, max_items: int | None, marker: str | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        """The (name, ARN) of each managed policy attached to `role` whose path starts with `prefix`."""
        prefix = check_path_prefix(prefix)
        paging = LISTS.start(ctx, (str,), max_items, marker, role.lower(), prefix)
        found = []
        async with self.store.transaction() as tx:
            await role_row(tx, ctx, role)
            rows = await tx.fetch_all(
                "SELECT policy_arn FROM iam_role_attachments WHERE account = ? AND role_key = ? ORDER BY policy_arn",
                ctx.account_id, role.lower(),
            )  # fmt: skip
            for row in rows:
                policy = await record(tx, ctx, await named(tx, ctx, row["policy_arn"], "ListAttachedRolePolicies"))
                if policy.path.startswith(prefix):
                    found.append((policy.name, policy.arn))
        return page_of(found, paging, lambda item: [item[1]])

    async def roles_of(
        self, ctx: RequestContext, arn: str, prefix: str | None, max_items: int | None, marker: str | None
    ) -> tuple[list[Role], str | None]:
        """ListEntitiesForPolicy's roles (Overcast has no users or groups yet)."""
        prefix = check_path_prefix(prefix)
        paging = LISTS.start(ctx, (str,), max_items, marker, arn, prefix)
        async with self.store.transaction() as tx:
            policy = await record(tx, ctx, await named(tx, ctx, arn, "ListEntitiesForPolicy"))
            keys = await tx.fetch_all(
                "SELECT role_key FROM iam_role_attachments WHERE account = ? AND policy_arn = ? ORDER BY role_key",
                ctx.account_id, policy.arn,
            )  # fmt: skip
            roles = [role_from_row(ctx, await role_row(tx, ctx, row["role_key"])) for row in keys]
        roles = [r for r in roles if r.path.startswith(prefix)]
        return page_of(roles, paging, lambda r: [r.name.lower()])


def _unattachable(arn: str) -> str:
    return f"Policy {arn} does not exist or is not attachable."
