"""Function policies in the store: AddPermission, RemovePermission, GetPolicy; one per function, version or alias.

A policy belongs to the unqualified function (which is also $LATEST's) or to one published version
or alias; a qualified one governs only calls that name that qualifier
(https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html). Its RevisionId is the
RevisionId of what it is attached to, and each change of the policy gives that a new one, as Lambda
does. Statements are written as Lambda writes them; `policy.allows` reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.arn import format_arn, parse_arn, partition_of
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions import versions
from overcast.functions.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
    revision_mismatch,
)
from overcast.functions.names import constraint_error, function_arn, parse_function_ref
from overcast.functions.records import LATEST
from overcast.functions.version_cache import VersionCache
from overcast.store import Conflict, Queries, Store

POLICY_LIMIT = 20 * 1024  # bytes of a function's policy document (Lambda quotas: "Function resource-based policy")
_STATEMENT_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


class PolicyLengthExceeded(AwsError):
    code, status = "PolicyLengthExceededException", 400


@dataclass(frozen=True, slots=True)
class Grant:
    """AddPermission's parameters, by their meaning."""

    statement_id: str
    action: str
    principal: str
    source_arn: str | None = None
    source_account: str | None = None
    principal_org_id: str | None = None
    event_source_token: str | None = None
    function_url_auth_type: str | None = None
    invoked_via_function_url: bool | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    document: dict[str, Any]  # {"Version", "Id", "Statement": [...]}
    revision_id: str


def _principal(principal: str, partition: str) -> str | dict[str, str]:
    """A Principal as Lambda writes it: an account id becomes its root ARN."""
    if principal == "*":
        return "*"
    if _ACCOUNT.match(principal):
        return {"AWS": format_arn("iam", "", principal, "root", partition)}
    named = parse_arn(principal)
    if named is not None and named.service == "iam":
        return {"AWS": principal}
    if _SERVICE.match(principal):
        return {"Service": principal}
    raise InvalidParameterValue("The provided principal was invalid. Please check the principal and try again.")


def statement(grant: Grant, resource: str, partition: str) -> dict[str, Any]:
    """The statement AddPermission adds, as Lambda writes it
    (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)."""
    equals: dict[str, str] = {}
    if grant.source_account:
        equals["AWS:SourceAccount"] = grant.source_account
    if grant.principal_org_id:
        equals["aws:PrincipalOrgID"] = grant.principal_org_id
    if grant.event_source_token:
        equals["lambda:EventSourceToken"] = grant.event_source_token
    if grant.function_url_auth_type:
        equals["lambda:FunctionUrlAuthType"] = grant.function_url_auth_type
    condition: dict[str, Any] = {}
    if equals:
        condition["StringEquals"] = equals
    if grant.source_arn:
        condition["ArnLike"] = {"AWS:SourceArn": grant.source_arn}
    if grant.invoked_via_function_url:
        condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    out: dict[str, Any] = {
        "Sid": grant.statement_id,
        "Effect": "Allow",
        "Principal": _principal(grant.principal, partition),
        "Action": grant.action,
        "Resource": resource,
    }
    if condition:
        out["Condition"] = condition
    return out


def _key(qualifier: str | None) -> str:
    """Where a qualifier's policy is kept: "" for the unqualified function (and $LATEST), else the qualifier."""
    if qualifier is None or qualifier == LATEST:
        return ""
    return str(int(qualifier)) if qualifier.isdigit() else qualifier  # "01" is version 1


async def statements(
    q: Queries, account: str, region: str, name: str, qualifier: str | None
) -> tuple[dict[str, Any], ...]:
    """The statements of the policy of function `name` (unqualified when `qualifier` is None or $LATEST)."""
    rows = await q.fetch_all(
        "SELECT statement FROM lambda_policies WHERE account = ? AND region = ? AND function_name = ? "
        "AND qualifier = ? ORDER BY position",
        account,
        region,
        name,
        _key(qualifier),
    )
    return tuple(json.loads(row["statement"]) for row in rows)


async def drop(tx: Queries, ctx: RequestContext, name: str, qualifier: str | None = None) -> None:
    """Forget the policies of a deleted function (every qualifier's), or of a deleted version or alias."""
    sql = "DELETE FROM lambda_policies WHERE account = ? AND region = ? AND function_name = ?"
    params: list[object] = [ctx.account_id, ctx.region, name]
    if qualifier is not None:
        sql += " AND qualifier = ?"
        params.append(_key(qualifier))
    await tx.execute(sql, *params)


