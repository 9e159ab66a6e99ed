"""The API demo's function: greets whoever the query string names, and says what API Gateway sent it."""

import json


def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    caller = event["requestContext"].get("authorizer", {}).get("lambda", {}).get("user")
    body = {"message": f"Hello, {name}!", "routeKey": event["routeKey"], "path": event["rawPath"]}
    if caller:
        body["caller"] = caller
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
