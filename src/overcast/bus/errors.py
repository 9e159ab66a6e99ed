"""The one place where nats-py's exceptions become Overcast's AwsErrors.

Callers of the bus see only `overcast.errors`: an unreachable, slow or full bus is ServiceUnavailable,
a missing stream/consumer/bucket is ResourceNotFound, an expected-revision mismatch or a
conflicting definition is ResourceConflict, a message over the server's max_payload is
RequestTooLarge, and anything else JetStream rejects is InvalidParameterValue (client's request)
or InternalFailure (server-side). Domain services re-raise these as their own AWS errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

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


def _status_of(exc: nats.js.errors.APIError) -> int | None:
    """The status nats-py's error class stands for, where it was raised without one."""
    for kind, status in (
        (nats.js.errors.NotFoundError, 404),
        (nats.js.errors.ServiceUnavailableError, 503),
        (nats.js.errors.BadRequestError, 400),
    ):
        if isinstance(exc, kind):
            return status
    return None


class RemoteError(AwsError):
    """An AwsError raised by a request handler on another node, carried back over request/reply."""


def translate_api_error(error: Mapping[str, Any], doing: str) -> AwsError:
    """The AwsError for a JetStream API error as the server sends it (`{"code", "err_code", "description"}`),
    for callers that read the server's answers themselves (bus/publisher.py)."""
    code, status = error.get("err_code"), error.get("code")
    detail = f"{doing}: {error.get('description') or 'JetStream error'} (JetStream error {code})"
    if code in _CONFLICT_CODES:
        return ResourceConflict(detail)
    if status == 404:
        return ResourceNotFound(detail)
    if status == 503 or code in _FULL_CODES:
        return ServiceUnavailable(detail)
    if status == 400:
        return InvalidParameterValue(detail)
    return InternalFailure(detail)


def translate(exc: BaseException, doing: str) -> AwsError:
    """The AwsError for a nats-py exception raised while `doing` (a short phrase for messages)."""
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, nats.js.errors.APIError):
        error = {
            "code": getattr(exc, "code", None) or _status_of(exc),
            "err_code": getattr(exc, "err_code", None),  # some nats-py subclasses never set it
            "description": getattr(exc, "description", None) or type(exc).__name__,
        }
        if isinstance(exc, nats.js.errors.KeyWrongLastSequenceError):
            return ResourceConflict(translate_api_error(error, doing).message)
        return translate_api_error(error, doing)
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
