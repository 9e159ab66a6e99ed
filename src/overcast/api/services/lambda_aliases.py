"""Lambda's alias operations: CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases (AliasConfiguration)."""

from __future__ import annotations

from collections.abc import Mapping

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import Lambda, listed
from overcast.context import RequestContext
from overcast.functions.records import Alias


def alias_out(alias: Alias) -> Output:
    out: Output = {
        "AliasArn": alias.arn,
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.routing:
        out["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.routing)}
    return out


def _routing(p: Params) -> dict[str, float] | None:
    if "RoutingConfig" not in p:
        return None
    weights = (p["RoutingConfig"] or {}).get("AdditionalVersionWeights") or {}
    return {str(version): float(weight) for version, weight in weights.items()}


async def create_alias(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    alias = await s.registry.aliases.create(
        ctx, p["FunctionName"], p["Name"], p["FunctionVersion"], p.get("Description", ""), _routing(p)
    )
    return alias_out(alias)


async def get_alias(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return alias_out(await s.registry.aliases.get(ctx, p["FunctionName"], p["Name"]))


async def update_alias(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    alias = await s.registry.aliases.update(
        ctx,
        p["FunctionName"],
        p["Name"],
        function_version=p.get("FunctionVersion"),
        description=p.get("Description"),
        routing=_routing(p),
        revision_id=p.get("RevisionId"),
    )
    return alias_out(alias)


async def delete_alias(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.aliases.delete(ctx, p["FunctionName"], p["Name"])
    if s.invoker is not None:  # the alias' provisioned concurrency goes with it
        await s.invoker.concurrency.function_deleted(ctx, p["FunctionName"], p["Name"])
    return {}


async def list_aliases(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.registry.aliases.list_aliases(
        ctx, p["FunctionName"], p.get("FunctionVersion"), p.get("Marker"), p.get("MaxItems")
    )
    return listed("Aliases", [alias_out(a) for a in found], marker)


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
