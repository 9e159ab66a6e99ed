"""Route selection: which route (HTTP API) or resource method (REST API) of a deployed stage serves a request.

HTTP APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):
the most specific match wins — a full match on route and method, then a greedy `{proxy+}` path,
then the `$default` route; a method beats `ANY`. REST APIs pick the most specific resource whose
path matches and then its method (or `ANY`); a resource without that method is no match at all
(403 Missing Authentication Token, not a fall back to a less specific resource).

Each DeployedApi is compiled once into a RouteTable (the gateway keeps it with the snapshot's other
prepared data, prepared.py), so a warm request costs a dict lookup for literal paths and a short
scan of the parameterised ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from overcast.apis.deployed import ApiKind, DeployedApi, Route
from overcast.gateway.request import RouteMatch

_LITERAL, _PARAM, _GREEDY = 2, 1, 0


@dataclass(frozen=True, slots=True)
class _Pattern:
    route: Route
    names: tuple[str | None, ...]  # per segment: a parameter's name, or None for a literal
    literals: tuple[str, ...]  # per segment: the literal text ("" for parameters)
    greedy: str | None  # the greedy parameter's name, when the path ends in {name+}
    rank: tuple[tuple[int, ...], int]

    def bind(self, segments: list[str]) -> dict[str, str] | None:
        fixed = len(self.names)
        if self.greedy is None:
            if len(segments) != fixed:
                return None
        elif len(segments) <= fixed:  # a greedy variable takes at least one segment
            return None
        params: dict[str, str] = {}
        for i, name in enumerate(self.names):
            if name is None:
                if segments[i] != self.literals[i]:
                    return None
            elif segments[i] == "":
                return None
            else:
                params[name] = segments[i]
        if self.greedy is not None:
            params[self.greedy] = "/".join(segments[fixed:])
        return params


@dataclass(slots=True)
class RouteTable:
    """One stage's routes, compiled for matching."""

    kind: ApiKind
    exact: dict[str, dict[str, Route]] = field(default_factory=dict)  # path -> method -> route
    patterns: list[_Pattern] = field(default_factory=list)  # most specific first
    default: Route | None = None  # an HTTP API's $default route

    def match(self, api: DeployedApi, method: str, raw_path: str) -> RouteMatch | None:
        path = _normalise(unquote(raw_path))
        methods = self.exact.get(path)
        if methods is not None:
            route = methods.get(method) or methods.get("ANY")
            if route is not None:
                return RouteMatch(api, route, {})
            if self.kind is ApiKind.REST:
                return None  # the resource exists without this method
        if self.patterns:
            segments = _segments(raw_path)
            for pattern in self.patterns:
                params = pattern.bind(segments)
                if params is None:
                    continue
                if pattern.route.method in (method, "ANY"):
                    return RouteMatch(api, pattern.route, params)
                if self.kind is ApiKind.REST and _resource_has_no(self, pattern.route.path, method):
                    return None
        if self.default is not None:
            return RouteMatch(api, self.default, {})
        return None


def _resource_has_no(table: RouteTable, resource_path: str, method: str) -> bool:
    """REST: the most specific matching resource decides; True when it serves neither method nor ANY."""
    return not any(p.route.path == resource_path and p.route.method in (method, "ANY") for p in table.patterns)


def compile_routes(api: DeployedApi) -> RouteTable:
    """The snapshot's routes compiled for matching (once per snapshot: see prepared.py)."""
    table = RouteTable(api.kind)
    for route in api.routes:
        if route.path == "$default":
            table.default = route
            continue
        path = _normalise(route.path)
        names, literals, greedy = _parse(path)
        if greedy is None and all(name is None for name in names):
            table.exact.setdefault(path, {})[route.method] = route
            continue
        kinds = tuple(_PARAM if name is not None else _LITERAL for name in names)
        if greedy is not None:
            kinds += (_GREEDY,)
        rank = (kinds, 0 if route.method == "ANY" else 1)
        table.patterns.append(_Pattern(route, names, literals, greedy, rank))
    table.patterns.sort(key=lambda p: p.rank, reverse=True)
    return table


def match_route(api: DeployedApi, method: str, raw_path: str) -> RouteMatch | None:
    """The route serving `method raw_path` (the path after the stage prefix), or None.

    None means: HTTP API -> 404 {"message":"Not Found"}; REST API -> 403 Missing Authentication Token
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
    Path parameters are percent-decoded; a greedy `{proxy+}` takes the rest of the path.
    Compiles the table on every call: the gateway matches through its prepared snapshots instead.
    """
    return compile_routes(api).match(api, method, raw_path)


def _parse(path: str) -> tuple[tuple[str | None, ...], tuple[str, ...], str | None]:
    parts = [p for p in path.split("/")[1:]] if path != "/" else []
    greedy: str | None = None
    if parts and parts[-1].startswith("{") and parts[-1].endswith("+}"):
        greedy = parts.pop()[1:-2]
    names = tuple(p[1:-1] if p.startswith("{") and p.endswith("}") else None for p in parts)
    literals = tuple("" if name is not None else p for name, p in zip(names, parts, strict=True))
    return names, literals, greedy


def _segments(raw_path: str) -> list[str]:
    path = raw_path if raw_path.startswith("/") else "/" + raw_path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    if path == "/":
        return []
    return [unquote(p) for p in path[1:].split("/")]


def _normalise(path: str) -> str:
    """A trailing slash does not change which route a path selects."""
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path
