"""Tags of HTTP APIs and stages in the kit's table: moved from an older data dir, written and dropped with them.

They move from the records of an older data dir, are written with the API or stage they belong to, and
are dropped in the transaction that deletes it.
"""

from __future__ import annotations

import json

import pytest

from overcast.apis.httpapi import HttpApis
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.schema import STEPS
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Store

CTX = RequestContext(account_id="111111111111", region="cn-north-1")
FN = "arn:aws-cn:lambda:cn-north-1:111111111111:function:pets"


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(request.param)


async def _tag_rows(store: Store) -> list[tuple[str, str, str]]:
    rows = await store.fetch_all("SELECT arn, tag_key, tag_value FROM resource_tags WHERE tag_key <> '' ORDER BY 1, 2")
    return [(r["arn"], r["tag_key"], r["tag_value"]) for r in rows]


async def test_an_older_data_dirs_tags_move_to_the_kits_table(store: Store) -> None:
    # A data dir written before tags moved: the first two steps, and tags inside the records' JSON.
    await store.migrate("httpapi", STEPS[:2])
    api = {"api_id": "a1b2c3d4e5", "account": CTX.account_id, "region": CTX.region, "name": "old", "created": 1.0}
    stage = {"stage_name": "prod", "created": 1.0, "last_updated": 1.0}
    await store.execute(
        "INSERT INTO httpapi_apis (api_id, account, region, body, created) VALUES (?, ?, ?, ?, ?)",
        "a1b2c3d4e5", CTX.account_id, CTX.region, json.dumps(api | {"tags": {"team": "core", "cost": "7"}}), 1.0,
    )  # fmt: skip
    await store.execute(
        "INSERT INTO httpapi_parts (api_id, kind, part_id, name, body, created) VALUES (?, 'stage', ?, ?, ?, ?)",
        "a1b2c3d4e5", "prod", "prod", json.dumps(stage | {"tags": {"env": "prod"}}), 1.0,
    )  # fmt: skip

    apis = HttpApis(store, FakeClock())
    await apis.start()

    arn = "arn:aws-cn:apigateway:cn-north-1::/apis/a1b2c3d4e5"
    assert await _tag_rows(store) == [
        (arn, "cost", "7"),
        (arn, "team", "core"),
        (arn + "/stages/prod", "env", "prod"),
    ]
    for row in await store.fetch_all("SELECT body FROM httpapi_apis UNION ALL SELECT body FROM httpapi_parts"):
        assert "tags" not in json.loads(row["body"])
    got = await apis.api(CTX, "a1b2c3d4e5")
    assert (got.record.name, dict(got.tags)) == ("old", {"team": "core", "cost": "7"})
    assert dict((await apis.stages.get(CTX, "a1b2c3d4e5", "prod")).tags) == {"env": "prod"}
    assert await apis.tagging.tags(CTX, arn + "/stages/prod") == {"env": "prod"}


async def test_tags_are_written_with_their_resource_and_dropped_with_it(store: Store) -> None:
    apis = HttpApis(store, FakeClock())
    await apis.start()
    api = (await apis.create_api(CTX, rec.Api("", "", "", "t", 0.0), {"a": "1"}, target=FN)).record
    arn = f"arn:aws-cn:apigateway:cn-north-1::/apis/{api.api_id}"
    await apis.stages.create(CTX, api.api_id, {"stage_name": "prod"}, {"s": "1"})
    await apis.tagging.tag(CTX, arn + "/stages/$default", {"d": "1"})
    assert {row[0] for row in await _tag_rows(store)} == {arn, arn + "/stages/prod", arn + "/stages/$default"}

    # Refused whole, inside the transaction: neither the stage nor any of its tags is written.
    with pytest.raises(BadRequest):
        await apis.stages.create(CTX, api.api_id, {"stage_name": "beta"}, {f"k{i}": "v" for i in range(51)})
    assert await apis.stage_names(api.api_id) == ["$default", "prod"]

    await apis.stages.delete(CTX, api.api_id, "prod")
    assert {row[0] for row in await _tag_rows(store)} == {arn, arn + "/stages/$default"}
    await apis.delete_api(CTX, api.api_id)
    assert await store.fetch_all("SELECT arn FROM resource_tags") == []
