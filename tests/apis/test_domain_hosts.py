"""The data plane's host map: exact names first, then the wildcard of the parent, and the names a wildcard
may take (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-custom-domains.html#wildcard-custom-domain-names)."""

from __future__ import annotations

import pytest

from overcast.apis.domain_hosts import HostMap, Route
from overcast.apis.domains import new_domain
from overcast.context import RequestContext
from overcast.errors import BadRequest

A = RequestContext(account_id="111111111111")


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


@pytest.mark.parametrize("name", ["*example.com", "a.*.example.com", "*.com", "**.example.com", "*"])
def test_a_wildcard_is_only_a_whole_first_label(name: str) -> None:
    with pytest.raises(BadRequest):
        new_domain(A, name, endpoint_type="REGIONAL")
