"""Managed policies: the account's own (with up to five versions) and AWS's, read by ARN.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html and its sibling operations.
Documents are stored and checked, never evaluated (enforcement comes with a later issue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from overcast.arn import parse_arn, partition_of
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.iam import documents
from overcast.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    not_authorized,
    policy_not_found,
)
from overcast.iam.managed import AWS_ACCOUNT, AwsPolicy, aws_policies, aws_policy
from overcast.iam.names import check_name, check_path, check_path_prefix, version_number
from overcast.iam.records import POLICY_PREFIX, ManagedPolicy, PolicyVersion, iam_arn, new_id
from overcast.iam.roles import LISTS, TAG_RULES, tag_key
from overcast.kit import tags
from overcast.kit.pages import page_of
from overcast.store import Conflict, Queries, Row, Store

MOST_VERSIONS = 5  # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html
_COLUMNS = "name, id, path, description, default_version, next_version, created, updated"


@dataclass(frozen=True, slots=True)
class Named:
    """What a policy ARN names: one of AWS's managed policies, or the caller's own policy's row."""

    aws: AwsPolicy | None
    row: Row | None


async def attachment_count(q: Queries, ctx: RequestContext, arn: str) -> int:
    row = await q.fetch_one(
        "SELECT COUNT(*) AS n FROM iam_role_attachments WHERE account = ? AND policy_arn = ?", ctx.account_id, arn
    )
    return int(row["n"]) if row is not None else 0


