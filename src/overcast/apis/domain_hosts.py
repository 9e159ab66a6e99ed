"""The data plane's map of custom domain hosts: Host name -> the API mappings that serve it.

A Host is looked up exactly first, then as one label under a wildcard domain name: `*.example.com`
serves `a.example.com` and `b.example.com` (any one label in place of the `*`), and a domain named
exactly (`a.example.com`) wins over the wildcard, each with its own mappings
(https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-custom-domains.html#wildcard-custom-domain-names).
So a request costs one dict lookup, two when it falls to a wildcard. Requests that come through a
wildcard see the name the client used as `$context.domainName` ("You can use the $context.domainName
and $context.domainPrefix context variables to determine the domain name that a client used to call
your API"), so their routes carry that name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

LOCALHOST = ".localhost"  # every domain is also reachable as `<name>.localhost`, which resolves to the loopback
_MEMO_LIMIT = 4096  # the routes made for the names a wildcard served, kept for their next request


@dataclass(frozen=True, slots=True)
class Route:
    """What the data plane serves a mapping with: (key, API, stage), `key` "" matching every path."""

    domain: str
    key: str
    api_id: str
    stage: str


class HostMap(Mapping[bytes, tuple[Route, ...]]):
    """Host name (lowercase bytes, no port) -> its routes, longest key first; the edge calls `get`."""

    def __init__(self) -> None:
        self._names: dict[bytes, tuple[Route, ...]] = {}  # every domain name and its `.localhost` alias
        self._wildcards: dict[bytes, tuple[Route, ...]] = {}  # `*.example.com` under b"example.com"
        self._served: dict[bytes, tuple[Route, ...]] = {}  # host served by a wildcard -> routes naming it

    def replace(self, domains: Iterable[tuple[str, tuple[Route, ...]]]) -> None:
        """Serve these domains (name, routes) from now on, in place of the ones before."""
        names: dict[bytes, tuple[Route, ...]] = {}
        wildcards: dict[bytes, tuple[Route, ...]] = {}
        for name, routes in domains:
            for host in (name, name + LOCALHOST):
                names.setdefault(host.encode(), routes)
                if host.startswith("*."):
                    wildcards.setdefault(host[2:].encode(), routes)
        self._names, self._wildcards, self._served = names, wildcards, {}

    def get(self, host: bytes, default: tuple[Route, ...] | None = None) -> tuple[Route, ...] | None:  # type: ignore[override]
        found = self._names.get(host)
        if found is not None:
            return found
        if self._wildcards:
            label, dot, parent = host.partition(b".")
            if dot and label:
                routes = self._wildcards.get(parent)
                if routes is not None:
                    return self._named(host, routes)
        return default

    def _named(self, host: bytes, routes: tuple[Route, ...]) -> tuple[Route, ...]:
        """The wildcard's routes naming the host the client used (without the `.localhost` alias)."""
        found = self._served.get(host)
        if found is None:
            if len(self._served) >= _MEMO_LIMIT:
                self._served.clear()
            name = host.decode("latin-1").removesuffix(LOCALHOST)
            found = self._served[host] = tuple(dataclasses.replace(r, domain=name) for r in routes)
        return found

    def __getitem__(self, host: bytes) -> tuple[Route, ...]:
        found = self.get(host)
        if found is None:
            raise KeyError(host)
        return found

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def select_route(routes: tuple[Route, ...], path: str) -> tuple[Route, str] | None:
    """The mapping a request path goes to, longest key first, "" matching every path, and the path left
    for the API ("/" at least): https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html"""
    trimmed = path[1:] if path.startswith("/") else path
    for route in routes:
        key = route.key
        if not key:
            return route, path or "/"
        if trimmed == key or trimmed.startswith(key + "/"):
            return route, trimmed[len(key) :] or "/"
    return None
