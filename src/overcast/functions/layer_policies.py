"""Layer version policies: AddLayerVersionPermission, RemoveLayerVersionPermission, GetLayerVersionPolicy.

A layer version's resource-based policy is how its owner shares it: a statement grants
`lambda:GetLayerVersion` to one account, to every account (`*`), or to an organization
(https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html). A grantee may
then read the version (GetLayerVersion, GetLayerVersionByArn) and list it in its functions' Layers;
`readable` is that check. Statements are written as Lambda writes them and read by functions/policy.py.
The policy has a RevisionId of its own, new at every change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.arn import format_arn, partition_of
from overcast.context import Caller, RequestContext
from overcast.functions.errors import ResourceConflict, ResourceNotFound, revision_mismatch
from overcast.functions.names import constraint_error, parse_layer_name
from overcast.functions.policy import allows
from overcast.store import Conflict, Queries, Store

GET_LAYER_VERSION = "lambda:GetLayerVersion"
_STATEMENT_ID = re.compile(r"^([a-zA-Z0-9-_]+)$")
_PRINCIPAL = re.compile(r"^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$")
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")
_NO_POLICY = "No policy is associated with the given resource."


@dataclass(frozen=True, slots=True)
class LayerGrant:
    """AddLayerVersionPermission's parameters."""

    statement_id: str
    action: str
    principal: str
    organization_id: str | None = None


def _check(grant: LayerGrant) -> None:
    # The API's constraints (https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html).
    if not _STATEMENT_ID.match(grant.statement_id) or len(grant.statement_id) > 100:
        raise constraint_error(
            grant.statement_id, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"
        )
    if grant.action != GET_LAYER_VERSION:
        raise constraint_error(
            grant.action, "action", "Member must satisfy regular expression pattern: lambda:GetLayerVersion"
        )
    if not _PRINCIPAL.match(grant.principal):
        raise constraint_error(
            grant.principal,
            "principal",
            "Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root",
        )
    if grant.organization_id is not None and not _ORGANIZATION.match(grant.organization_id):
        raise constraint_error(
            grant.organization_id,
            "organizationId",
            "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}",
        )


def layer_statement(grant: LayerGrant, resource: str, partition: str) -> dict[str, Any]:
    """The statement AddLayerVersionPermission adds, as Lambda writes it: an account id becomes its root ARN."""
    principal: Any = "*" if grant.principal == "*" else {"AWS": grant.principal}
    if grant.principal.isdigit():
        principal = {"AWS": format_arn("iam", "", grant.principal, "root", partition)}
    out: dict[str, Any] = {
        "Sid": grant.statement_id,
        "Effect": "Allow",
        "Principal": principal,
        "Action": grant.action,
        "Resource": resource,
    }
    if grant.organization_id:
        out["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": grant.organization_id}}
    return out


async def statements(q: Queries, account: str, region: str, name: str, version: int) -> list[dict[str, Any]]:
    rows = await q.fetch_all(
        "SELECT statement FROM lambda_layer_policies WHERE account = ? AND region = ? AND name = ? AND version = ? "
        "ORDER BY position",
        account,
        region,
        name,
        version,
    )
    return [json.loads(row["statement"]) for row in rows]


async def readable(q: Queries, caller: Caller, account: str, region: str, name: str, version: int) -> bool:
    """Whether another account's `caller` may read and use the layer version: its policy grants it."""
    return allows(await statements(q, account, region, name, version), caller, GET_LAYER_VERSION)


async def drop(tx: Queries, account: str, region: str, name: str, version: int) -> None:
    """Forget the policy of a deleted layer version."""
    for table in ("lambda_layer_policies", "lambda_layer_policy_revisions"):
        await tx.execute(
            f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ? AND version = ?",
            account,
            region,
            name,
            version,
        )


