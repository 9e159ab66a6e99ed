"""AWS::Logs::LogGroup over CloudWatch Logs' own LogStore: the same validation, errors and records as CreateLogGroup.

Ref is the group's name, `Arn` its ARN with the trailing `:*` as CloudFormation returns it
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html).
LogGroupName is create-only (a new name replaces the group); RetentionInDays and Tags change in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from overcast.observe.errors import LogsResourceNotFound
from overcast.observe.log_records import group_arn
from overcast.observe.logs import LogStore
from overcast.templates.providers.base import Made, ResourceRequest

# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html
# (a name of at most 512 characters; CloudFormation's generated names fit well within it)
_NAME_LENGTH = 512


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in properties.get("Tags") or []}


def _retention(properties: Mapping[str, Any]) -> int | None:
    days = properties.get("RetentionInDays")
    return None if days is None else int(days)


class LogGroups:
    def __init__(self, logs: LogStore) -> None:
        self.logs = logs

    def _made(self, request: ResourceRequest, name: str) -> Made:
        return Made(name, {"Arn": group_arn(request.ctx.account_id, request.ctx.region, name) + ":*"})

    async def create(self, request: ResourceRequest) -> Made:
        props = request.properties
        name = str(props.get("LogGroupName") or request.physical_name(_NAME_LENGTH))
        await self.logs.create_group(request.ctx, name, _tags(props))
        try:
            if _retention(props) is not None:
                await self.logs.put_retention(request.ctx, name, _retention(props))
        except Exception:
            await self.logs.delete_group(request.ctx, name)  # nothing half made is left behind
            raise
        return self._made(request, name)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        props, name = request.properties, current.ref
        await self.logs.put_retention(request.ctx, name, _retention(props))
        old, new = _tags(previous), _tags(props)
        if old != new:
            arn = group_arn(request.ctx.account_id, request.ctx.region, name)
            gone = [key for key in old if key not in new]
            if gone:
                await self.logs.tags_by_arn.untag(request.ctx, arn, gone)
            if new:
                await self.logs.tags_by_arn.tag(request.ctx, arn, new)
        return self._made(request, name)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        try:
            await self.logs.delete_group(request.ctx, current.ref)
        except LogsResourceNotFound:
            return None  # already gone: CloudFormation deletes idempotently
