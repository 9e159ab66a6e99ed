"""The botocore service models Overcast answers, loaded lazily and cached per service."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # botocore is imported with the first model (~65 ms and ~6 MB an idle server never needs)
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

# botocore service names, exactly as `boto3.client(<name>)` takes them.
SERVICES: tuple[str, ...] = (
    "lambda",
    "stepfunctions",
    "sqs",
    "sns",
    "kinesis",
    "events",
    "scheduler",
    "logs",
    "cloudwatch",
    "xray",
    "apigateway",
    "apigatewayv2",
    "iam",
    "sts",
    "cloudformation",
    "serverlessrepo",
    "s3",
    "dynamodb",
)


@cache
def _loader() -> Loader:
    from botocore.loaders import Loader

    return Loader()


@cache
def load_service(name: str) -> ServiceModel:
    """The newest `service-2` model botocore ships for `name`; loaded on first use, then cached."""
    from botocore.model import ServiceModel

    return ServiceModel(_loader().load_service_model(name, "service-2"), service_name=name)


def protocols_of(service: ServiceModel) -> tuple[str, ...]:
    """Every wire protocol a client may use to call `service`, botocore's preferred one first.

    A service with the `awsQueryCompatible` trait (SQS, CloudWatch) also accepts the query
    protocol that older SDKs still send.
    """
    metadata = service.metadata
    listed = tuple(metadata.get("protocols") or (metadata["protocol"],))
    if "awsQueryCompatible" in metadata and "query" not in listed:
        listed = (*listed, "query")
    return listed
