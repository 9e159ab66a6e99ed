"""The layout before records: AWS-shaped camelCase documents holding their tags, rewritten once.

Until the control plane kept records, each REST API's working definition, each deployment (its
snapshot under `frozen`), API key and usage plan was stored as the AWS shape of its object:
camelCase members, tags among them. `records_from_documents`, a migration step, reads each with
`codec.load` under the camelCase names of the records' fields, moves the tags it holds to the
kit's table under the resource's ARN, and writes it back as records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from overcast.apis.restapi import codec
from overcast.apis.restapi.records import ApiKey, Definition, Deployment, Snapshot, UsagePlan
from overcast.apis.restapi.tags import api_arn, key_arn, plan_arn, stage_arn
from overcast.store import Queries

_SPELLED = {"provider_arns": "providerARNs"}  # the one member AWS does not spell as plain camelCase


def camel(name: str) -> str:
    """A record field's name as the stored document spelled its member: `api_key_source` -> `apiKeySource`."""
    return _SPELLED.get(name) or codec.camel(name)


async def _move_tags(tx: Queries, arn: str, found: Mapping[str, str] | None) -> None:
    # As they were: tags stored before API Gateway's limits were checked move whole.
    await tx.execute_batch(
        [
            ("INSERT INTO resource_tags (arn, tag_key, tag_value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (arn, k, v))
            for k, v in (found or {}).items()
            if k
        ]
    )


async def records_from_documents(tx: Queries) -> None:
    for row in await tx.fetch_all("SELECT id, region, doc FROM apigw_apis"):
        old = json.loads(row["doc"])
        await _move_tags(tx, api_arn(row["region"], row["id"]), old["api"].get("tags"))
        for name, stage in (old.get("stages") or {}).items():
            await _move_tags(tx, stage_arn(row["region"], row["id"], name), stage.get("tags"))
        d = codec.load(Definition, old, camel)
        await tx.execute("UPDATE apigw_apis SET doc = ? WHERE id = ?", codec.dump(d), row["id"])
    for row in await tx.fetch_all("SELECT api_id, id, doc FROM apigw_deployments"):
        old = json.loads(row["doc"])
        await tx.execute(
            "UPDATE apigw_deployments SET doc = ?, snapshot = ? WHERE api_id = ? AND id = ?",
            codec.dump(codec.load(Deployment, old, camel)), codec.dump(codec.load(Snapshot, old["frozen"], camel)),
            row["api_id"], row["id"],
        )  # fmt: skip
    for row in await tx.fetch_all("SELECT id, region, doc FROM apigw_keys"):
        old = json.loads(row["doc"])
        await _move_tags(tx, key_arn(row["region"], row["id"]), old.get("tags"))
        key = codec.load(ApiKey, old, camel)
        await tx.execute(
            "UPDATE apigw_keys SET doc = ?, name = ?, customer_id = ? WHERE id = ?",
            codec.dump(key), key.name, key.customer_id, row["id"],
        )  # fmt: skip
    for row in await tx.fetch_all("SELECT id, region, doc FROM apigw_plans"):
        old = json.loads(row["doc"])
        await _move_tags(tx, plan_arn(row["region"], row["id"]), old.get("tags"))
        plan = codec.dump(codec.load(UsagePlan, old, camel))
        await tx.execute("UPDATE apigw_plans SET doc = ? WHERE id = ?", plan, row["id"])
