"""Custom domains and stored records over both store engines: the host map the edge reads, mappings,
one name per account, and records with their tags."""

from __future__ import annotations

import pytest

from overcast.apis.domains import Domains, Route, new_domain, select_route
from overcast.apis.errors import Conflict, NotFound
from overcast.apis.stored import StoredRecords
from overcast.apis.vpc_links import RestVpcLink, rest_link_not_found
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Store

A = RequestContext(account_id="111111111111")
B = RequestContext(account_id="222222222222")


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


@pytest.fixture
async def domains(store: Store) -> Domains:
    async def stage_check(ctx: RequestContext, api_id: str, stage: str) -> bool | None:
        return None if api_id == "missing" else stage in ("prod", "live")

    made = Domains(store, FakeClock(), stage_check)
    await made.start()
    return made


async def test_the_host_map_follows_every_change(domains: Domains) -> None:
    await domains.create(A, new_domain(A, "Api.Example.com", endpoint_type=None))
    assert domains.hosts[b"api.example.com"] == ()  # a domain without mappings: Forbidden, not an AWS API call
    root = await domains.map(A, "api.example.com", "", "rest1", "prod")
    await domains.map(A, "api.example.com", "orders/v1", "http1", "live")
    routes = domains.hosts[b"api.example.com"]
    assert [r.key for r in routes] == ["orders/v1", ""] and domains.hosts[b"api.example.com.localhost"] == routes
    await domains.unmap(A, "api.example.com", root)
    assert [r.key for r in domains.hosts[b"api.example.com"]] == ["orders/v1"]
    await domains.delete(A, "api.example.com")
    assert domains.hosts == {}


async def test_names_and_keys_are_unique_and_lookups_stay_in_the_account(domains: Domains) -> None:
    await domains.create(A, new_domain(A, "a.example.com", endpoint_type="REGIONAL"))
    with pytest.raises(Conflict):
        await domains.create(A, new_domain(A, "A.example.com", endpoint_type="REGIONAL"))
    await domains.map(A, "a.example.com", "v1", "rest1", "prod")
    with pytest.raises(Conflict):
        await domains.map(A, "a.example.com", "v1", "rest1", "prod")
    with pytest.raises(BadRequest):
        await domains.map(A, "a.example.com", "v2", "rest1", "nope")
    with pytest.raises(NotFound):
        await domains.map(A, "a.example.com", "v2", "missing", "prod")
    with pytest.raises(NotFound):
        await domains.get(B, "a.example.com")
    with pytest.raises(NotFound):
        await domains.mappings(B, "a.example.com")
    await domains.create(B, new_domain(B, "a.example.com", endpoint_type="REGIONAL"))  # B's own, a separate one
    assert await domains.mappings(B, "a.example.com") == []
    assert [r.api_id for r in domains.hosts[b"a.example.com"]] == ["rest1"]  # the older owner's mapping serves


def test_the_longest_key_selects_and_the_rest_of_the_path_goes_on() -> None:
    routes = tuple(Route("d", key, api, "s") for key, api in (("orders/v1/items", "3"), ("orders", "2"), ("", "1")))
    assert select_route(routes, "/orders/v1/items/123") == (routes[0], "/123")
    assert select_route(routes, "/orders") == (routes[1], "/")
    assert select_route(routes, "/orders/v2/items") == (routes[1], "/v2/items")
    assert select_route(routes, "/ordersx") == (routes[2], "/ordersx")
    assert select_route(routes[:2], "/customers") is None


async def test_stored_records_keep_their_tags_under_their_arn(store: Store) -> None:
    links = StoredRecords(store, FakeClock(), "vpclink", RestVpcLink, rest_link_not_found, "vpclinks")
    await links.start()
    await links.add(A, "abc123", RestVpcLink("abc123", "l", ("arn:nlb",)), tagged={"k": "v"})
    assert await links.tags_of(A, "abc123") == {"k": "v"}
    assert (await links.get(A, "abc123")).name == "l"
    with pytest.raises(NotFound):
        await links.get(B, "abc123")
    await links.delete(A, "abc123")
    assert await links.tags_of(A, "abc123") == {}
    with pytest.raises(NotFound):
        await links.delete(A, "abc123")


async def test_a_wildcard_is_refused_over_another_accounts_name_it_would_serve(domains: Domains) -> None:
    await domains.create(A, new_domain(A, "a.wild.example", endpoint_type="REGIONAL"))
    await domains.create(A, new_domain(A, "x.y.deep.example", endpoint_type="REGIONAL"))
    with pytest.raises(Conflict):
        await domains.create(B, new_domain(B, "*.wild.example", endpoint_type="REGIONAL"))
    # The account's own names do not stand in its way, nor names two labels under the wildcard's parent.
    await domains.create(A, new_domain(A, "*.wild.example", endpoint_type="REGIONAL"))
    await domains.create(B, new_domain(B, "*.deep.example", endpoint_type="REGIONAL"))
    await domains.map(A, "*.wild.example", "v1", "rest1", "prod")
    assert [r.key for r in domains.hosts[b"tenant.wild.example"]] == ["v1"]
    assert domains.hosts[b"a.wild.example"] == ()  # the exact name, with no mappings of its own
    await domains.delete(A, "*.wild.example")
    assert domains.hosts.get(b"tenant.wild.example") is None
