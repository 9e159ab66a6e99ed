"""Prepared snapshots: derived once per deployed snapshot, owned by one gateway, replaced on redeploy."""

from __future__ import annotations

from dataclasses import replace

from overcast.apis.deployed import ApiKind
from overcast.gateway.prepared import PreparedApis
from overcast.gateway.throttles import request_limits
from tests.gateway.test_front_door import api, call, gateway, route


def test_a_snapshot_is_prepared_once_and_its_stages_next_snapshot_replaces_it() -> None:
    prepared = PreparedApis()
    first = api(ApiKind.HTTP, "prod", route("GET /pets"))
    assert prepared.of(first) is prepared.of(first)
    found = prepared.of(first).match("GET", "/pets")
    assert found is not None and found.route is first.routes[0]
    pets = prepared.of(first).route(first.routes[0])
    assert pets is prepared.of(first).route(first.routes[0])
    assert pets.limits == request_limits(first, first.routes[0])  # the account's buckets: no stage or route throttle
    redeployed = replace(first, deployment_id="dep2", routes=(route("GET /cats"),))
    assert prepared.of(redeployed).match("GET", "/pets") is None
    assert prepared.of(redeployed).match("GET", "/cats") is not None
    assert len(prepared) == 1  # the stage's old snapshot is not kept beside the new one


async def test_two_gateways_serving_the_same_api_ids_share_no_prepared_routes() -> None:
    # Two servers in one process may hold APIs with the same id and stage (each its own data dir).
    cats = gateway(api(ApiKind.HTTP, "prod", route("GET /cats")))
    dogs = gateway(api(ApiKind.HTTP, "prod", route("GET /dogs")))
    assert (await call(cats, "GET", "/prod/cats")).status == 200
    assert len(cats.prepared) == 1 and len(dogs.prepared) == 0  # what one gateway prepares is its own
    assert (await call(dogs, "GET", "/prod/cats")).status == 404
    assert (await call(dogs, "GET", "/prod/dogs")).status == 200
    assert (await call(cats, "GET", "/prod/dogs")).status == 404
    assert cats.prepared is not dogs.prepared
