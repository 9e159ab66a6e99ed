"""The REST API (apigateway v1) control plane: RestApis, and the DeployedApi snapshots it publishes."""

from overcast.apis.restapi.apis import RestApis

__all__ = ["RestApis"]
