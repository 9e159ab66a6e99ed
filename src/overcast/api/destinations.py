"""Destinations: where Lambda sends an async invocation's record or dead letter, as calls to the target's service API.

`functions/` defines what it needs (`functions.destinations.Destinations`: send a body with String attributes to
an ARN); this is the composition root's answer for targets of other services, made as the SDK calls Lambda
makes on AWS: SQS's SendMessage (to the queue the ARN names), SNS's Publish. Each call goes through the
service's own API in-process (local_calls.py), so the target's validation, limits and errors are the API's.
"""

from __future__ import annotations

from collections.abc import Mapping

from overcast.api.local_calls import LocalCalls
from overcast.arn import parse_arn
from overcast.context import RequestContext
from overcast.errors import AwsError, InvalidParameterValue


class UnsupportedDestination(AwsError):
    code, status = "InvalidParameterValueException", 400


class ApiDestinations:
    def __init__(self, calls: LocalCalls) -> None:
        self.calls = calls

    async def send(self, ctx: RequestContext, arn: str, body: str, attributes: Mapping[str, str] = {}) -> None:
        """Send `body` to the queue or topic `arn` names, as `ctx`'s account; raises the service's AwsError."""
        target = parse_arn(arn)
        if target is None:
            raise InvalidParameterValue(f"Invalid destination ARN: {arn}")
        caller = RequestContext(ctx.account_id, target.region or ctx.region, ctx.request_id)
        typed = {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}
        if target.service == "sqs":
            found = await self.calls.call(
                caller, "sqs", "GetQueueUrl", {"QueueName": target.resource, "QueueOwnerAWSAccountId": target.account}
            )
            params: dict[str, object] = {"QueueUrl": found["QueueUrl"], "MessageBody": body}
            if typed:
                params["MessageAttributes"] = typed
            await self.calls.call(caller, "sqs", "SendMessage", params)
        elif target.service == "sns":
            published: dict[str, object] = {"TopicArn": arn, "Message": body}
            if typed:
                published["MessageAttributes"] = typed
            await self.calls.call(caller, "sns", "Publish", published)
        else:
            raise UnsupportedDestination(f"Overcast cannot send to {target.service} destinations yet: {arn}")
