"""The one place where nats-py's exceptions become Overcast's AwsErrors.

Callers of the bus see only `overcast.errors`: an unreachable, slow or full bus is ServiceUnavailable,
a missing stream/consumer/bucket is ResourceNotFound, an expected-revision mismatch or a
conflicting definition is ResourceConflict, a message over the server's max_payload is
RequestTooLarge, and anything else JetStream rejects is InvalidParameterValue (client's request)
or InternalFailure (server-side). Domain services re-raise these as their own AWS errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import nats.errors
import nats.js.errors

from overcast.errors import (
    AwsError,
    InternalFailure,
    InvalidParameterValue,
    RequestTooLarge,
    ResourceConflict,
    ResourceNotFound,
    ServiceUnavailable,
)

# JetStream API error codes (nats-server's errors.json) that mean "someone else changed it first"
# or "a different definition already exists under this name".
_CONFLICT_CODES = {
    10071,  # wrong last sequence (expected revision mismatch)
    10164,  # wrong last sequence (constant form)
    10058,  # stream name already in use with a different configuration
    10065,  # subjects overlap with an existing stream
    10148,  # consumer already exists with a different configuration
    10013,  # consumer name already in use
}


# JetStream API error codes that mean "the account's storage is full": its total file (10047) or
# memory (10028) storage, which nats-server reserves stream by stream (see overcast.bus.limits).
_FULL_CODES = {10047, 10028}


class RemoteError(AwsError):
    """An AwsError raised by a request handler on another node, carried back over request/reply."""


def translate(exc: BaseException, doing: str) -> AwsError:
    """The AwsError for a nats-py exception raised while `doing` (a short phrase for messages)."""
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, nats.js.errors.APIError):
        code = getattr(exc, "err_code", None)  # some nats-py subclasses never set it
        description = getattr(exc, "description", None) or type(exc).__name__
        detail = f"{doing}: {description} (JetStream error {code})"
        if code in _CONFLICT_CODES or isinstance(exc, nats.js.errors.KeyWrongLastSequenceError):
            return ResourceConflict(detail)
        if isinstance(exc, nats.js.errors.NotFoundError):
            return ResourceNotFound(detail)
        if isinstance(exc, nats.js.errors.ServiceUnavailableError) or code in _FULL_CODES:
            return ServiceUnavailable(detail)
        if isinstance(exc, nats.js.errors.BadRequestError):
            return InvalidParameterValue(detail)
        return InternalFailure(detail)
    if isinstance(exc, nats.js.errors.InvalidKeyError | nats.js.errors.InvalidBucketNameError):
        return InvalidParameterValue(f"{doing}: invalid key or bucket name")
    if isinstance(exc, nats.errors.BadSubjectError):
        return InvalidParameterValue(f"{doing}: invalid subject")
    if isinstance(exc, nats.errors.MaxPayloadError):
        return RequestTooLarge(f"{doing}: the message is larger than the bus's maximum payload")
    if isinstance(exc, nats.errors.NoRespondersError | nats.js.errors.NoStreamResponseError):
        return ServiceUnavailable(f"{doing}: nothing on the message bus is listening")
    if isinstance(exc, TimeoutError):  # nats-py's TimeoutError is one too
        return ServiceUnavailable(f"{doing}: the message bus did not answer in time")
    if isinstance(
        exc,
        nats.errors.ConnectionClosedError
        | nats.errors.ConnectionDrainingError
        | nats.errors.ConnectionReconnectingError
        | nats.errors.OutboundBufferLimitError
        | nats.errors.NoServersError
        | nats.errors.StaleConnectionError
        | OSError,
    ):
        return ServiceUnavailable(f"{doing}: the message bus is not connected ({type(exc).__name__})")
    return InternalFailure(f"{doing}: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def translated(doing: str) -> Iterator[None]:
    """Re-raise nats-py exceptions (and timeouts) inside the block as AwsErrors."""
    try:
        yield
    except (nats.errors.Error, OSError) as exc:  # OSError includes TimeoutError
        if isinstance(exc, AwsError):
            raise
        raise translate(exc, doing) from exc
