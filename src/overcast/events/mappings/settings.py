"""A mapping's settings from CreateEventSourceMapping / UpdateEventSourceMapping members, checked as Lambda checks them.

The rules for queues are on https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html and
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html: BatchSize 1-10,000 for a standard
queue and 1-10 for a FIFO queue, a batching window of 0-300 s that a batch size over 10 needs (at least 1 s),
ScalingConfig.MaximumConcurrency 2-1,000, and up to five filters
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html), each a valid event pattern.
MetricsConfig names the metrics to produce: for a queue only EventCount, ErrorCount and KafkaMetrics being
Kafka's (https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingMetricsConfig.html); KMSKeyArn is
kept as given (an empty one removes it), as botocore's model constrains it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from overcast.errors import InvalidParameterValue
from overcast.events.mappings.records import Settings
from overcast.events.patterns import InvalidEventPattern, compile_pattern
from overcast.functions.names import constraint_error

MAX_FILTERS = 5  # the default quota; AWS raises it to 10 on request
RESPONSE_TYPES = ("ReportBatchItemFailures",)
METRICS = ("EventCount",)
KAFKA_METRICS = ("ErrorCount", "KafkaMetrics")
_KMS_KEY = re.compile(r"(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()")
# Members of CreateEventSourceMapping / UpdateEventSourceMapping that belong to streams, Kafka, Amazon MQ or
# DocumentDB sources, not to a queue's (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
# lists a queue's); and those a queue's mapping may have that Overcast does not run yet.
NOT_FOR_QUEUES = (
    "ParallelizationFactor", "StartingPosition", "StartingPositionTimestamp", "DestinationConfig",
    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts", "TumblingWindowInSeconds",
    "Topics", "Queues", "SourceAccessConfigurations", "SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig",
)  # fmt: skip
NOT_YET = ("LoggingConfig", "ProvisionedPollerConfig")


def _range(value: int, member: str, low: int, high: int) -> int:
    if value < low:
        raise constraint_error(value, member, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise constraint_error(value, member, f"Member must have value less than or equal to {high}")
    return value


def changes(members: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a request's members (or an AWS::Lambda::EventSourceMapping's properties) name, by field; a
    member that is not a queue's, or that Overcast does not run, is refused rather than ignored."""
    for name in NOT_FOR_QUEUES:
        if members.get(name) is not None:
            # (the wording is a guess: AWS documents which parameters apply to which source, not this text)
            raise InvalidParameterValue(f"Unsupported {name} parameter for an Amazon SQS event source.")
    for name in NOT_YET:
        if members.get(name) is not None:
            raise InvalidParameterValue(f"{name} on event source mappings is not implemented by Overcast yet.")
    given: dict[str, Any] = {}
    if members.get("BatchSize") is not None:
        given["batch_size"] = _range(int(members["BatchSize"]), "batchSize", 1, 10000)
    if members.get("MaximumBatchingWindowInSeconds") is not None:
        window = int(members["MaximumBatchingWindowInSeconds"])
        given["maximum_batching_window"] = _range(window, "maximumBatchingWindowInSeconds", 0, 300)
    if members.get("FilterCriteria") is not None:
        given["filters"] = _filters(members["FilterCriteria"])
    if members.get("FunctionResponseTypes") is not None:
        given["report_batch_item_failures"] = _response_types(members["FunctionResponseTypes"])
    if members.get("ScalingConfig") is not None:
        concurrency = (members["ScalingConfig"] or {}).get("MaximumConcurrency")
        given["maximum_concurrency"] = (
            None if concurrency is None else _range(int(concurrency), "scalingConfig.maximumConcurrency", 2, 1000)
        )
    if members.get("MetricsConfig") is not None:
        given["metrics"] = _metrics(members["MetricsConfig"])
    if members.get("KMSKeyArn") is not None:
        given["kms_key_arn"] = _kms_key(str(members["KMSKeyArn"]))
    return given


def _metrics(config: Any) -> tuple[str, ...]:
    metrics = tuple(str(m) for m in ((config or {}).get("Metrics") or ()))
    for metric in metrics:
        if metric in KAFKA_METRICS:
            raise InvalidParameterValue(
                f"Unsupported metric {metric} for an Amazon SQS event source: "
                "only EventCount is supported; ErrorCount and KafkaMetrics are for Apache Kafka event sources."
            )
        if metric not in METRICS:
            raise constraint_error(
                list(metrics), "metricsConfig.metrics",
                "Member must satisfy constraint: [Member must satisfy enum value set: [EventCount, ErrorCount, "
                "KafkaMetrics]]",
            )  # fmt: skip
    return metrics


def _kms_key(arn: str) -> str | None:
    if arn and not _KMS_KEY.fullmatch(arn):
        raise constraint_error(arn, "kMSKeyArn", "Member must satisfy regular expression pattern: " + _KMS_KEY.pattern)
    return arn or None


def _filters(criteria: Any) -> tuple[str, ...]:
    filters = criteria.get("Filters") if isinstance(criteria, dict) else None
    patterns = tuple(str(f.get("Pattern", "")) for f in filters or () if isinstance(f, dict))
    if len(patterns) > MAX_FILTERS:
        raise InvalidParameterValue(
            f"The maximum number of filters per event source mapping is {MAX_FILTERS}. "
            "To request an increase, contact AWS Support."
        )
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except InvalidEventPattern:
            raise InvalidParameterValue("Invalid filter pattern definition.") from None
    return patterns


def _response_types(types: Any) -> bool:
    for value in types:
        if value not in RESPONSE_TYPES:
            raise constraint_error(
                types, "functionResponseTypes", "Member must satisfy enum value set: [ReportBatchItemFailures]"
            )
    return bool(types)


def settled(current: Settings, given: Mapping[str, Any], *, fifo: bool) -> Settings:
    """`current` with `given` applied, checked against the queue's kind as a whole."""
    settings = replace(current, **given)
    if fifo:
        if settings.batch_size > 10:
            # Lambda's text for an SQS batch over 10 from when every queue's most was 10, as AWS answered it
            # (https://github.com/pulumi/pulumi-aws-serverless/issues/20); a FIFO queue's most is still 10.
            raise InvalidParameterValue("Maximum batch size must be between 1 and 10 inclusive")
        if settings.maximum_batching_window:
            raise InvalidParameterValue("Batching window is not supported for FIFO queues.")
    elif settings.batch_size > 10 and settings.maximum_batching_window < 1:
        raise InvalidParameterValue(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )
    return settings