@dataclass(frozen=True, slots=True)
class Permissions:
    """AddPermission, RemovePermission, GetPolicy for functions of the caller's account and region."""

    store: Store
    cache: VersionCache  # the Registry's: dropped after every change, so the invoke path reads the new policy
    new_id: Callable[[], str]  # RevisionIds

    async def _target(self, q: Queries, ctx: RequestContext, name: str, qualifier: str | None) -> tuple[str, str]:
        """(the ARN a policy of `qualifier` is attached to, that resource's RevisionId); the function (and
        the version or alias) must exist."""
        if qualifier is None or qualifier == LATEST or qualifier.isdigit():
            version = await versions.resolve(q, ctx, name, qualifier)
            return function_arn(ctx.account_id, ctx.region, name, qualifier if qualifier != LATEST else None), (
                version.revision_id
            )
        await versions.resolve(q, ctx, name, None)
        arn = function_arn(ctx.account_id, ctx.region, name, qualifier)
        alias = await versions.alias_row(q, ctx, name, qualifier)
        if alias is None:
            raise ResourceNotFound(f"Cannot find alias arn: {arn}")
        return arn, str(alias["revision_id"])

    async def _revise(self, tx: Queries, ctx: RequestContext, name: str, qualifier: str | None) -> None:
        """A new RevisionId for what the policy is attached to: the function's ($LATEST's), a version's or an alias'."""
        keys = (ctx.account_id, ctx.region, name)
        if qualifier is None or qualifier.isdigit():
            await tx.execute(
                "UPDATE lambda_versions SET revision_id = ? WHERE account = ? AND region = ? AND name = ? "
                "AND number = ?",
                self.new_id(),
                *keys,
                versions.number(qualifier or LATEST),
            )
        else:
            await tx.execute(
                "UPDATE lambda_aliases SET revision_id = ? WHERE account = ? AND region = ? AND function_name = ? "
                "AND name = ?",
                self.new_id(),
                *keys,
                qualifier,
            )

    async def add(
        self,
        ctx: RequestContext,
        function_name: str,
        grant: Grant,
        qualifier: str | None = None,
        revision_id: str | None = None,
    ) -> dict[str, Any]:
        """AddPermission: the statement added."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        if ref.qualifier == LATEST:
            raise InvalidParameterValue("We currently do not support adding policies for $LATEST.")
        if not _STATEMENT_ID.match(grant.statement_id):
            raise constraint_error(
                grant.statement_id, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"
            )
        async with self.cache.changing(self.store) as tx:
            resource, current = await self._target(tx, ctx, ref.name, ref.qualifier)
            if revision_id is not None and revision_id != current:
                raise revision_mismatch()
            added = statement(grant, resource, partition_of(ctx.region))
            existing = await statements(tx, ctx.account_id, ctx.region, ref.name, ref.qualifier)
            if any(s.get("Sid") == grant.statement_id for s in existing):
                raise _duplicate(grant.statement_id)
            size = len(json.dumps(_document([*existing, added]), separators=(",", ":")))
            if size > POLICY_LIMIT:
                raise PolicyLengthExceeded(f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT}).")
            try:
                await tx.execute(
                    "INSERT INTO lambda_policies (account, region, function_name, qualifier, sid, position, statement) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ctx.account_id,
                    ctx.region,
                    ref.name,
                    _key(ref.qualifier),
                    grant.statement_id,
                    await _next_position(tx, ctx, ref.name, ref.qualifier),
                    json.dumps(added, separators=(",", ":")),
                )
            except Conflict as exc:  # a concurrent AddPermission of the same statement id won
                raise _duplicate(grant.statement_id) from exc
            await self._revise(tx, ctx, ref.name, ref.qualifier)
        return added

    async def remove(
        self,
        ctx: RequestContext,
        function_name: str,
        statement_id: str,
        qualifier: str | None = None,
        revision_id: str | None = None,
    ) -> None:
        """RemovePermission; the last statement removed removes the policy."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        async with self.cache.changing(self.store) as tx:
            try:
                _, current = await self._target(tx, ctx, ref.name, ref.qualifier)
            except ResourceNotFound as exc:
                if ref.qualifier is not None:
                    raise
                raise ResourceNotFound(
                    f"No policy found for: {function_arn(ctx.account_id, ctx.region, ref.name)}"
                ) from exc
            if not await statements(tx, ctx.account_id, ctx.region, ref.name, ref.qualifier):
                raise ResourceNotFound("No policy is associated with the given resource.")
            if revision_id is not None and revision_id != current:
                raise revision_mismatch()
            removed = await tx.execute(
                "DELETE FROM lambda_policies WHERE account = ? AND region = ? AND function_name = ? AND qualifier = ? "
                "AND sid = ?",
                ctx.account_id,
                ctx.region,
                ref.name,
                _key(ref.qualifier),
                statement_id,
            )
            if not removed:
                raise ResourceNotFound(f"Statement {statement_id} is not found in resource policy.")
            await self._revise(tx, ctx, ref.name, ref.qualifier)

    async def get(self, ctx: RequestContext, function_name: str, qualifier: str | None = None) -> Policy:
        """GetPolicy: the policy document and its RevisionId."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        async with self.store.transaction() as tx:
            _, revision = await self._target(tx, ctx, ref.name, ref.qualifier)
            found = await statements(tx, ctx.account_id, ctx.region, ref.name, ref.qualifier)
        if not found:
            raise ResourceNotFound("The resource you requested does not exist.")
        return Policy(_document(list(found)), revision)


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


async def _next_position(tx: Queries, ctx: RequestContext, name: str, qualifier: str | None) -> int:
    row = await tx.fetch_one(
        "SELECT COALESCE(MAX(position), 0) AS n FROM lambda_policies WHERE account = ? AND region = ? "
        "AND function_name = ? AND qualifier = ?",
        ctx.account_id,
        ctx.region,
        name,
        _key(qualifier),
    )
    return int(row["n"] if row is not None else 0) + 1


def _duplicate(statement_id: str) -> ResourceConflict:
    return ResourceConflict(
        f"The statement id ({statement_id}) provided already exists. Please provide a new statement id, or remove "
        "the existing statement."
    )
