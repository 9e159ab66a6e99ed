"""SQS's errors, named by their shapes in AWS's model; the wire layer gives query clients their query codes
(QueueDoesNotExist -> AWS.SimpleQueueService.NonExistentQueue)."""

from __future__ import annotations

from overcast.errors import AwsError

# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html


class QueueDoesNotExist(AwsError):
    code, status = "QueueDoesNotExist", 400

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(AwsError):
    code, status = "QueueNameExists", 400


class InvalidAttributeName(AwsError):
    code, status = "InvalidAttributeName", 400


class InvalidAttributeValue(AwsError):
    code, status = "InvalidAttributeValue", 400


class InvalidParameterValue(AwsError):
    code, status = "InvalidParameterValue", 400


class MissingParameter(AwsError):
    code, status = "MissingParameter", 400


class InvalidMessageContents(AwsError):
    code, status = "InvalidMessageContents", 400


class ReceiptHandleIsInvalid(AwsError):
    code, status = "ReceiptHandleIsInvalid", 404


class MessageNotInflight(AwsError):
    code, status = "MessageNotInflight", 400

    def __init__(
        self, message: str = "Message does not exist or is not available for visibility timeout change."
    ) -> None:
        super().__init__(message)


class AccessDenied(AwsError):
    code, status = "AccessDenied", 403


class OverLimit(AwsError):
    code, status = "OverLimit", 403


class PurgeQueueInProgress(AwsError):
    # 400 in the JSON protocol (API_PurgeQueue.html); the query protocol's code and 403 are in serialize_query_compat
    code, status = "PurgeQueueInProgress", 400


class EmptyBatchRequest(AwsError):
    code, status = "EmptyBatchRequest", 400


class TooManyEntriesInBatchRequest(AwsError):
    code, status = "TooManyEntriesInBatchRequest", 400


class BatchEntryIdsNotDistinct(AwsError):
    code, status = "BatchEntryIdsNotDistinct", 400


class InvalidBatchEntryId(AwsError):
    code, status = "InvalidBatchEntryId", 400


class BatchRequestTooLong(AwsError):
    code, status = "BatchRequestTooLong", 400


class NotImplementedYet(AwsError):
    """What Overcast's SQS does not do yet answers so, never pretending."""

    code, status = "NotImplemented", 501
    sender_fault = False


class ResourceNotFound(AwsError):
    code, status = "ResourceNotFoundException", 404


class UnsupportedOperation(AwsError):
    code, status = "UnsupportedOperation", 400
