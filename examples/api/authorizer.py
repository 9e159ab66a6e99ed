"""The API demo's Lambda authorizer (HTTP API, payload 2.0, simple responses): one valid bearer token."""


def handler(event, context):
    authorized = event["headers"].get("authorization") == "Bearer let-me-in"
    return {"isAuthorized": authorized, "context": {"user": "demo-user"}}
