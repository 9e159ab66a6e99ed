"""The HTTP API component's tables, as migration steps for `store.migrate("httpapi", STEPS)`.

Steps are identified by position: never change a released step, append new ones. The kit's tags
table ("tags") migrates before these steps run.
"""

from __future__ import annotations

import json

from overcast.arn import format_arn
from overcast.store import MigrationStep, Queries, Statement


async def _move_tags(tx: Queries) -> None:
    """Tags move out of the API and stage records (`tags` in their JSON) to the kit's table, under each one's
    ARN (`arn:<partition>:apigateway:<region>::/apis/<id>[/stages/<name>]`), as they were: no limit is
    checked, since the records held what was accepted then."""
    moved: list[Statement] = []
    regions: dict[str, str] = {}

    def move(table: str, key: str, body: str, arn: str, where: tuple[str, ...]) -> None:
        record = json.loads(body)
        tags = record.pop("tags", None) or {}
        moved.extend(
            ("INSERT INTO resource_tags (arn, tag_key, tag_value) VALUES (?, ?, ?)", (arn, k, v))
            for k, v in tags.items()
        )
        moved.append((f"UPDATE {table} SET body = ? WHERE {key}", (json.dumps(record, separators=(",", ":")), *where)))

    for row in await tx.fetch_all("SELECT api_id, region, body FROM httpapi_apis"):
        api_id, region = row["api_id"], row["region"]
        regions[api_id] = region
        move(
            "httpapi_apis",
            "api_id = ?",
            row["body"],
            format_arn("apigateway", region, "", f"/apis/{api_id}"),
            (api_id,),
        )
    for row in await tx.fetch_all("SELECT api_id, part_id, body FROM httpapi_parts WHERE kind = 'stage'"):
        api_id, name = row["api_id"], row["part_id"]
        arn = format_arn("apigateway", regions[api_id], "", f"/apis/{api_id}/stages/{name}")
        move("httpapi_parts", "api_id = ? AND kind = 'stage' AND part_id = ?", row["body"], arn, (api_id, name))
    if moved:
        await tx.execute_batch(moved)


STEPS: list[MigrationStep] = [
    # One row per HTTP API; api ids are global (the data plane finds an API by its host name alone).
    # body is the Api record as JSON.
    "CREATE TABLE httpapi_apis (api_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX httpapi_apis_owner ON httpapi_apis (account, region, created)",
    # An API's parts: kind is route | integration | authorizer | stage | deployment. name is what
    # must be unique within the API and kind: the route key of a route, the stage name of a
    # stage, the id of the others. body is the record as JSON (a deployment's holds its snapshot).
    "CREATE TABLE httpapi_parts (api_id TEXT NOT NULL, kind TEXT NOT NULL, part_id TEXT NOT NULL, "
    "name TEXT NOT NULL, body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (api_id, kind, part_id));"
    "CREATE UNIQUE INDEX httpapi_parts_name ON httpapi_parts (api_id, kind, name)",
    # Lists page in creation order (the kit's keyset pages): an index seek per page.
    "CREATE INDEX httpapi_parts_order ON httpapi_parts (api_id, kind, created, part_id)",
    _move_tags,
]
