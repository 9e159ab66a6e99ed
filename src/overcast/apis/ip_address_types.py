"""Who can call an endpoint (a REST API's or a custom domain name's): IPv4 clients only, or IPv4 and IPv6.

A PRIVATE endpoint is dualstack only, and the others are ipv4 unless asked
(https://docs.aws.amazon.com/apigateway/latest/api/API_EndpointConfiguration.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-ip-address-type.html).
"""

from __future__ import annotations

from overcast.errors import BadRequest

IP_ADDRESS_TYPES = ("ipv4", "dualstack")


def check_ip_address_type(given: str | None, endpoint_type: str) -> str:
    """Who can call an endpoint of this type: as given (checked), else its default."""
    if given is None:
        return "dualstack" if endpoint_type == "PRIVATE" else "ipv4"
    if given not in IP_ADDRESS_TYPES:
        raise BadRequest(f"Invalid IP address type specified. Must be one of: [{', '.join(IP_ADDRESS_TYPES)}]")
    if endpoint_type == "PRIVATE" and given != "dualstack":
        raise BadRequest("Only the dualstack IP address type is supported for the PRIVATE endpoint type")
    return given
