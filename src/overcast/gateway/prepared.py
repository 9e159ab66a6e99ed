"""Prepared: what the data plane derives from a deployed snapshot once, instead of on every request.

A DeployedApi never changes (a new deployment publishes a new one), so what follows from it alone —
its compiled route table, its metrics' dimension sets, and per route the throttle buckets, the
fixed parts of a Lambda proxy event and the compiled schemas of request validation — is computed on
first use and kept with the snapshot. `PreparedApis` keeps them for one Gateway, so two servers in one
process share nothing; a stage's new snapshot replaces its old one, so what is kept follows the deployed
stages.
"""

from __future__ import annotations

from overcast.apis.deployed import DeployedApi, Route, Throttle
from overcast.gateway.event_text import RouteText
from overcast.gateway.measures import api_dimensions
from overcast.gateway.request import RouteMatch
from overcast.gateway.routing import compile_routes
from overcast.gateway.throttles import request_limits
from overcast.gateway.validation import BodyValidators
from overcast.observe.metrics import dimensions_key

__all__ = ["Prepared", "PreparedApis", "PreparedRoute"]

_CACHE_LIMIT = 4096  # stages kept; a deleted stage's snapshot goes when the limit is reached


class PreparedRoute:
    """One route of one snapshot: its throttle buckets, the fixed text of its Lambda proxy events, and its
    request validation's compiled body schemas."""

    __slots__ = ("body_validators", "limits", "route", "text")

    def __init__(self, api: DeployedApi, route: Route) -> None:
        self.route = route
        self.limits: list[tuple[str, Throttle]] = request_limits(api, route)  # without a usage plan's key
        self.text = RouteText(api, route)
        validation = route.validation
        self.body_validators = BodyValidators(api, validation) if validation and validation.body_models else None


class Prepared:
    """One snapshot's derived data. Filled lazily per route; never changes what it already holds."""

    __slots__ = ("_routes", "api", "metric_keys", "table")

    def __init__(self, api: DeployedApi) -> None:
        self.api = api
        self.table = compile_routes(api)
        # AWS/ApiGateway dimension sets in their stored form (per API, per API + stage)
        dimension_sets = api_dimensions(api.kind, api.api_name or api.api_id, api.api_id, api.stage)
        self.metric_keys = tuple(dimensions_key(d) for d in dimension_sets)
        # by the route's identity: the snapshot holds its routes, so an id is not reused while this lives
        self._routes: dict[int, PreparedRoute] = {}

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """routing.match_route over the compiled table."""
        return self.table.match(self.api, method, raw_path)

    def route(self, route: Route) -> PreparedRoute:
        """The prepared data of one of this snapshot's routes."""
        found = self._routes.get(id(route))
        if found is None or found.route is not route:
            found = self._routes[id(route)] = PreparedRoute(self.api, route)
        return found


class PreparedApis:
    """One gateway's prepared snapshots; a stage's new snapshot replaces its old one's."""

    __slots__ = ("_by_stage", "_snapshots")

    def __init__(self) -> None:
        # by the snapshot's identity (a warm request's one lookup); the entry holds the snapshot, so
        # its id is not reused while it is here
        self._snapshots: dict[int, Prepared] = {}
        self._by_stage: dict[tuple[str, str], Prepared] = {}  # (API id, stage) -> its latest, to let go of the last

    def of(self, api: DeployedApi) -> Prepared:
        """The snapshot's prepared data (computed on first use; snapshots are immutable)."""
        found = self._snapshots.get(id(api))
        if found is not None and found.api is api:
            return found
        return self._prepare(api)

    def _prepare(self, api: DeployedApi) -> Prepared:
        stage = (api.api_id, api.stage)
        previous = self._by_stage.pop(stage, None)
        if previous is not None:
            self._snapshots.pop(id(previous.api), None)
        if len(self._by_stage) >= _CACHE_LIMIT:
            self._snapshots.clear()
            self._by_stage.clear()
        found = self._snapshots[id(api)] = self._by_stage[stage] = Prepared(api)
        return found

    def __len__(self) -> int:
        return len(self._by_stage)