@dataclass(frozen=True, slots=True)
class LayerPolicies:
    """The three policy operations on the caller's own layer versions."""

    store: Store
    new_id: Callable[[], str]  # RevisionIds

    async def _layer(self, q: Queries, ctx: RequestContext, layer_name: str, version: int, action: str) -> str:
        """The layer's name; the version must exist (Lambda names its ARN when it does not)."""
        name = parse_layer_name(layer_name, ctx.account_id, ctx.region, action)
        row = await q.fetch_one(
            "SELECT 1 AS found FROM lambda_layer_versions WHERE account = ? AND region = ? AND name = ? "
            "AND version = ?",
            ctx.account_id,
            ctx.region,
            name,
            version,
        )
        if row is None:
            arn = format_arn("lambda", ctx.region, ctx.account_id, f"layer:{name}:{version}")
            raise ResourceNotFound(f"Layer version {arn} does not exist.")
        return name

    async def _revision(self, q: Queries, ctx: RequestContext, name: str, version: int) -> str | None:
        row = await q.fetch_one(
            "SELECT revision_id FROM lambda_layer_policy_revisions WHERE account = ? AND region = ? AND name = ? "
            "AND version = ?",
            ctx.account_id,
            ctx.region,
            name,
            version,
        )
        return str(row["revision_id"]) if row is not None else None

    async def _revise(self, tx: Queries, ctx: RequestContext, name: str, version: int) -> str:
        revision = self.new_id()
        keys = (ctx.account_id, ctx.region, name, version)
        await tx.execute(
            "DELETE FROM lambda_layer_policy_revisions WHERE account = ? AND region = ? AND name = ? AND version = ?",
            *keys,
        )
        await tx.execute(
            "INSERT INTO lambda_layer_policy_revisions (account, region, name, version, revision_id) "
            "VALUES (?, ?, ?, ?, ?)",
            *keys,
            revision,
        )
        return revision

    async def add(
        self, ctx: RequestContext, layer_name: str, version: int, grant: LayerGrant, revision_id: str | None
    ) -> tuple[dict[str, Any], str]:
        """AddLayerVersionPermission: the statement added and the policy's new RevisionId."""
        _check(grant)
        async with self.store.transaction() as tx:
            name = await self._layer(tx, ctx, layer_name, version, "AddLayerVersionPermission")
            if revision_id is not None and revision_id != await self._revision(tx, ctx, name, version):
                raise revision_mismatch()
            existing = await statements(tx, ctx.account_id, ctx.region, name, version)
            if any(s.get("Sid") == grant.statement_id for s in existing):
                raise _duplicate(grant.statement_id)
            resource = format_arn("lambda", ctx.region, ctx.account_id, f"layer:{name}:{version}")
            added = layer_statement(grant, resource, partition_of(ctx.region))
            try:
                await tx.execute(
                    "INSERT INTO lambda_layer_policies (account, region, name, version, sid, position, statement) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ctx.account_id,
                    ctx.region,
                    name,
                    version,
                    grant.statement_id,
                    await _next_position(tx, ctx, name, version),
                    json.dumps(added, separators=(",", ":")),
                )
            except Conflict as exc:  # a concurrent grant of the same statement id won
                raise _duplicate(grant.statement_id) from exc
            revision = await self._revise(tx, ctx, name, version)
        return added, revision

    async def remove(
        self, ctx: RequestContext, layer_name: str, version: int, statement_id: str, revision_id: str | None
    ) -> None:
        """RemoveLayerVersionPermission."""
        async with self.store.transaction() as tx:
            name = await self._layer(tx, ctx, layer_name, version, "RemoveLayerVersionPermission")
            current = await self._revision(tx, ctx, name, version)
            if current is None:
                raise ResourceNotFound(_NO_POLICY)
            if revision_id is not None and revision_id != current:
                raise revision_mismatch()
            removed = await tx.execute(
                "DELETE FROM lambda_layer_policies WHERE account = ? AND region = ? AND name = ? AND version = ? "
                "AND sid = ?",
                ctx.account_id,
                ctx.region,
                name,
                version,
                statement_id,
            )
            if not removed:
                raise ResourceNotFound(f"Statement {statement_id} is not found in resource policy.")
            if await statements(tx, ctx.account_id, ctx.region, name, version):
                await self._revise(tx, ctx, name, version)
            else:  # the last statement removed removes the policy
                await drop(tx, ctx.account_id, ctx.region, name, version)

    async def get(self, ctx: RequestContext, layer_name: str, version: int) -> tuple[dict[str, Any], str]:
        """GetLayerVersionPolicy: the policy document and its RevisionId."""
        async with self.store.transaction() as tx:
            name = await self._layer(tx, ctx, layer_name, version, "GetLayerVersionPolicy")
            found = await statements(tx, ctx.account_id, ctx.region, name, version)
            revision = await self._revision(tx, ctx, name, version)
        if not found or revision is None:
            raise ResourceNotFound(_NO_POLICY)
        return {"Version": "2012-10-17", "Id": "default", "Statement": found}, revision


async def _next_position(tx: Queries, ctx: RequestContext, name: str, version: int) -> int:
    row = await tx.fetch_one(
        "SELECT COALESCE(MAX(position), 0) AS n FROM lambda_layer_policies WHERE account = ? AND region = ? "
        "AND name = ? AND version = ?",
        ctx.account_id,
        ctx.region,
        name,
        version,
    )
    return int(row["n"] if row is not None else 0) + 1


def _duplicate(statement_id: str) -> ResourceConflict:
    return ResourceConflict(
        f"The statement id ({statement_id}) provided already exists. Please provide a new statement id, or remove "
        "the existing statement."
    )
