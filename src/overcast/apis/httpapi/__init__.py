"""HTTP APIs (apigatewayv2): the control plane and the deployed snapshots it publishes to the data plane."""

from overcast.apis.httpapi.httpapis import HttpApis, endpoint_for

__all__ = ["HttpApis", "endpoint_for"]