async def named(q: Queries, ctx: RequestContext, arn: str, action: str, missing: NoSuchEntity | None = None) -> Named:
    """The policy `arn` names for the caller. Another account's ARN is refused as IAM refuses it (AccessDenied);
    one that names nothing is `missing` (IAM's "was not found" unless given)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
        raise InvalidInput(f"ARN {arn} is not valid.")
    if parsed.account == AWS_ACCOUNT:
        found = aws_policy(arn)
        if found is None:
            raise missing or policy_not_found(arn)
        return Named(found, None)
    if parsed.account != ctx.account_id:
        raise not_authorized(ctx.account_id, partition_of(ctx.region), action, arn)
    path, _, name = parsed.resource[len("policy") :].rpartition("/")
    row = await q.fetch_one(
        f"SELECT {_COLUMNS} FROM iam_policies WHERE account = ? AND name_key = ?", ctx.account_id, name.lower()
    )
    if row is None or row["path"] != path + "/" or row["name"] != name:
        raise missing or policy_not_found(arn)
    return Named(None, row)


def _own_record(ctx: RequestContext, row: Row, attachments: int) -> ManagedPolicy:
    return ManagedPolicy(
        name=row["name"],
        id=row["id"],
        arn=iam_arn(ctx.region, ctx.account_id, "policy", row["path"], row["name"]),
        path=row["path"],
        description=row["description"],
        default_version=f"v{row['default_version']}",
        attachments=attachments,
        created_ms=int(row["created"]),
        updated_ms=int(row["updated"]),
    )


def _aws_record(ctx: RequestContext, policy: AwsPolicy, attachments: int) -> ManagedPolicy:
    return ManagedPolicy(
        name=policy.name,
        id=policy.id,
        arn=policy.arn(partition_of(ctx.region)),
        path=policy.path,
        description=policy.description,
        default_version=policy.version,
        attachments=attachments,
        created_ms=policy.created_ms,
        updated_ms=policy.updated_ms,
        aws_managed=True,
    )


async def record(q: Queries, ctx: RequestContext, found: Named) -> ManagedPolicy:
    if found.aws is not None:
        arn = found.aws.arn(partition_of(ctx.region))
        return _aws_record(ctx, found.aws, await attachment_count(q, ctx, arn))
    assert found.row is not None
    own = _own_record(ctx, found.row, 0)
    return _own_record(ctx, found.row, await attachment_count(q, ctx, own.arn))


def _no_version(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


class Policies:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock.now() * 1000)

    async def create(
        self,
        ctx: RequestContext,
        name: str,
        document: str,
        path: str | None = None,
        description: str | None = None,
        policy_tags: Mapping[str, str] | None = None,
    ) -> ManagedPolicy:
        check_name(name, "policyName")
        path = check_path(path)
        documents.check_managed_policy(document)
        now = self._now()
        async with self.store.transaction() as tx:
            try:
                await tx.execute(
                    "INSERT INTO iam_policies (account, name_key, name, id, path, description, default_version, "
                    "next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?, 1, 2, ?, ?)",
                    ctx.account_id, name.lower(), name, new_id(POLICY_PREFIX), path, description, now, now,
                )  # fmt: skip
            except Conflict:
                raise EntityAlreadyExists(
                    f"A policy called {name} already exists. Duplicate names are not allowed."
                ) from None
            await tx.execute(
                "INSERT INTO iam_policy_versions (account, policy_key, version, document, created) "
                "VALUES (?, ?, 1, ?, ?)",
                ctx.account_id, name.lower(), document, now,
            )  # fmt: skip
            await tags.add(tx, tag_key(ctx.account_id, "policy/", path, name), dict(policy_tags or {}), TAG_RULES)
            row = await tx.fetch_one(
                f"SELECT {_COLUMNS} FROM iam_policies WHERE account = ? AND name_key = ?", ctx.account_id, name.lower()
            )
        assert row is not None
        return _own_record(ctx, row, 0)

    async def get(self, ctx: RequestContext, arn: str) -> ManagedPolicy:
        async with self.store.transaction() as tx:
            return await record(tx, ctx, await named(tx, ctx, arn, "GetPolicy"))

    async def boundary(self, ctx: RequestContext, arn: str) -> str:
        """The ARN of the managed policy a permissions boundary names (stored with its role, not enforced)."""
        missing = NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
        async with self.store.transaction() as tx:
            return (await record(tx, ctx, await named(tx, ctx, arn, "CreateRole", missing))).arn

    async def page(
        self,
        ctx: RequestContext,
        scope: str,
        only_attached: bool,
        prefix: str | None,
        max_items: int | None,
        marker: str | None,
    ) -> tuple[list[ManagedPolicy], str | None]:
        """ListPolicies: AWS's (Scope AWS), the account's (Local) or both (All), by name. A page is made in
        memory: an account holds at most 1,500 policies of its own (IAM's quota) and AWS's are a fixed set."""
        prefix = check_path_prefix(prefix)
        paging = LISTS.start(ctx, (str, str), max_items, marker, scope, only_attached, prefix)
        partition = partition_of(ctx.region)
        async with self.store.transaction() as tx:
            counts = {
                row["policy_arn"]: int(row["n"])
                for row in await tx.fetch_all(
                    "SELECT policy_arn, COUNT(*) AS n FROM iam_role_attachments WHERE account = ? GROUP BY policy_arn",
                    ctx.account_id,
                )
            }
            own = [] if scope == "AWS" else await tx.fetch_all(
                f"SELECT {_COLUMNS} FROM iam_policies WHERE account = ?", ctx.account_id
            )  # fmt: skip
        found = [] if scope == "Local" else [
            _aws_record(ctx, p, counts.get(p.arn(partition), 0)) for p in aws_policies().values()
        ]  # fmt: skip
        for row in own:
            policy = _own_record(ctx, row, 0)
            found.append(_own_record(ctx, row, counts.get(policy.arn, 0)))
        found = [p for p in found if p.path.startswith(prefix) and (p.attachments or not only_attached)]
        found.sort(key=lambda p: (p.name.lower(), p.arn))
        return page_of(found, paging, lambda p: [p.name.lower(), p.arn])

    async def delete(self, ctx: RequestContext, arn: str) -> None:
        async with self.store.transaction() as tx:
            found = await named(tx, ctx, arn, "DeletePolicy")
            if found.row is None:
                raise not_authorized(ctx.account_id, partition_of(ctx.region), "DeletePolicy", arn)
            if await attachment_count(tx, ctx, arn):
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            key = found.row["name"].lower()
            versions = await tx.fetch_one(
                "SELECT COUNT(*) AS n FROM iam_policy_versions WHERE account = ? AND policy_key = ?",
                ctx.account_id, key,
            )  # fmt: skip
            if versions is not None and int(versions["n"]) > 1:
                raise DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the "
                    "policy's versions. The default version is deleted with the policy."
                )
            await tx.execute(
                "DELETE FROM iam_policy_versions WHERE account = ? AND policy_key = ?", ctx.account_id, key
            )
            await tx.execute("DELETE FROM iam_policies WHERE account = ? AND name_key = ?", ctx.account_id, key)
            await tags.drop(tx, tag_key(ctx.account_id, "policy/", found.row["path"], found.row["name"]))

    # --- versions ---

    async def _own(self, tx: Queries, ctx: RequestContext, arn: str, action: str) -> Row:
        found = await named(tx, ctx, arn, action)
        if found.row is None:  # AWS's policies are AWS's to change
            raise not_authorized(ctx.account_id, partition_of(ctx.region), action, arn)
        return found.row

    async def create_version(self, ctx: RequestContext, arn: str, document: str, make_default: bool) -> PolicyVersion:
        documents.check_managed_policy(document)
        now = self._now()
        async with self.store.transaction() as tx:
            row = await self._own(tx, ctx, arn, "CreatePolicyVersion")
            key = row["name"].lower()
            count = await tx.fetch_one(
                "SELECT COUNT(*) AS n FROM iam_policy_versions WHERE account = ? AND policy_key = ?",
                ctx.account_id, key,
            )  # fmt: skip
            if count is not None and int(count["n"]) >= MOST_VERSIONS:
                raise LimitExceeded(
                    f"A managed policy can have up to {MOST_VERSIONS} versions. Before you create a new version, "
                    "you must delete an existing version."
                )
            version = int(row["next_version"])
            await tx.execute(
                "INSERT INTO iam_policy_versions (account, policy_key, version, document, created) "
                "VALUES (?, ?, ?, ?, ?)",
                ctx.account_id, key, version, document, now,
            )  # fmt: skip
            await tx.execute(
                "UPDATE iam_policies SET next_version = ?, default_version = ?, updated = ? "
                "WHERE account = ? AND name_key = ?",
                version + 1, version if make_default else row["default_version"], now, ctx.account_id, key,
            )  # fmt: skip
        return PolicyVersion(f"v{version}", document, make_default, now)

    async def version(self, ctx: RequestContext, arn: str, version_id: str) -> PolicyVersion:
        number = version_number(version_id)
        missing = _no_version(arn, version_id)
        async with self.store.transaction() as tx:
            found = await named(tx, ctx, arn, "GetPolicyVersion")
            if found.aws is not None:
                if version_id != found.aws.version:
                    raise missing  # only the default version of AWS's policies is kept
                return PolicyVersion(found.aws.version, found.aws.document, True, found.aws.updated_ms)
            assert found.row is not None
            row = await tx.fetch_one(
                "SELECT version, document, created FROM iam_policy_versions "
                "WHERE account = ? AND policy_key = ? AND version = ?",
                ctx.account_id, found.row["name"].lower(), number,
            )  # fmt: skip
            if row is None:
                raise missing
            return PolicyVersion(
                f"v{row['version']}", row["document"], number == found.row["default_version"], int(row["created"])
            )

    async def versions(
        self, ctx: RequestContext, arn: str, max_items: int | None, marker: str | None
    ) -> tuple[list[PolicyVersion], str | None]:
        paging = LISTS.start(ctx, (int,), max_items, marker, arn)
        async with self.store.transaction() as tx:
            found = await named(tx, ctx, arn, "ListPolicyVersions")
            if found.aws is not None:
                aws = found.aws
                return page_of([PolicyVersion(aws.version, aws.document, True, aws.updated_ms)], paging, lambda v: [1])
            assert found.row is not None
            rows = await tx.fetch_all(
                "SELECT version, document, created FROM iam_policy_versions WHERE account = ? AND policy_key = ? "
                "ORDER BY version DESC",
                ctx.account_id, found.row["name"].lower(),
            )  # fmt: skip
        default = found.row["default_version"]
        listed = [PolicyVersion(f"v{r['version']}", r["document"], r["version"] == default, r["created"]) for r in rows]
        # newest first, as IAM lists them; the position is the negated number so that page_of's order ascends
        return page_of(listed, paging, lambda v: [-version_number(v.version)])

    async def delete_version(self, ctx: RequestContext, arn: str, version_id: str) -> None:
        number = version_number(version_id)
        async with self.store.transaction() as tx:
            row = await self._own(tx, ctx, arn, "DeletePolicyVersion")
            if number == row["default_version"]:
                raise DeleteConflict("Cannot delete the default version of a policy.")
            deleted = await tx.execute(
                "DELETE FROM iam_policy_versions WHERE account = ? AND policy_key = ? AND version = ?",
                ctx.account_id, row["name"].lower(), number,
            )  # fmt: skip
        if not deleted:
            raise _no_version(arn, version_id)

    async def set_default(self, ctx: RequestContext, arn: str, version_id: str) -> None:
        number = version_number(version_id)
        async with self.store.transaction() as tx:
            row = await self._own(tx, ctx, arn, "SetDefaultPolicyVersion")
            key = row["name"].lower()
            exists = await tx.fetch_one(
                "SELECT 1 AS found FROM iam_policy_versions WHERE account = ? AND policy_key = ? AND version = ?",
                ctx.account_id, key, number,
            )  # fmt: skip
            if exists is None:
                raise _no_version(arn, version_id)
            await tx.execute(
                "UPDATE iam_policies SET default_version = ?, updated = ? WHERE account = ? AND name_key = ?",
                number, self._now(), ctx.account_id, key,
            )  # fmt: skip
