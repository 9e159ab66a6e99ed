"""The data plane's host map: exact names first, then the wildcard of the parent, and what a wildcard
refuses at creation (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-custom-domains.html#wildcard-custom-domain-names)."""

from __future__ import annotations

import pytest

from overcast.apis.domain_hosts import HostMap, Route
from overcast.apis.domains import Domains, new_domain
from overcast.apis.errors import Conflict
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Store

A = RequestContext(account_id="111111111111")
B = RequestContext(account_id="222222222222")


def test_an_exact_name_wins_and_a_wildcard_serves_one_label_under_it() -> None:
    hosts = HostMap()
    wild, exact = (Route("*.example.com", "", "w", "s"),), (Route("a.example.com", "", "e", "s"),)
    hosts.replace([("*.example.com", wild), ("a.example.com", exact)])
    assert hosts.get(b"a.example.com") == exact
    assert hosts.get(b"b.example.com") == (Route("b.example.com", "", "w", "s"),)  # the name the client used
    assert hosts.get(b"b.example.com.localhost") == (Route("b.example.com", "", "w", "s"),)
    assert hosts.get(b"b.example.com") is hosts.get(b"b.example.com")  # made once per host
    assert hosts.get(b"x.b.example.com") is None  # one label only
    assert hosts.get(b"example.com") is None and hosts.get(b".example.com") is None
    assert hosts[b"c.example.com"][0].api_id == "w" and b"c.example.com" in hosts
    with pytest.raises(KeyError):
        hosts[b"elsewhere.org"]
    assert set(hosts) == {b"*.example.com", b"*.example.com.localhost", b"a.example.com", b"a.example.com.localhost"}
    hosts.replace([])
    assert not hosts and hosts.get(b"b.example.com") is None


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


@pytest.fixture
async def domains(store: Store) -> Domains:
    async def stage_check(ctx: RequestContext, api_id: str, stage: str) -> bool | None:
        return True

    made = Domains(store, FakeClock(), stage_check)
    await made.start()
    return made


@pytest.mark.parametrize("name", ["*example.com", "a.*.example.com", "*.com", "**.example.com", "*"])
def test_a_wildcard_is_only_a_whole_first_label(name: str) -> None:
    with pytest.raises(BadRequest):
        new_domain(A, name, endpoint_type="REGIONAL")


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
