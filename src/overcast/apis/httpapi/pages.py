"""Pages of the HTTP API lists (GetApis, GetRoutes, GetStages...): their sizes, and tokens bound to their list.

A NextToken is the kit's opaque token, bound to the operation, the caller's account and region and
(for an API's parts) the API, so a token from another list is refused with BadRequestException, the
error the reference gives every list for "One of the parameters in the request is invalid"
(https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html, GET).
"""

from __future__ import annotations

from overcast.errors import BadRequest
from overcast.kit.pages import Lists, PageLimits


def bad_size(size: object) -> BadRequest:
    return BadRequest(f"Invalid MaxResults {size}: it must be a positive number")


# The v2 reference documents neither a default nor a maximum for maxResults; the one page size API
# Gateway documents is v1's `limit`, at most 500
# (https://docs.aws.amazon.com/apigateway/latest/api/API_GetRestApis.html). A page holds at most 500
# items here, and 500 when no size (or 0) is asked for.
PAGES = PageLimits(default=500, most=500, zero_is_default=True, below_minimum=bad_size)


def invalid_token(token: str) -> BadRequest:
    return BadRequest(f"Invalid NextToken {token}")


LISTS = Lists("apigatewayv2", PAGES, invalid_token)
