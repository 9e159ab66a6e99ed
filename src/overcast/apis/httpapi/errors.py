"""The HTTP API control plane's not-found errors, worded as API Gateway words them.

https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html (Errors)
"""

from __future__ import annotations

from overcast.apis.errors import NotFound


def api_not_found(account: str, api_id: str) -> NotFound:
    # AWS names the account too: "Invalid API identifier specified 123456789012:a1b2c3d4e5".
    return NotFound(f"Invalid API identifier specified {account}:{api_id}", fields={"ResourceType": "Api"})


def not_found(kind: str, item_id: str) -> NotFound:
    """A missing route, integration, authorizer, deployment or stage of an existing API."""
    if kind == "Stage":
        return NotFound(f"Invalid stage identifier specified {item_id}", fields={"ResourceType": "Stage"})
    return NotFound(f"Invalid {kind} identifier specified {item_id}", fields={"ResourceType": kind})
