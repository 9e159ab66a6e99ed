"""Prepared: what the data plane derives from a deployed snapshot once, instead of on every request.

A DeployedApi never changes (a new deployment publishes a new one), so what follows from it alone —
its stage prefix, its metrics' dimension sets, each route's throttle buckets and route key — is
computed on first use and cached on the snapshot's identity, as the route table is (routing.py).
"""

from __future__ import annotations

from overcast.gateway.deployed import ApiKind, DeployedApi, Route, Throttle
from overcast.gateway.events import route_key, stage_path_prefix
from overcast.gateway.measures import api_dimensions
from overcast.gateway.throttles import request_limits
from overcast.observe.metrics import dimensions_key

__all__ = ["Prepared", "prepared"]

_CACHE_LIMIT = 4096


class Prepared:
    """One snapshot's derived data. Lazily filled per route; never changes what it already holds."""

    __slots__ = ("_limits", "_route_keys", "api", "metric_keys", "rest", "stage_prefix")

    def __init__(self, api: DeployedApi) -> None:
        self.api = api
        self.rest = api.kind is ApiKind.REST
        self.stage_prefix = stage_path_prefix(api)
        # AWS/ApiGateway dimension sets in their stored form (per API, per API + stage)
        dimension_sets = api_dimensions(api.kind, api.api_name or api.api_id, api.api_id, api.stage)
        self.metric_keys = tuple(dimensions_key(d) for d in dimension_sets)
        # by the route's identity (the route is kept with its value, so an id is never reused while cached)
        self._limits: dict[int, tuple[Route, list[tuple[str, Throttle]]]] = {}  # buckets without a usage plan
        self._route_keys: dict[int, tuple[Route, str]] = {}

    def limits(self, route: Route) -> list[tuple[str, Throttle]]:
        """request_limits(api, route) for a request without a usage plan's key."""
        found = self._limits.get(id(route))
        if found is None or found[0] is not route:
            found = self._limits[id(route)] = (route, request_limits(self.api, route))
        return found[1]

    def route_key(self, route: Route) -> str:
        found = self._route_keys.get(id(route))
        if found is None or found[0] is not route:
            found = self._route_keys[id(route)] = (route, route_key(route))
        return found[1]


_prepared: dict[int, Prepared] = {}


def prepared(api: DeployedApi) -> Prepared:
    """The snapshot's prepared data (computed on first use; snapshots are immutable, so identity keys it)."""
    found = _prepared.get(id(api))
    if found is not None and found.api is api:
        return found
    if len(_prepared) >= _CACHE_LIMIT:
        _prepared.clear()
    found = _prepared[id(api)] = Prepared(api)
    return found
