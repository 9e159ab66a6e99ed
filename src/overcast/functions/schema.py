"""The functions component's tables, as migration steps for `store.migrate("functions", STEPS)`.

Steps are identified by position: never change a released step, append new ones. The kit's tags
table must exist first (`overcast.kit.tags.migrate`).
"""

from __future__ import annotations

import json

from overcast.functions.names import function_arn
from overcast.functions.validation import TAG_RULES
from overcast.kit import tags
from overcast.store import MigrationStep, Queries


async def _move_tags(tx: Queries) -> None:
    """Functions' tags move from the JSON column lambda_functions.tags to the kit's one tags table, under
    each function's ARN; the column stays, holding '{}'."""
    for row in await tx.fetch_all("SELECT account, region, name, tags FROM lambda_functions WHERE tags <> '{}'"):
        await tags.add(tx, function_arn(row["account"], row["region"], row["name"]), json.loads(row["tags"]), TAG_RULES)
    await tx.execute("UPDATE lambda_functions SET tags = '{}' WHERE tags <> '{}'")


STEPS: list[MigrationStep] = [
    # Content-addressed code: zips of functions and layers, keyed by the hex SHA-256 of the zip.
    "CREATE TABLE lambda_code (sha TEXT PRIMARY KEY, data BYTEA NOT NULL, size BIGINT NOT NULL, "
    "unzipped_size BIGINT NOT NULL)",
    # One row per function; next_version numbers published versions (never reused while it exists).
    "CREATE TABLE lambda_functions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "next_version BIGINT NOT NULL, tags TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (account, region, name))",
    # $LATEST (number 0) and published versions. config is FunctionConfig as JSON.
    "CREATE TABLE lambda_versions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "version TEXT NOT NULL, number BIGINT NOT NULL, config TEXT NOT NULL, code_sha TEXT NOT NULL, "
    "code_size BIGINT NOT NULL, unzipped_size BIGINT NOT NULL, local_dir TEXT, revision_id TEXT NOT NULL, "
    "last_modified DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (account, region, name, number));"
    "CREATE INDEX lambda_versions_code ON lambda_versions (code_sha)",
    "CREATE TABLE lambda_aliases (account TEXT NOT NULL, region TEXT NOT NULL, function_name TEXT NOT NULL, "
    "name TEXT NOT NULL, function_version TEXT NOT NULL, description TEXT NOT NULL, routing TEXT NOT NULL, "
    "revision_id TEXT NOT NULL, PRIMARY KEY (account, region, function_name, name))",
    # One row per layer name; next_version keeps numbers unique even after versions are deleted.
    "CREATE TABLE lambda_layers (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "next_version BIGINT NOT NULL, PRIMARY KEY (account, region, name));"
    "CREATE TABLE lambda_layer_versions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "version BIGINT NOT NULL, description TEXT NOT NULL, runtimes TEXT NOT NULL, architectures TEXT NOT NULL, "
    "license TEXT, code_sha TEXT NOT NULL, code_size BIGINT NOT NULL, unzipped_size BIGINT NOT NULL, "
    "created DOUBLE PRECISION NOT NULL, PRIMARY KEY (account, region, name, version));"
    "CREATE INDEX lambda_layer_versions_code ON lambda_layer_versions (code_sha)",
    _move_tags,
    # Functions' resource-based policies, one statement a row: qualifier '' is the unqualified function's
    # policy, else a version's or an alias'; position keeps the statements in the order they were added.
    "CREATE TABLE lambda_policies (account TEXT NOT NULL, region TEXT NOT NULL, function_name TEXT NOT NULL, "
    "qualifier TEXT NOT NULL, sid TEXT NOT NULL, position BIGINT NOT NULL, statement TEXT NOT NULL, "
    "PRIMARY KEY (account, region, function_name, qualifier, sid))",
    # Function URLs (functions/urls.py): qualifier '' is the function's own ($LATEST), else an alias'; cors is
    # the Cors settings as JSON, or '' for none.
    "CREATE TABLE lambda_function_urls (url_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "function_name TEXT NOT NULL, qualifier TEXT NOT NULL, auth_type TEXT NOT NULL, cors TEXT NOT NULL, "
    "invoke_mode TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, modified DOUBLE PRECISION NOT NULL, "
    "UNIQUE (account, region, function_name, qualifier))",
    # Layer versions' resource-based policies (functions/layer_policies.py), one statement a row, and each
    # policy's RevisionId.
    "CREATE TABLE lambda_layer_policies (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "version BIGINT NOT NULL, sid TEXT NOT NULL, position BIGINT NOT NULL, statement TEXT NOT NULL, "
    "PRIMARY KEY (account, region, name, version, sid));"
    "CREATE TABLE lambda_layer_policy_revisions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "version BIGINT NOT NULL, revision_id TEXT NOT NULL, PRIMARY KEY (account, region, name, version))",
    # Options kept for the API (functions/options.py): qualifier '' for the function's own (RecursiveLoop),
    # else a version's ('$LATEST' or its number: the runtime management config) or an alias' name (the event
    # invoke config of functions/event_invoke.py, kept for $LATEST, versions and aliases).
    "CREATE TABLE lambda_function_options (account TEXT NOT NULL, region TEXT NOT NULL, function_name TEXT NOT NULL, "
    "qualifier TEXT NOT NULL, option TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY (account, region, function_name, qualifier, option))",
]
