"""The query-protocol view of awsQueryCompatible services (SQS, CloudWatch) that older SDKs still call.

botocore now models SQS and CloudWatch for JSON / CBOR; an SDK built on the older query model
expects `<{Op}Result>` wrappers, the XML element names that model had, and its error codes. The
view is the current model with those traits put back: result wrappers for every output, the query
namespace, and for SQS the element names and error codes from its Smithy model's `xmlName`,
`xmlFlattened` and `awsQueryError` traits (which botocore's JSON model leaves out).
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/sqs-api-responses.html
https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#aws-protocols-awsqueryerror-trait
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from botocore.model import ServiceModel

# Services whose JSON model lost the query namespace.
_NAMESPACES = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}

# SQS: structure members' query element names, {shape: {member: element name}}.
_SQS_MEMBER_NAMES: dict[str, dict[str, str]] = {
    # responses
    "ListQueuesResult": {"QueueUrls": "QueueUrl"},
    "ListDeadLetterSourceQueuesResult": {"queueUrls": "QueueUrl"},
    "GetQueueAttributesResult": {"Attributes": "Attribute"},
    "ListQueueTagsResult": {"Tags": "Tag"},
    "ReceiveMessageResult": {"Messages": "Message"},
    "Message": {"Attributes": "Attribute", "MessageAttributes": "MessageAttribute"},
    "MessageAttributeValue": {"StringListValues": "StringListValue", "BinaryListValues": "BinaryListValue"},
    "MessageSystemAttributeValue": {"StringListValues": "StringListValue", "BinaryListValues": "BinaryListValue"},
    "SendMessageBatchResult": {"Successful": "SendMessageBatchResultEntry", "Failed": "BatchResultErrorEntry"},
    "DeleteMessageBatchResult": {"Successful": "DeleteMessageBatchResultEntry", "Failed": "BatchResultErrorEntry"},
    "ChangeMessageVisibilityBatchResult": {
        "Successful": "ChangeMessageVisibilityBatchResultEntry",
        "Failed": "BatchResultErrorEntry",
    },
    "ListMessageMoveTasksResult": {"Results": "ListMessageMoveTasksResultEntry"},
    # requests
    "AddPermissionRequest": {"AWSAccountIds": "AWSAccountId", "Actions": "ActionName"},
    "GetQueueAttributesRequest": {"AttributeNames": "AttributeName"},
    "ReceiveMessageRequest": {
        "AttributeNames": "AttributeName",
        "MessageSystemAttributeNames": "AttributeName",
        "MessageAttributeNames": "MessageAttributeName",
    },
    "SetQueueAttributesRequest": {"Attributes": "Attribute"},
    "CreateQueueRequest": {"Attributes": "Attribute", "tags": "Tag"},
    "TagQueueRequest": {"Tags": "Tag"},
    "UntagQueueRequest": {"TagKeys": "TagKey"},
    "ChangeMessageVisibilityBatchRequest": {"Entries": "ChangeMessageVisibilityBatchRequestEntry"},
    "DeleteMessageBatchRequest": {"Entries": "DeleteMessageBatchRequestEntry"},
    "SendMessageBatchRequest": {"Entries": "SendMessageBatchRequestEntry"},
    "SendMessageRequest": {
        "MessageAttributes": "MessageAttribute",
        "MessageSystemAttributes": "MessageSystemAttribute",
    },
    "SendMessageBatchRequestEntry": {
        "MessageAttributes": "MessageAttribute",
        "MessageSystemAttributes": "MessageSystemAttribute",
    },
}

# SQS: list item names and map key / value names, {shape: {"member" | "key" | "value": name}}.
_SQS_ITEM_NAMES: dict[str, dict[str, str]] = {
    "StringList": {"member": "StringListValue"},
    "BinaryList": {"member": "BinaryListValue"},
    "QueueAttributeMap": {"key": "Name", "value": "Value"},
    "MessageSystemAttributeMap": {"key": "Name", "value": "Value"},
    "MessageBodyAttributeMap": {"key": "Name", "value": "Value"},
    "MessageBodySystemAttributeMap": {"key": "Name", "value": "Value"},
    "TagMap": {"key": "Key", "value": "Value"},
}

# SQS: the query error code and HTTP status of each error shape (its awsQueryError trait).
SQS_QUERY_ERRORS: dict[str, tuple[str, int]] = {
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "InvalidAddress": ("InvalidAddress", 404),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "InvalidSecurity": ("InvalidSecurity", 403),
    "KmsAccessDenied": ("KMS.AccessDeniedException", 400),
    "KmsDisabled": ("KMS.DisabledException", 400),
    "KmsInvalidKeyUsage": ("KMS.InvalidKeyUsageException", 400),
    "KmsInvalidState": ("KMS.InvalidStateException", 400),
    "KmsNotFound": ("KMS.NotFoundException", 400),
    "KmsOptInRequired": ("KMS.OptInRequired", 403),
    "KmsThrottled": ("KMS.ThrottlingException", 400),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "OverLimit": ("OverLimit", 403),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 404),
    "RequestThrottled": ("RequestThrottled", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
}


def query_namespace(service: ServiceModel) -> str:
    return str(service.metadata.get("xmlNamespace") or _NAMESPACES.get(service.service_name, ""))


def query_error_code(service: ServiceModel, shape_name: str, default: str) -> str:
    """The code a query-protocol client knows an error by (its `awsQueryError` code)."""
    if service.service_name == "sqs":
        return SQS_QUERY_ERRORS.get(shape_name, (default, 0))[0]
    return default


@cache
def _view(service: ServiceModel) -> ServiceModel:
    description: dict[str, Any] = copy.deepcopy(service._service_description)
    shapes: dict[str, Any] = description["shapes"]
    metadata = description["metadata"]
    metadata["protocol"] = "query"
    metadata["protocols"] = ["query"]
    metadata["xmlNamespace"] = query_namespace(service)
    for name, operation in description["operations"].items():
        output = operation.get("output")
        if output is not None:
            shapes[output["shape"]].setdefault("resultWrapper", f"{name}Result")
    if service.service_name == "sqs":
        for shape_name, members in _SQS_MEMBER_NAMES.items():
            for member, element in members.items():
                shapes[shape_name]["members"][member]["locationName"] = element
        for shape_name, items in _SQS_ITEM_NAMES.items():
            for part, element in items.items():
                shapes[shape_name][part]["locationName"] = element
        for shape_name, (code, status) in SQS_QUERY_ERRORS.items():
            shapes[shape_name]["error"] = {"code": code, "httpStatusCode": status, "senderFault": True}
    return ServiceModel(description, service_name=service.service_name)


def query_view(service: ServiceModel) -> ServiceModel:
    """`service` as a query-protocol client models it; query-protocol services are their own view."""
    if service.protocol == "query":
        return service
    return _view(service)
