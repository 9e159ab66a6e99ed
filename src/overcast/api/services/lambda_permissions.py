"""Lambda's function policy operations: AddPermission, RemovePermission, GetPolicy (the policy as a JSON text)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import Lambda
from overcast.context import RequestContext
from overcast.functions.permissions import Grant


async def add_permission(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    grant = Grant(
        statement_id=p["StatementId"],
        action=p["Action"],
        principal=p["Principal"],
        source_arn=p.get("SourceArn"),
        source_account=p.get("SourceAccount"),
        principal_org_id=p.get("PrincipalOrgID"),
        event_source_token=p.get("EventSourceToken"),
        function_url_auth_type=p.get("FunctionUrlAuthType"),
        invoked_via_function_url=p.get("InvokedViaFunctionUrl"),
    )
    added = await s.registry.permissions.add(ctx, p["FunctionName"], grant, p.get("Qualifier"), p.get("RevisionId"))
    return {"Statement": json.dumps(added, separators=(",", ":"))}


async def remove_permission(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.permissions.remove(
        ctx, p["FunctionName"], p["StatementId"], p.get("Qualifier"), p.get("RevisionId")
    )
    return {}


async def get_policy(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    policy = await s.registry.permissions.get(ctx, p["FunctionName"], p.get("Qualifier"))
    return {"Policy": json.dumps(policy.document, separators=(",", ":")), "RevisionId": policy.revision_id}


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetPolicy": get_policy,
}
