"""The request ids of execute-api answers: REST APIs' two headers, an HTTP API's one, in AWS's shapes."""

from __future__ import annotations

import base64
import random

from overcast.apis.deployed import ApiKind, DeployedApi
from overcast.arn import new_request_id
from overcast.gateway.events import extended_request_id
from overcast.gateway.trace import Answer

# Ids need to be unique, not secret: a PRNG seeded from the OS once costs far less than os.urandom per request.
_ids = random.Random()


def id_headers(api: DeployedApi, request_id: str) -> tuple[tuple[str, str], ...]:
    """The request id headers of an API's answers: REST's two, an HTTP API's one."""
    if api.kind is ApiKind.REST:
        return (("x-amzn-RequestId", request_id), ("x-amz-apigw-id", extended_request_id(request_id)))
    return (("apigw-requestid", request_id),)


def request_id_of(answer: Answer) -> str:
    return answer.request.request_id if answer.request is not None else new_request_id()


def http_request_id() -> str:
    """An HTTP API's request id, as AWS shapes it (e.g. "JKJaXmPLvHcESHA=")."""
    return base64.b64encode(_ids.getrandbits(88).to_bytes(11, "big")).decode("ascii")
