"""Function versions in the store: reading one by qualifier, writing $LATEST, publishing numbered versions."""

from __future__ import annotations

import dataclasses

from overcast.context import RequestContext
from overcast.functions.errors import ResourceConflict, ResourceNotFound
from overcast.functions.names import function_arn
from overcast.functions.records import (
    LATEST,
    CodeRef,
    FunctionConfig,
    FunctionVersion,
    config_from_json,
    config_to_json,
)
from overcast.functions.usage import check_storage
from overcast.store import Queries, Row

COLUMNS = (
    "account, region, name, version, number, config, code_sha, code_size, unzipped_size, local_dir, "
    "revision_id, last_modified"
)


def version_from_row(row: Row) -> FunctionVersion:
    return FunctionVersion(
        account=row["account"],
        region=row["region"],
        name=row["name"],
        version=row["version"],
        config=config_from_json(row["config"]),
        code=CodeRef(row["code_sha"], int(row["code_size"]), int(row["unzipped_size"]), row["local_dir"]),
        revision_id=row["revision_id"],
        last_modified=float(row["last_modified"]),
    )


def not_found(ctx: RequestContext, name: str, qualifier: str | None = None) -> ResourceNotFound:
    return ResourceNotFound(f"Function not found: {function_arn(ctx.account_id, ctx.region, name, qualifier)}")


def number(version: str) -> int:
    return 0 if version == LATEST else int(version)


def same_settings(a: FunctionConfig, b: FunctionConfig) -> bool:
    """Same configuration, a version's own Description aside."""
    return dataclasses.replace(a, description="") == dataclasses.replace(b, description="")


async def alias_row(q: Queries, ctx: RequestContext, name: str, alias: str) -> Row | None:
    """Alias `alias` of the caller's function `name`: its function_version and revision_id, or None."""
    return await q.fetch_one(
        "SELECT function_version, revision_id FROM lambda_aliases WHERE account = ? AND region = ? "
        "AND function_name = ? AND name = ?",
        ctx.account_id,
        ctx.region,
        name,
        alias,
    )


async def resolve(q: Queries, ctx: RequestContext, name: str, qualifier: str | None) -> FunctionVersion:
    """The version of the caller's function `name` that a qualifier (none, $LATEST, a number, an alias) designates."""
    if qualifier is None or qualifier == LATEST or qualifier.isdigit():
        wanted = number(qualifier or LATEST)
    else:  # an alias: the version it points at
        alias = await alias_row(q, ctx, name, qualifier)
        if alias is None:
            raise not_found(ctx, name, qualifier)
        wanted = number(alias["function_version"])
    row = await q.fetch_one(
        f"SELECT {COLUMNS} FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND number = ?",
        ctx.account_id,
        ctx.region,
        name,
        wanted,
    )
    if row is None:
        raise not_found(ctx, name, qualifier if qualifier != LATEST else None)
    return version_from_row(row)


async def insert(tx: Queries, version: FunctionVersion, number: int) -> None:
    await tx.execute(
        f"INSERT INTO lambda_versions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        version.account,
        version.region,
        version.name,
        version.version,
        number,
        config_to_json(version.config),
        version.code.sha256_hex,
        version.code.size,
        version.code.unzipped_size,
        version.code.local_dir,
        version.revision_id,
        version.last_modified,
    )


async def replace_latest(tx: Queries, old: FunctionVersion, new: FunctionVersion) -> None:
    changed = await tx.execute(
        "UPDATE lambda_versions SET config = ?, code_sha = ?, code_size = ?, unzipped_size = ?, local_dir = ?, "
        "revision_id = ?, last_modified = ? "
        "WHERE account = ? AND region = ? AND name = ? AND number = 0 AND revision_id = ?",
        config_to_json(new.config),
        new.code.sha256_hex,
        new.code.size,
        new.code.unzipped_size,
        new.code.local_dir,
        new.revision_id,
        new.last_modified,
        old.account,
        old.region,
        old.name,
        old.revision_id,
    )
    if changed != 1:
        # Another update committed between our read and our write (possible on PostgreSQL).
        raise ResourceConflict(
            "The operation cannot be performed at this time. An update is in progress for resource: " + old.function_arn
        )


async def publish(
    tx: Queries, latest: FunctionVersion, description: str | None, revision_id: str, now: float
) -> FunctionVersion:
    """A new published version from $LATEST; or, when nothing changed since the last one, that one
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html)."""
    last = await tx.fetch_one(
        f"SELECT {COLUMNS} FROM lambda_versions WHERE account = ? AND region = ? AND name = ? "
        "AND number > 0 ORDER BY number DESC LIMIT 1",
        latest.account,
        latest.region,
        latest.name,
    )
    if last is not None:
        previous = version_from_row(last)
        if previous.code.sha256_hex == latest.code.sha256_hex and same_settings(previous.config, latest.config):
            return previous
    row = await tx.fetch_one(
        "UPDATE lambda_functions SET next_version = next_version + 1 "
        "WHERE account = ? AND region = ? AND name = ? RETURNING next_version",
        latest.account,
        latest.region,
        latest.name,
    )
    assert row is not None  # the function row exists while its $LATEST does
    number = int(row["next_version"]) - 1
    config = latest.config
    if description is not None:
        config = dataclasses.replace(config, description=description)
    version = dataclasses.replace(
        latest, version=str(number), config=config, revision_id=revision_id, last_modified=now
    )
    await check_storage(tx, RequestContext(latest.account, latest.region), version.code.size)
    await insert(tx, version, number)
    return version
