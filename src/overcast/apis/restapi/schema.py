"""The apigateway component's tables, as migration steps for `store.migrate("apigateway", STEPS)`.

A REST API's working Definition (attributes, resources with their methods and integrations,
authorizers, gateway responses, stages) is one row of records as JSON (`codec`), changed whole in
one transaction under its version; deployments are immutable snapshots of it. Steps are
identified by position: never change a released step, append new ones. Tags are the kit's
(`resource_tags`, migrated first).
"""

from __future__ import annotations

from overcast.apis.restapi.legacy import records_from_documents
from overcast.store import MigrationStep

STEPS: list[MigrationStep] = [
    "CREATE TABLE apigw_apis (id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "name TEXT NOT NULL, version BIGINT NOT NULL, doc TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX apigw_apis_scope ON apigw_apis (account, region, created)",
    "CREATE TABLE apigw_deployments (api_id TEXT NOT NULL, id TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "doc TEXT NOT NULL, PRIMARY KEY (api_id, id))",
    "CREATE TABLE apigw_keys (id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "value TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, doc TEXT NOT NULL);"
    "CREATE INDEX apigw_keys_value ON apigw_keys (value);"
    "CREATE INDEX apigw_keys_scope ON apigw_keys (account, region, created)",
    "CREATE TABLE apigw_plans (id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "created DOUBLE PRECISION NOT NULL, doc TEXT NOT NULL);"
    "CREATE INDEX apigw_plans_scope ON apigw_plans (account, region, created)",
    "CREATE TABLE apigw_plan_keys (plan_id TEXT NOT NULL, key_id TEXT NOT NULL, PRIMARY KEY (plan_id, key_id));"
    "CREATE INDEX apigw_plan_keys_key ON apigw_plan_keys (key_id)",
    # Records instead of AWS-shaped documents: GetApiKeys filters by name and customer in SQL, a
    # deployment's snapshot is read apart from it, and the tags move to the kit's table.
    "ALTER TABLE apigw_keys ADD COLUMN name TEXT;"
    "ALTER TABLE apigw_keys ADD COLUMN customer_id TEXT;"
    "ALTER TABLE apigw_deployments ADD COLUMN snapshot TEXT",
    records_from_documents,
]
